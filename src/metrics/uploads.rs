//! Uploads: by method, outcome and biz type; bytes received; commit latency.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// How a file arrived.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub enum UploadMethod {
    /// `POST /api/bot/upload_file`.
    Base64,
    /// The reference document's `PUT {upload_host}/{prefix}/{name}`.
    Put,
    /// The ImageX upload host, the whole file in one body.
    ImagexDirect,
    /// The ImageX upload host, in parts.
    ImagexChunked,
}

super::label_values!(UploadMethod { Base64 => "base64", Put => "put", ImagexDirect => "imagex_direct", ImagexChunked => "imagex_chunked" });

/// What became of an upload.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub enum UploadOutcome {
    /// Stored and recorded.
    Stored,
    /// Refused for what the client sent (its type, size, limits).
    Refused,
    /// The queue, the store or the catalog was busy or down: retry later.
    Busy,
    /// A fault of the server.
    Failed,
}

super::label_values!(UploadOutcome { Stored => "stored", Refused => "refused", Busy => "busy", Failed => "failed" });

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UploadLabels {
    method: UploadMethod,
    outcome: UploadOutcome,
    biz_type: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    method: UploadMethod,
}

#[derive(Debug)]
pub struct Uploads {
    uploads: Family<UploadLabels, Counter>,
    received: Family<MethodLabels, Counter>,
    commit: Family<MethodLabels, Histogram, fn() -> Histogram>,
}

impl Uploads {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let uploads = Family::default();
        registry.register(
            "uploads",
            "Uploads that ended, by method, outcome and biz type",
            Family::clone(&uploads),
        );
        let received = Family::default();
        registry.register_with_unit(
            "upload_received",
            "Bytes of files received, by upload method (Base64 counts decoded bytes)",
            Unit::Bytes,
            Family::clone(&received),
        );
        let commit: Family<MethodLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(super::latency_histogram);
        registry.register_with_unit(
            "upload_commit_duration",
            "Time to turn received bytes into a stored object (pipeline, store, record), by method",
            Unit::Seconds,
            commit.clone(),
        );
        Self {
            uploads,
            received,
            commit,
        }
    }

    /// Counts an upload that ended with `outcome`.
    pub fn ended(&self, method: UploadMethod, outcome: UploadOutcome, biz_type: &'static str) {
        self.uploads
            .get_or_create(&UploadLabels {
                method,
                outcome,
                biz_type,
            })
            .inc();
    }

    /// Counts `bytes` of a file received by `method`.
    pub fn received(&self, method: UploadMethod, bytes: u64) {
        self.received
            .get_or_create(&MethodLabels { method })
            .inc_by(bytes);
    }

    /// Records how long a commit took.
    pub fn committed_in(&self, method: UploadMethod, seconds: f64) {
        self.commit
            .get_or_create(&MethodLabels { method })
            .observe(seconds);
    }

    /// A stored upload of `bytes` received by `method`, committed in `seconds`.
    pub fn stored(&self, method: UploadMethod, biz_type: &'static str, bytes: u64, seconds: f64) {
        self.ended(method, UploadOutcome::Stored, biz_type);
        self.received(method, bytes);
        self.committed_in(method, seconds);
    }
}
