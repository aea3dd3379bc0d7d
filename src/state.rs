//! What every request handler shares: the catalog, the object store, the authenticator,
//! ingest and the upload sessions, and the settings that govern requests.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::auth::Authenticator;
use crate::catalog::Catalog;
use crate::cdn::{Flights, HotCache, TemplateRules, UrlBuilder};
use crate::config::Settings;
use crate::ingest::{Deferred, Ingest, Sessions};
use crate::storage::Storage;

#[derive(Debug, Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub catalog: Catalog,
    pub storage: Arc<dyn Storage>,
    pub auth: Authenticator,
    pub urls: UrlBuilder,
    /// Recently served objects, in memory.
    pub hot: Arc<HotCache>,
    /// One generation at a time per missing variant.
    pub flights: Arc<Flights>,
    /// Bytes a client sent, to stored objects; variants of stored originals.
    pub ingest: Ingest,
    /// Variants answered and still being stored.
    pub deferred: Deferred,
    /// ImageX upload sessions, from apply to commit.
    pub sessions: Sessions,
    /// Set once shutdown has begun: `/readyz` answers 503 so load balancers stop sending.
    pub draining: Arc<AtomicBool>,
}

impl AppState {
    /// What template URLs may ask for, from the settings.
    pub fn template_rules(&self) -> TemplateRules<'_> {
        let cdn = &self.settings.cdn;
        TemplateRules {
            service_id: &self.settings.imagex.service_id,
            templates: &cdn.templates,
            max_side: cdn.max_side,
            allowed_sizes: &cdn.allowed_sizes,
        }
    }
}
