//! The catalog: API keys, users, sessions, upload sessions and stored objects, in SQL.
//! Records hold plain values (an upload's state is an enum stored as text); what they mean
//! (scopes, biz types, the upload rules) is decided by the modules that use them.

mod intents;
mod keys;
mod objects;
mod uploads;
mod users;

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use intents::WriteIntent;
pub use keys::{ApiKeyRecord, NewApiKey};
pub use objects::{ObjectQuery, ObjectRecord};
pub use uploads::{NewUpload, PartRecord, UploadRecord, UploadSession, UploadState};
pub use users::{SessionRecord, UserRecord};

/// How long a write waits for another process (a CLI command, say) to release the database.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{0} already exists")]
    Conflict(String),
    #[error("catalog database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("catalog migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

#[derive(Debug, Clone)]
pub struct Catalog {
    pool: SqlitePool,
}

impl Catalog {
    /// Opens the database at `url`, creating it if needed, and brings its schema up to date.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, CatalogError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    /// Succeeds when the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), CatalogError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

pub use crate::clock::unix_now;

/// Turns a unique-constraint violation into `Conflict(what)`.
fn conflict_as(what: impl Into<String>) -> impl FnOnce(sqlx::Error) -> CatalogError {
    move |error| match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            CatalogError::Conflict(what.into())
        }
        _ => CatalogError::Database(error),
    }
}
