//! What every request handler shares: the catalog, the object store, the authenticator and
//! the settings that govern requests.

use std::sync::Arc;

use crate::auth::Authenticator;
use crate::catalog::Catalog;
use crate::cdn::{Flights, HotCache, TemplateRules, UrlBuilder};
use crate::config::Settings;
use crate::ingest::{self, BizType, FileType, IngestError, Prepared, Staging};
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

    /// Runs [`ingest::prepare`] on the processing pool.
    pub async fn prepare(
        &self,
        biz: BizType,
        declared: FileType,
        bytes: Vec<u8>,
    ) -> Result<Prepared, IngestError> {
        let settings = Arc::clone(&self.settings);
        let cost = crate::pipeline::JobCost::estimate(&bytes);
        self.pool
            .run_costed(cost, move || {
                ingest::prepare(biz, declared, bytes, &settings.pipeline)
            })
            .await?
    }
}
