//! The CDN paths: responses by where the object came from, variant render time, bytes
//! served, variants answered and still being stored.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// Where a served object's bytes came from.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub enum CdnCache {
    /// The hot cache in memory.
    MemoryHit,
    /// The object store.
    StoreHit,
    /// A variant made for this request from its original.
    VariantMade,
}

super::label_values!(CdnCache { MemoryHit => "memory_hit", StoreHit => "store_hit", VariantMade => "variant_made" });

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    cache: CdnCache,
}

#[derive(Debug)]
pub struct Cdn {
    responses: Family<CacheLabels, Counter>,
    render: Histogram,
    served: Counter,
    storing: Gauge,
}

impl Cdn {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let responses = Family::default();
        registry.register(
            "cdn_responses",
            "Objects and variants answered on the CDN paths, by where they came from",
            Family::clone(&responses),
        );
        let render = super::latency_histogram();
        registry.register_with_unit(
            "cdn_variant_render_duration",
            "Time to make a variant a template URL asked for (it is stored after its answer)",
            Unit::Seconds,
            render.clone(),
        );
        let served = Counter::default();
        registry.register_with_unit(
            "cdn_served",
            "Bytes of object bodies sent on the CDN paths",
            Unit::Bytes,
            served.clone(),
        );
        let storing = Gauge::default();
        registry.register(
            "cdn_variants_storing",
            "Variants answered and still being stored",
            storing.clone(),
        );
        Self {
            responses,
            render,
            served,
            storing,
        }
    }

    /// The count of variants answered and still being stored, for `ingest::Deferred` to
    /// keep.
    pub fn storing(&self) -> Gauge {
        self.storing.clone()
    }

    pub fn answered(&self, cache: CdnCache) {
        self.responses.get_or_create(&CacheLabels { cache }).inc();
    }

    pub fn rendered_in(&self, seconds: f64) {
        self.render.observe(seconds);
    }

    pub fn served(&self, bytes: u64) {
        self.served.inc_by(bytes);
    }
}
