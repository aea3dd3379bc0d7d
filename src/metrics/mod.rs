//! The Prometheus metrics imgate exports at `/metrics`: one registry per process, with
//! the families of each concern (HTTP, uploads, pipeline, CDN, storage, catalog, sweeper,
//! the process itself) and the small recording calls the code that does the work makes.
//! It imports nothing of imgate's, so every stage can record into it.

/// Implements a label value for an enum from the text of each variant.
macro_rules! label_values {
    ($name:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        impl $name {
            /// The label value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),*
                }
            }
        }

        impl prometheus_client::encoding::EncodeLabelValue for $name {
            fn encode(
                &self,
                encoder: &mut prometheus_client::encoding::LabelValueEncoder,
            ) -> Result<(), std::fmt::Error> {
                prometheus_client::encoding::EncodeLabelValue::encode(&self.as_str(), encoder)
            }
        }
    };
}
use label_values;

mod catalog;
mod cdn;
mod http;
mod pipeline;
mod process;
mod settings;
mod storage;
mod uploads;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

pub use catalog::Catalog;
pub use cdn::{Cdn, CdnCache};
pub use http::{Http, RouteFamily, route_family};
pub use pipeline::{Lane, Pipeline, Stage};
pub use process::Process;
pub use settings::MetricsSettings;
pub use storage::{Operation, Storage};
pub use uploads::{UploadMethod, UploadOutcome, Uploads};

/// The `Content-Type` of a scrape: the Prometheus text format, version 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Bounds of latency histograms, in seconds: 1 ms to 60 s.
const LATENCY_BUCKETS: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// Every metric family, and the registry that encodes them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub http: Http,
    pub uploads: Uploads,
    pub pipeline: Pipeline,
    pub cdn: Cdn,
    pub storage: Storage,
    pub catalog: Catalog,
    pub process: Process,
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("imgate");
        Self {
            http: Http::register(&mut registry),
            uploads: Uploads::register(&mut registry),
            pipeline: Pipeline::register(&mut registry),
            cdn: Cdn::register(&mut registry),
            storage: Storage::register(&mut registry),
            catalog: Catalog::register(&mut registry),
            process: Process::register(&mut registry),
            registry,
        }
    }

    /// The scrape: every family in the Prometheus text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry);
        text
    }
}

/// The process's metrics (made on first use).
pub fn get() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// Seconds since `start`, as histograms take them.
pub fn seconds_since(start: Instant) -> f64 {
    secs(start.elapsed())
}

fn secs(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_named_by_the_conventions() {
        let metrics = Metrics::new();
        metrics.http.observe("cdn".into(), "GET", 200, 0.01);
        metrics
            .uploads
            .stored(UploadMethod::Base64, "BIZ_BOT_ICON", 10, 0.2);
        metrics.pipeline.time(Stage::Decode, || ());
        let text = metrics.encode();
        for line in text.lines().filter(|l| l.starts_with("# TYPE ")) {
            let mut words = line.split(' ').skip(2);
            let (name, kind) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
            assert!(name.starts_with("imgate_"), "{line}");
            match kind {
                "counter" => assert!(name.ends_with("_total"), "{line}"),
                "histogram" => assert!(
                    name.ends_with("_seconds") || name.ends_with("_bytes"),
                    "{line}"
                ),
                _ => {}
            }
        }
        assert!(
            text.contains(
                "imgate_http_requests_total{route=\"cdn\",method=\"GET\",status=\"2xx\"} 1"
            ),
            "{text}"
        );
        assert!(text.contains("imgate_build_info{"), "{text}");
    }
}
