//! The catalog: operations by name and outcome, and their latency.

use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    backend: &'static str,
    operation: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    backend: &'static str,
    operation: &'static str,
}

#[derive(Debug)]
pub struct Catalog {
    operations: Family<OperationLabels, Counter>,
    duration: Family<LatencyLabels, Histogram, fn() -> Histogram>,
}

impl Catalog {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let operations = Family::default();
        registry.register(
            "catalog_operations",
            "Catalog operations, by backend, operation and outcome (ok, error)",
            Family::clone(&operations),
        );
        let duration: Family<LatencyLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(super::latency_histogram);
        registry.register_with_unit(
            "catalog_operation_duration",
            "Time of catalog operations, by backend and operation",
            Unit::Seconds,
            duration.clone(),
        );
        Self {
            operations,
            duration,
        }
    }

    /// Records `operation` on `backend`, begun at `start`, and hands its result on.
    pub fn record<T, E>(
        &self,
        backend: &'static str,
        operation: &'static str,
        start: Instant,
        result: Result<T, E>,
    ) -> Result<T, E> {
        let outcome = if result.is_ok() { "ok" } else { "error" };
        self.operations
            .get_or_create(&OperationLabels {
                backend,
                operation,
                outcome,
            })
            .inc();
        self.duration
            .get_or_create(&LatencyLabels { backend, operation })
            .observe(super::seconds_since(start));
        result
    }
}
