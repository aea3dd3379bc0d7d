//! What every request handler shares: the catalog, the object store, the authenticator and
//! the settings that govern requests.

use std::sync::Arc;

use crate::auth::Authenticator;
use crate::catalog::Catalog;
use crate::cdn::{Flights, HotCache, UrlBuilder};
use crate::config::Settings;
use crate::ingest::Staging;
use crate::pipeline::ProcessingPool;
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
    /// Bytes of ImageX uploads before their commit.
    pub staging: Staging,
    /// Where CPU work (decoding, hashing, image processing) runs.
    pub pool: ProcessingPool,
}
