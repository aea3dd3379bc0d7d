//! What the nodes on one catalog share beyond its rows: the fingerprint of the server
//! secret they must all hold, and (on PostgreSQL) notices of deleted objects, so that every
//! node's memory cache forgets an object as soon as it is gone.

use std::time::{Duration, Instant};

use sqlx::postgres::PgListener;

use super::{Catalog, CatalogError, Dialect};

const SECRET_FINGERPRINT: &str = "secret_fingerprint";

/// Waits between tries to listen again: doubling from the first to the last.
const RECONNECT_FIRST: Duration = Duration::from_secs(1);
const RECONNECT_LAST: Duration = Duration::from_secs(30);

/// The channel deletions are announced on; the payload is the original's URI.
pub(super) const DELETED_CHANNEL: &str = "imgate_deleted";

/// What a node hears of other nodes' deletions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletion {
    /// This object and its variants are gone.
    Object(String),
    /// Notices may have been missed (the connection was lost): anything may be gone.
    Unknown,
}

impl Catalog {
    /// Records `fingerprint` as the one every node's secret must have, unless one is
    /// recorded already; answers the one recorded (the first node's).
    pub async fn agree_on_secret(&self, fingerprint: &str) -> Result<String, CatalogError> {
        sqlx::query(
            "INSERT INTO cluster_settings (name, value) VALUES ($1, $2)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(SECRET_FINGERPRINT)
        .bind(fingerprint)
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM cluster_settings WHERE name = $1")
                .bind(SECRET_FINGERPRINT)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Calls `heard` with every deletion any node makes, for as long as the server runs;
    /// returns at once on SQLite, whose nodes share one host and no notices.
    pub async fn follow_deletions(&self, heard: impl Fn(Deletion) + Send + 'static) {
        if self.dialect != Dialect::Postgres {
            return;
        }
        let mut wait = RECONNECT_FIRST;
        loop {
            let listened = Instant::now();
            if let Err(e) = self.listen(&heard).await {
                tracing::warn!(
                    error = %e,
                    retry_in_seconds = wait.as_secs(),
                    "lost the catalog's deletion notices; until they are back, this node's \
                     memory cache is emptied at every try"
                );
            }
            heard(Deletion::Unknown);
            // A connection that held for a while starts the waits again from the first.
            if listened.elapsed() > RECONNECT_LAST {
                wait = RECONNECT_FIRST;
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(RECONNECT_LAST);
        }
    }

    async fn listen(&self, heard: &impl Fn(Deletion)) -> Result<(), CatalogError> {
        let mut listener = PgListener::connect(&self.url).await?;
        listener.listen(DELETED_CHANNEL).await?;
        // Whatever was deleted before this point, while nothing listened.
        heard(Deletion::Unknown);
        loop {
            match listener.try_recv().await? {
                Some(notice) => heard(Deletion::Object(notice.payload().to_owned())),
                // The connection dropped; the next call reconnects.
                None => heard(Deletion::Unknown),
            }
        }
    }
}
