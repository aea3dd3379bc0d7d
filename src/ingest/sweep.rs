//! The sweeper: what a crash leaves behind is removed, at start-up and then periodically,
//! without touching a write in progress. Writes that never finished (temporary files,
//! unfinished multipart uploads) go once they are old; objects stored without a record
//! are found by their write intents, recorded before the bytes, once those are older than
//! any write can take (and than an upload session lasts, so no commit can still be writing
//! the same keys).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::IngestError;
use crate::catalog::Catalog;
use crate::clock::unix_now;
use crate::storage::{ObjectKey, Storage};

/// Intents taken per round, so one round stays short.
const BATCH: i64 = 500;

/// What the sweeper has removed since the process started.
#[derive(Debug, Default)]
pub struct SweepTotals {
    /// Temporary files and unfinished multipart uploads.
    pub temporary: AtomicU64,
    /// Stored objects that no record owns.
    pub unrecorded: AtomicU64,
}

/// What one round removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub temporary: u64,
    pub unrecorded: u64,
}

#[derive(Debug, Clone)]
pub struct Sweeper {
    catalog: Catalog,
    objects: Arc<dyn Storage>,
    staging: Arc<dyn Storage>,
    /// Age after which unfinished writes are swept.
    after: Duration,
    /// Age after which objects stored without a record are swept.
    unrecorded_after: Duration,
    totals: Arc<SweepTotals>,
}

impl Sweeper {
    pub fn new(
        catalog: Catalog,
        objects: Arc<dyn Storage>,
        staging: Arc<dyn Storage>,
        after: Duration,
        session_ttl: Duration,
    ) -> Self {
        Self {
            catalog,
            objects,
            staging,
            after,
            unrecorded_after: after.max(session_ttl),
            totals: Arc::default(),
        }
    }

    pub fn totals(&self) -> Arc<SweepTotals> {
        Arc::clone(&self.totals)
    }

    /// One round; `everywhere` also looks where older versions left temporary files.
    pub async fn sweep(&self, everywhere: bool) -> Result<Swept, IngestError> {
        let mut swept = Swept::default();
        for store in [&self.objects, &self.staging] {
            swept.temporary += store.sweep_temporary(self.after, everywhere).await?;
        }
        swept.unrecorded = self.sweep_unrecorded().await?;
        self.totals
            .temporary
            .fetch_add(swept.temporary, Ordering::Relaxed);
        self.totals
            .unrecorded
            .fetch_add(swept.unrecorded, Ordering::Relaxed);
        crate::metrics::get()
            .storage
            .swept(swept.temporary, swept.unrecorded);
        if swept != Swept::default() {
            tracing::info!(
                temporary = swept.temporary,
                unrecorded = swept.unrecorded,
                "swept what interrupted writes left behind"
            );
        }
        Ok(swept)
    }

    /// Removes the bytes of stale intents that no record owns.
    async fn sweep_unrecorded(&self) -> Result<u64, IngestError> {
        let before = unix_now() - self.unrecorded_after.as_secs() as i64;
        let mut removed = 0;
        for intent in self.catalog.stale_intents(before, BATCH).await? {
            if !self.catalog.take_intent(&intent).await? {
                continue;
            }
            let Ok(key) = ObjectKey::parse(&intent.object_key) else {
                continue;
            };
            if self.objects.delete(&key).await? {
                tracing::info!(%key, "removed an object stored without a record");
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Sweeps everywhere once, then every `every`, for as long as the server runs.
    pub async fn run(self, every: Duration) {
        let mut everywhere = true;
        let mut ticks = tokio::time::interval(every.max(Duration::from_secs(1)));
        loop {
            ticks.tick().await;
            if let Err(e) = self.sweep(std::mem::take(&mut everywhere)).await {
                tracing::warn!(error = %e, "sweeping leftovers failed");
            }
        }
    }
}
