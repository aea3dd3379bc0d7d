//! Builds the application from settings: opens the catalog and the store, binds the
//! listeners (port 0 picks a free port, as the tests do), assembles the HTTP servers and
//! starts the background tasks; [`serve`] runs them until shutdown and drains.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use actix_web::dev::{Server, ServerHandle};
use tokio::task::JoinHandle;

use crate::auth::{
    Authenticator, Sealer, SessionSigner, load_or_create_secret, secret_fingerprint,
};
use crate::catalog::{Catalog, CatalogError, Deletion, Dialect};
use crate::cdn::{HotCache, UrlBuilder, UrlSigner};
use crate::config::{Backend, ImagexSettings, Settings};
use crate::ingest::{Deferred, Ingest, SessionLimits, Sessions, Staging, Sweeper};
use crate::pipeline::ProcessingPool;
use crate::state::AppState;
use crate::storage::{Backends, StorageError};

mod serve;
mod tls;

pub use serve::termination;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot prepare {what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("cannot open the object store: {0}")]
    Storage(#[from] StorageError),
    #[error(
        "auth.secret differs from the secret the other nodes on this catalog use (its fingerprint is {ours}, theirs {recorded}): \
         every node must run with the same auth.secret (IMGATE__AUTH__SECRET), or sessions, upload tokens and signed URLs \
         made on one node fail on the others. After changing the secret on every node, forget the old one with \
         `DELETE FROM cluster_settings WHERE name = 'secret_fingerprint'` in the catalog"
    )]
    SecretMismatch { ours: String, recorded: String },
}

fn io_error(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> StartupError {
    move |source| StartupError::Io {
        what: what.into(),
        source,
    }
}

/// Opens the catalog the settings name, creating the data directory if needed. The CLI
/// uses this too, so it works beside a running server.
pub async fn open_catalog(settings: &Settings) -> Result<Catalog, StartupError> {
    std::fs::create_dir_all(&settings.data_dir).map_err(io_error(format!(
        "data dir {}",
        settings.data_dir.display()
    )))?;
    Ok(Catalog::open(&settings.catalog_url(), &settings.catalog).await?)
}

/// Opens the object store and the staging store the settings name.
pub async fn open_stores(settings: &Settings) -> Result<Backends, StorageError> {
    Backends::open(
        &settings.storage,
        settings.storage_root(),
        settings.staging_root(),
    )
    .await
    .map(|backends| backends.metered(settings.storage.backend))
}

pub struct Application {
    port: u16,
    public_base: String,
    server: Server,
    /// The `/metrics` listener, when it is apart from the API's.
    metrics: Option<(u16, Server)>,
    draining: Arc<AtomicBool>,
    /// Session expiry and the sweeper, stopped at shutdown.
    background: Vec<JoinHandle<()>>,
    /// Variants answered and not yet stored, waited for at shutdown.
    deferred: Deferred,
    catalog: Catalog,
    /// `server.drain_delay` and `server.shutdown_grace`.
    delay: std::time::Duration,
    grace: std::time::Duration,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .field("public_base", &self.public_base)
            .finish_non_exhaustive()
    }
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let catalog = open_catalog(&settings).await?;
        let backends = open_stores(&settings).await?;
        let secret = load_or_create_secret(settings.auth.secret.as_deref(), &settings.data_dir)
            .map_err(io_error("server secret"))?;
        check_cluster(&settings, &catalog, &secret).await?;
        let listen = settings.server.listen;
        let listener =
            TcpListener::bind(listen).map_err(io_error(format!("listen address {listen}")))?;
        let bound = listener.local_addr().map_err(io_error("listen address"))?;
        let public_base = settings.public_base(bound);
        let signer = url_signer(&settings, &secret);
        let (ingest, sessions) = ingest(&settings, &catalog, &backends)?;
        let cdn = &settings.cdn;
        let hot = Arc::new(HotCache::new(
            cdn.memory_cache_bytes,
            cdn.memory_cache_entries,
            cdn.memory_cache_ttl.as_std(),
        ));
        let background = background(&settings, &catalog, &backends, &sessions, &hot);
        let deferred = Deferred::on_current_runtime(crate::metrics::get().cdn.storing());
        let state = AppState {
            hot,
            flights: Arc::default(),
            ingest,
            deferred: deferred.clone(),
            sessions,
            auth: Authenticator::new(
                catalog.clone(),
                SessionSigner::new(&secret),
                Sealer::new(&secret),
            ),
            catalog: catalog.clone(),
            storage: backends.objects,
            urls: UrlBuilder::new(public_base.clone(), signer),
            draining: Arc::default(),
            settings: Arc::new(settings),
        };
        let metrics = serve::metrics_server(&state.settings)?;
        let draining = Arc::clone(&state.draining);
        let (delay, grace) = (
            state.settings.server.drain_delay.as_std(),
            state.settings.server.shutdown_grace.as_std(),
        );
        let server = serve::api_server(listener, state)?;
        tracing::info!(address = %bound, %public_base, "imgate listening");
        Ok(Self {
            port: bound.port(),
            public_base,
            server,
            metrics,
            draining,
            background,
            deferred,
            catalog,
            delay,
            grace,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the `/metrics` listener, when `metrics.listen` sets one apart.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// The base of object URLs this instance hands out.
    pub fn public_base(&self) -> &str {
        &self.public_base
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// The variants answered and still being stored.
    pub fn deferred(&self) -> Deferred {
        self.deferred.clone()
    }

    /// Serves until stopped through [`Application::handle`].
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(std::future::pending()).await
    }

    /// Serves until `stop` resolves, then drains (see [`serve::drain`]).
    pub async fn run_until(self, stop: impl Future<Output = ()>) -> std::io::Result<()> {
        serve::run(self, stop).await
    }
}

/// Refuses to start beside nodes with another secret, and says where nodes on other hosts
/// would not see each other's files.
async fn check_cluster(
    settings: &Settings,
    catalog: &Catalog,
    secret: &[u8],
) -> Result<(), StartupError> {
    let ours = secret_fingerprint(secret);
    let recorded = catalog.agree_on_secret(&ours).await?;
    if recorded != ours {
        return Err(StartupError::SecretMismatch { ours, recorded });
    }
    if catalog.dialect() == Dialect::Postgres && settings.storage.backend == Backend::Local {
        tracing::warn!(
            root = %settings.storage_root().display(),
            "the catalog is on PostgreSQL but objects are on local disk: nodes on other hosts \
             will not find each other's files (storage.backend = \"s3\" serves a cluster; \
             nodes on one host sharing this directory are fine)"
        );
    }
    Ok(())
}

/// The tasks that run beside the server: session expiry, the sweeper, and (on PostgreSQL)
/// following other nodes' deletions into the memory cache.
fn background(
    settings: &Settings,
    catalog: &Catalog,
    backends: &Backends,
    sessions: &Sessions,
    hot: &Arc<HotCache>,
) -> Vec<JoinHandle<()>> {
    let expiry = sessions
        .clone()
        .expire_periodically(settings.imagex.cleanup_interval.as_std());
    let sweeper = Sweeper::new(
        catalog.clone(),
        Arc::clone(&backends.objects),
        Arc::clone(&backends.staging),
        settings.storage.sweep_after.as_std(),
        settings.imagex.session_ttl.as_std(),
    );
    let sweeping = sweeper.run(settings.storage.sweep_interval.as_std());
    let hot = Arc::clone(hot);
    let catalog = catalog.clone();
    let deletions = async move {
        catalog
            .follow_deletions(move |deletion| match deletion {
                Deletion::Object(uri) => hot.forget_object(&uri),
                Deletion::Unknown => hot.forget_all(),
            })
            .await;
    };
    vec![
        tokio::spawn(expiry),
        tokio::spawn(sweeping),
        tokio::spawn(deletions),
    ]
}

/// Signs object URLs in private deployments, with `cdn.signing_secrets` or else the
/// server secret.
fn url_signer(settings: &Settings, secret: &[u8]) -> Option<UrlSigner> {
    settings.cdn.private.then(|| {
        let mut secrets: Vec<Vec<u8>> = settings
            .cdn
            .signing_secrets
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        if secrets.is_empty() {
            secrets.push(secret.to_vec());
        }
        UrlSigner::new(secrets, settings.cdn.url_ttl.as_secs())
    })
}

/// Ingest on its processing pool, and the upload sessions that commit through it.
fn ingest(
    settings: &Settings,
    catalog: &Catalog,
    backends: &Backends,
) -> Result<(Ingest, Sessions), StartupError> {
    let pool = ProcessingPool::new(settings.pipeline.threads, settings.pipeline.queue)
        .map_err(io_error("processing pool"))?
        .with_memory_budget(settings.pipeline.memory_budget);
    let staging = Staging::new(Arc::clone(&backends.staging));
    let ingest = Ingest::new(
        catalog.clone(),
        Arc::clone(&backends.objects),
        staging.clone(),
        pool,
        Arc::new(settings.pipeline.clone()),
    );
    let sessions = Sessions::new(
        catalog.clone(),
        staging,
        ingest.clone(),
        session_limits(&settings.imagex),
        settings.imagex.service_id.clone(),
    );
    Ok((ingest, sessions))
}

fn session_limits(imagex: &ImagexSettings) -> SessionLimits {
    SessionLimits {
        max_file_bytes: imagex.max_file_bytes,
        max_part_bytes: imagex.max_part_bytes,
        max_parts: imagex.max_parts,
        ttl: imagex.session_ttl.as_std(),
        commit_lease: imagex.commit_lease.as_std(),
    }
}
