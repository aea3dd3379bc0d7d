//! The catalog: API keys, users, sessions, upload sessions and stored objects, in SQL.
//! Records hold plain values (an upload's state is an enum stored as text); what they mean
//! (scopes, biz types, the upload rules) is decided by the modules that use them.

mod cluster;
pub mod copy;
mod intents;
mod keys;
mod objects;
mod settings;
mod sql;
mod uploads;
mod users;

use std::path::{Path, PathBuf};
use std::time::Instant;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

use crate::metrics;

pub use cluster::Deletion;
pub use intents::WriteIntent;
pub use keys::{ApiKeyRecord, NewApiKey};
pub use objects::{ObjectQuery, ObjectRecord};
pub use settings::CatalogSettings;
pub use uploads::{NewUpload, PartRecord, UploadRecord, UploadSession, UploadState};
pub use users::{SessionRecord, UserRecord};

/// Every SQLite connection: write-ahead logging, foreign keys, and a write waits up to
/// 10 s for another process (a CLI command, another node on the host) to release the
/// database.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
    PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{0} already exists")]
    Conflict(String),
    #[error("catalog database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("catalog migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("catalog URL `{0}`: expected sqlite://<path> or postgres://user@host:port/database")]
    BadUrl(String),
    #[error("cannot lock the catalog for its migration: {0}")]
    Lock(std::io::Error),
}

impl CatalogError {
    /// The database cannot be reached or gave no connection in time: retrying later may
    /// succeed (a 503), unlike a query it refused.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            CatalogError::Database(
                sqlx::Error::Io(_)
                    | sqlx::Error::Tls(_)
                    | sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::WorkerCrashed
                    | sqlx::Error::Protocol(_)
            )
        )
    }
}

/// The SQL database behind the catalog. Queries are written once, with `$N` parameters,
/// which both understand; schemas differ, so each has its migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub fn of(url: &str) -> Result<Self, CatalogError> {
        if url.starts_with("sqlite:") {
            Ok(Dialect::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Dialect::Postgres)
        } else {
            Err(CatalogError::BadUrl(redact(url)))
        }
    }
}

#[derive(Debug, Clone)]
pub struct Catalog {
    pool: AnyPool,
    dialect: Dialect,
    /// The URL, for the connection that listens for deletions (PostgreSQL).
    url: String,
}

impl Catalog {
    /// Opens the database at `url`, creating it if needed, and brings its schema up to date.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, CatalogError> {
        let settings = CatalogSettings {
            url: Some(url.to_owned()),
            max_connections,
            ..CatalogSettings::default()
        };
        Self::open(url, &settings).await
    }

    /// Opens the database at `url` with the pool `settings`, and migrates it. Nodes that
    /// start at the same moment migrate once: the others wait for the first.
    pub async fn open(url: &str, settings: &CatalogSettings) -> Result<Self, CatalogError> {
        install_default_drivers();
        let dialect = Dialect::of(url)?;
        let (url, lock) = match dialect {
            Dialect::Sqlite => sqlite_url(url),
            Dialect::Postgres => (url.to_owned(), None),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(settings.max_connections.max(1))
            .acquire_timeout(settings.acquire_timeout.as_std())
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        connection.execute(SQLITE_PRAGMAS).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        let catalog = Self { pool, dialect, url };
        catalog.migrate(lock.as_deref()).await?;
        Ok(catalog)
    }

    async fn migrate(&self, lock: Option<&Path>) -> Result<(), CatalogError> {
        // PostgreSQL migrations take an advisory lock; a SQLite file is locked by hand.
        let _held = match lock {
            Some(path) => Some(lock_file(path).await?),
            None => None,
        };
        match self.dialect {
            Dialect::Sqlite => {
                sqlx::migrate!("./migrations/sqlite")
                    .run(&self.pool)
                    .await?
            }
            Dialect::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Runs `query`, recording it in the metrics as `operation`.
    async fn measured<T>(
        &self,
        operation: &'static str,
        query: impl Future<Output = Result<T, CatalogError>>,
    ) -> Result<T, CatalogError> {
        let start = Instant::now();
        let backend = match self.dialect {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        };
        metrics::get()
            .catalog
            .record(backend, operation, start, query.await)
    }

    /// Closes the connections once the queries in progress are done (at shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Succeeds when the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), CatalogError> {
        self.measured("ping", async move {
            sqlx::query("SELECT 1").execute(&self.pool).await?;
            Ok(())
        })
        .await
    }
}

/// The URL with `mode=rwc` (create the file when missing), and the lock file beside the
/// database that its migration holds.
fn sqlite_url(url: &str) -> (String, Option<PathBuf>) {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    let lock = (!path.is_empty() && path != ":memory:")
        .then(|| PathBuf::from(format!("{path}.migrate-lock")));
    let url = if url.contains('?') {
        url.to_owned()
    } else {
        format!("{url}?mode=rwc")
    };
    (url, lock)
}

/// Holds an exclusive lock on `path` (created if missing) until the file is dropped.
async fn lock_file(path: &Path) -> Result<std::fs::File, CatalogError> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(|e| CatalogError::Lock(std::io::Error::other(e)))?
    .map_err(CatalogError::Lock)
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
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
