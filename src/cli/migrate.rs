//! `imgate migrate --to FILE`: moves a deployment (the one the usual settings describe) to
//! the catalog and object store FILE names, typically from SQLite and local disk to
//! PostgreSQL and S3. Ids are kept, bytes are streamed and verified before their record is
//! written, and a run that stops anywhere can be run again: it copies nothing twice.

mod checks;
mod objects;
mod report;
mod rows;
mod strays;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;

use crate::catalog::copy::{API_KEYS, SESSIONS, UPLOAD_SESSIONS, UPLOADS, USERS};
use crate::catalog::{Catalog, CatalogError, redact};
use crate::config::{ConfigError, Settings};
use crate::startup::{open_catalog, open_stores};
use crate::storage::{Backend, LocalStorage, S3Storage, Storage, StorageError};

use self::objects::ObjectCopy;
use self::report::{Progress, Summary};

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Settings file of the destination: its `[catalog] url`, `[storage]` and `auth.secret`.
    #[arg(long, value_name = "FILE")]
    to: PathBuf,
    /// Objects copied at the same time.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The run would break the deployment or copy onto its source: nothing was done.
    #[error("refused: {0}")]
    Refused(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot read the server secret: {0}")]
    Secret(std::io::Error),
    #[error("cannot open the {what}: {why}")]
    Open { what: &'static str, why: String },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(
        "the destination holds another {noun} with the key {key} or with its {identity}: \
         migrate into an empty catalog, or one only this command has written to"
    )]
    Clash {
        noun: &'static str,
        identity: &'static str,
        key: String,
    },
    #[error("object `{uri}`: {why}; nothing was recorded for it")]
    Object { uri: String, why: String },
}

/// The source and the destination, opened.
struct Ends {
    from: Catalog,
    to: Catalog,
    from_store: Arc<dyn Storage>,
    to_store: Arc<dyn Storage>,
}

pub async fn run(args: MigrateArgs, source: &Settings) -> Result<(), String> {
    let start = Instant::now();
    let destination = checks::destination(&args.to).map_err(|e| e.to_string())?;
    checks::refusals(source, &destination, &args.to).map_err(|e| e.to_string())?;
    eprintln!(
        "imgate migrate: from {} to {}",
        redact(&source.catalog_url()),
        redact(&destination.catalog_url())
    );
    let ends = open(source, &destination)
        .await
        .map_err(|e| e.to_string())?;
    let summary = migrate(&ends, usize::from(args.concurrency))
        .await
        .map_err(|e| e.to_string())?;
    summary.print(start.elapsed());
    Ok(())
}

async fn open(source: &Settings, destination: &Settings) -> Result<Ends, MigrateError> {
    let from = open_catalog(source)
        .await
        .map_err(opening("source catalog"))?;
    let from_store = open_stores(source)
        .await
        .map_err(opening("source object store"))?
        .objects;
    from_store
        .check()
        .await
        .map_err(opening("source object store"))?;
    let to = Catalog::open(&destination.catalog_url(), &destination.catalog)
        .await
        .map_err(opening("destination catalog"))?;
    let to_store = objects_store(destination)
        .await
        .map_err(opening("destination object store"))?;
    to_store
        .check()
        .await
        .map_err(opening("destination object store"))?;
    Ok(Ends {
        from,
        to,
        from_store,
        to_store,
    })
}

fn opening<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> MigrateError {
    move |e| MigrateError::Open {
        what,
        why: e.to_string(),
    }
}

/// The destination's object store; its staging area is left alone.
async fn objects_store(settings: &Settings) -> Result<Arc<dyn Storage>, StorageError> {
    Ok(match settings.storage.backend {
        Backend::S3 => Arc::new(S3Storage::connect(&settings.storage.s3).await?),
        Backend::Local => {
            let root = settings.storage_root();
            Arc::new(
                LocalStorage::open(&root)
                    .await
                    .map_err(|source| StorageError::Io {
                        key: root.display().to_string(),
                        source,
                    })?,
            )
        }
    })
}

/// Users, keys and web sessions first (objects name their owners by id), then every
/// object with its bytes, then the committed uploads whose answers a retried commit gives.
async fn migrate(ends: &Ends, concurrency: usize) -> Result<Summary, MigrateError> {
    let mut summary = Summary {
        left_behind: ends.from.count_unfinished_uploads().await?,
        ..Summary::default()
    };
    for table in [&USERS, &API_KEYS, &SESSIONS] {
        summary
            .tables
            .push((table.noun, rows::copy(ends, table).await?));
    }
    let progress = Arc::new(Progress::new(ends.from.count_objects().await?));
    ObjectCopy::new(ends, Arc::clone(&progress), concurrency)
        .run()
        .await?;
    summary.objects = progress.totals();
    summary.strays = strays::count(ends).await?;
    for table in [&UPLOAD_SESSIONS, &UPLOADS] {
        summary
            .tables
            .push((table.noun, rows::copy(ends, table).await?));
    }
    Ok(summary)
}
