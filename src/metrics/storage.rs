//! The object stores: operations by backend, store, operation and outcome, and their
//! latency.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// A storage operation.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub enum Operation {
    Put,
    Get,
    Head,
    Delete,
    DeleteAll,
    List,
    Sweep,
    Check,
    Presign,
}

super::label_values!(Operation { Put => "put", Get => "get", Head => "head", Delete => "delete", DeleteAll => "delete_all", List => "list", Sweep => "sweep", Check => "check", Presign => "presign" });

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    backend: &'static str,
    store: &'static str,
    operation: Operation,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    backend: &'static str,
    operation: Operation,
}

#[derive(Debug)]
pub struct Storage {
    operations: Family<OperationLabels, Counter>,
    duration: Family<LatencyLabels, Histogram, fn() -> Histogram>,
    swept: Family<SweptLabels, Counter>,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SweptLabels {
    what: &'static str,
}

impl Storage {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let operations = Family::default();
        registry.register(
            "storage_operations",
            "Object store operations, by backend, store (objects, staging), operation and outcome (ok, not_found, unavailable, error)",
            Family::clone(&operations),
        );
        let duration: Family<LatencyLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(super::latency_histogram);
        registry.register_with_unit(
            "storage_operation_duration",
            "Time of object store operations (a get until its body starts), by backend and operation",
            Unit::Seconds,
            duration.clone(),
        );
        let swept = Family::default();
        registry.register(
            "sweep_removed",
            "What the sweeper removed: temporary (unfinished writes) or unrecorded (objects no record owns)",
            Family::clone(&swept),
        );
        Self {
            operations,
            duration,
            swept,
        }
    }

    /// Records an operation of `store` on `backend` that ended with `outcome` after `seconds`.
    pub fn observe(
        &self,
        (backend, store): (&'static str, &'static str),
        operation: Operation,
        outcome: &'static str,
        seconds: f64,
    ) {
        self.operations
            .get_or_create(&OperationLabels {
                backend,
                store,
                operation,
                outcome,
            })
            .inc();
        self.duration
            .get_or_create(&LatencyLabels { backend, operation })
            .observe(seconds);
    }

    /// Counts what one sweep removed.
    pub fn swept(&self, temporary: u64, unrecorded: u64) {
        for (what, n) in [("temporary", temporary), ("unrecorded", unrecorded)] {
            self.swept.get_or_create(&SweptLabels { what }).inc_by(n);
        }
    }
}
