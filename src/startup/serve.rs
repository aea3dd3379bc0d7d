//! The HTTP servers (the API, and `/metrics` apart from it when `metrics.listen` says so),
//! and how they stop: on SIGTERM or SIGINT the node drains. `/readyz` answers 503, no new
//! connection is accepted (after `server.drain_delay`), requests in flight (and the processing jobs they wait for)
//! get `server.shutdown_grace` to finish, so do variants being stored after their answer,
//! then the background tasks stop and the catalog is closed.

use std::net::TcpListener;
use std::sync::atomic::Ordering;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

use super::{Application, StartupError, io_error, tls};
use crate::config::Settings;
use crate::http;
use crate::request_id;
use crate::state::AppState;

/// The API's server; `/metrics` is on it unless it has a listener of its own or is off.
pub(super) fn api_server(listener: TcpListener, state: AppState) -> Result<Server, StartupError> {
    let settings = &state.settings;
    let workers = match settings.server.workers {
        0 => std::thread::available_parallelism().map_or(2, usize::from),
        n => n,
    };
    let tls = settings
        .server
        .tls
        .as_ref()
        .map(tls::server_config)
        .transpose()?;
    let metrics_here = settings.metrics.enabled && settings.metrics.listen.is_none();
    let grace = settings.server.shutdown_grace.as_secs();
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        let prefix = data.settings.cdn.path_prefix.clone();
        App::new()
            .app_data(data.clone())
            .wrap(from_fn(http::cors))
            .wrap(from_fn(request_id::middleware))
            .configure(|cfg| {
                if metrics_here {
                    cfg.route("/metrics", web::get().to(http::metrics::scrape));
                }
                cfg.route("/openapi.json", web::get().to(http::openapi::document));
                http::routes(cfg, &prefix);
            })
    })
    .workers(workers)
    .shutdown_timeout(grace)
    .disable_signals();
    let server = match tls {
        Some(config) => server.listen_rustls_0_23(listener, config),
        None => server.listen(listener),
    };
    Ok(server.map_err(io_error("HTTP listener"))?.run())
}

/// `/metrics` on `metrics.listen`, apart from the API, when set; answers its port too.
pub(super) fn metrics_server(settings: &Settings) -> Result<Option<(u16, Server)>, StartupError> {
    let (true, Some(address)) = (settings.metrics.enabled, settings.metrics.listen) else {
        return Ok(None);
    };
    let what = format!("metrics listen address {address}");
    let listener = TcpListener::bind(address).map_err(io_error(what.clone()))?;
    let port = listener
        .local_addr()
        .map_err(io_error(what.clone()))?
        .port();
    let server = HttpServer::new(|| {
        App::new()
            .wrap(from_fn(request_id::middleware))
            .route("/metrics", web::get().to(http::metrics::scrape))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .map_err(io_error(what))?
    .run();
    tracing::info!(%address, "metrics listening");
    Ok(Some((port, server)))
}

/// Runs the servers until `stop` resolves (or the API server is stopped through its
/// handle), then drains.
pub(super) async fn run(app: Application, stop: impl Future<Output = ()>) -> std::io::Result<()> {
    let Application {
        server,
        metrics,
        draining,
        background,
        deferred,
        catalog,
        delay,
        grace,
        ..
    } = app;
    let handle = server.handle();
    let metrics = metrics.map(|(_, server)| (server.handle(), tokio::spawn(server)));
    let mut serving = tokio::spawn(server);
    let served = tokio::select! {
        joined = &mut serving => joined,
        () = stop => {
            draining.store(true, Ordering::Relaxed);
            tracing::info!(
                delay_seconds = delay.as_secs(),
                grace_seconds = grace.as_secs(),
                "draining: /readyz answers 503; new connections are refused after the delay"
            );
            tokio::time::sleep(delay).await;
            tracing::info!("refusing new connections; finishing requests in flight");
            handle.stop(true).await;
            serving.await
        }
    };
    if tokio::time::timeout(grace, deferred.settled())
        .await
        .is_err()
    {
        tracing::warn!(
            pending = deferred.pending(),
            "variants still being stored at the end of the grace; they are made again when asked for"
        );
    }
    if let Some((handle, task)) = metrics {
        handle.stop(false).await;
        let _ = task.await;
    }
    for task in background {
        task.abort();
    }
    catalog.close().await;
    tracing::info!("imgate stopped");
    served.map_err(std::io::Error::other)?
}

/// Resolves at the first SIGTERM or SIGINT.
pub async fn termination() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(term) => term,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGTERM; stopping on SIGINT only");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "SIGINT",
    };
    tracing::info!(signal = name, "asked to stop");
}
