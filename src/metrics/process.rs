//! The process: its build (version, commit) and when it started.

use std::time::{SystemTime, UNIX_EPOCH};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
    commit: &'static str,
}

/// The commit the binary was built from (`build.rs`), or `unknown`.
pub const COMMIT: &str = match option_env!("IMGATE_COMMIT") {
    Some(commit) => commit,
    None => "unknown",
};

#[derive(Debug)]
pub struct Process {
    start_time: Gauge<f64, std::sync::atomic::AtomicU64>,
}

impl Process {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let build = Family::<BuildLabels, Gauge>::default();
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
                commit: COMMIT,
            })
            .set(1);
        registry.register(
            "build_info",
            "The version and commit of this build (always 1)",
            build,
        );
        let start_time = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        start_time.set(now);
        registry.register_with_unit(
            "process_start_time",
            "When the process started, in Unix seconds",
            Unit::Seconds,
            start_time.clone(),
        );
        Self { start_time }
    }

    /// When the process started, in Unix seconds.
    pub fn start_time(&self) -> f64 {
        self.start_time.get()
    }
}
