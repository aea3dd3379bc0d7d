//! Commit claims as leases. A commit claims a file until a time a little ahead and renews
//! the claim while it works; when its holder dies (a crash, a `kill -9`, a node gone), the
//! claim lapses and the next commit of the file, on any node, takes over. The claim is
//! named by a random token, so a holder that lost its claim can neither renew it nor mark
//! the file committed.

use std::time::Duration;

use tokio::task::JoinHandle;

use super::{SessionError, Sessions};
use crate::catalog::Catalog;
use crate::clock::unix_now;
use crate::random::random_hex;

/// A claim this process holds; renewed in the background until dropped.
#[derive(Debug)]
pub struct Lease {
    pub claim: String,
    renewer: JoinHandle<()>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.renewer.abort();
    }
}

impl Sessions {
    /// Claims `store_uri` for a commit; `None` when another live commit holds it.
    pub(super) async fn claim(&self, store_uri: &str) -> Result<Option<Lease>, SessionError> {
        let claim = random_hex(16);
        let length = self.limits.commit_lease.max(Duration::from_secs(1));
        let until = unix_now() + length.as_secs() as i64;
        if !self.catalog.claim_upload(store_uri, &claim, until).await? {
            return Ok(None);
        }
        let renewer = tokio::spawn(renew(
            self.catalog.clone(),
            store_uri.to_owned(),
            claim.clone(),
            length,
        ));
        Ok(Some(Lease { claim, renewer }))
    }
}

/// Extends the claim a third of the way through each lease, until it is lost or dropped.
async fn renew(catalog: Catalog, store_uri: String, claim: String, length: Duration) {
    let mut ticks = tokio::time::interval(length / 3);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let until = unix_now() + length.as_secs() as i64;
        match catalog.renew_claim(&store_uri, &claim, until).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(upload = %store_uri, "a commit lost its claim to another");
                return;
            }
            Err(e) => {
                tracing::warn!(upload = %store_uri, error = %e, "could not renew a commit's claim")
            }
        }
    }
}
