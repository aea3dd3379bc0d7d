//! Upload sessions that were never committed are removed after they expire: their staged
//! bytes, parts and records. Committed objects are not touched. Every node runs the
//! cleaner; each session is claimed by one of them first (a lease, so a node that dies
//! mid-round leaves its sessions to the next round of another).

use std::time::Duration;

use super::{SessionError, Sessions};
use crate::clock::unix_now;
use crate::random::random_hex;

/// Sessions removed per round, so one round stays short.
const BATCH: i64 = 100;

/// How long a round's claim on its sessions lasts: far longer than removing 100 sessions'
/// staged bytes takes.
const ROUND_LEASE_SECS: i64 = 300;

impl Sessions {
    /// Removes expired sessions; answers how many.
    pub async fn expire(&self) -> Result<usize, SessionError> {
        let (catalog, staging) = (&self.catalog, &self.staging);
        let claim = random_hex(16);
        let until = unix_now() + ROUND_LEASE_SECS;
        let expired = catalog.claim_expired_sessions(&claim, until, BATCH).await?;
        let mut removed = 0;
        'sessions: for session in &expired {
            for upload in catalog.session_uploads(&session.session_key).await? {
                if let Err(e) = staging.remove(&upload.upload_id).await {
                    // Keep the records, so the next round tries again.
                    tracing::warn!(upload = %upload.store_uri, error = %e, "could not remove staged bytes");
                    continue 'sessions;
                }
            }
            if catalog
                .delete_upload_session(&session.session_key, &claim)
                .await?
            {
                removed += 1;
            }
        }
        if removed > 0 {
            tracing::info!(sessions = removed, "removed expired upload sessions");
        }
        Ok(removed)
    }

    /// Runs [`Sessions::expire`] every `every`, for as long as the server runs.
    pub async fn expire_periodically(self, every: Duration) {
        let mut ticks = tokio::time::interval(every.max(Duration::from_secs(1)));
        loop {
            ticks.tick().await;
            if let Err(e) = self.expire().await {
                tracing::warn!(error = %e, "removing expired upload sessions failed");
            }
        }
    }
}
