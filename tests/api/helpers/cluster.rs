//! Several servers of one deployment in the test process: one catalog (the suite's SQLite
//! file or a PostgreSQL database), one store, one data directory and secret; each node its
//! own server, pool and memory cache, as on separate hosts.

use std::path::Path;

use imgate::config::Settings;
use tempfile::TempDir;

use super::app::{start, suite_backend};
use super::{S3Bucket, TestApp, new_database, suite_on_postgres};

pub struct Cluster {
    pub nodes: Vec<TestApp>,
    /// The data directory every node shares.
    pub shared: TempDir,
    catalog: Option<String>,
    s3: Option<std::sync::Arc<S3Bucket>>,
}

/// Starts `n` nodes at the same moment on a fresh catalog; `configure` is applied to each.
pub async fn spawn_cluster(n: usize, configure: impl Fn(&mut Settings) + Clone) -> Cluster {
    let shared = tempfile::tempdir().expect("shared data dir");
    let catalog = match suite_on_postgres() {
        true => Some(new_database().await),
        false => None,
    };
    let s3 = match suite_backend() {
        imgate::config::Backend::S3 => Some(S3Bucket::shared().await),
        imgate::config::Backend::Local => None,
    };
    let starts = (0..n).map(|_| {
        node(
            shared.path(),
            s3.clone(),
            catalog.clone(),
            configure.clone(),
        )
    });
    let nodes = futures_util::future::join_all(starts).await;
    Cluster {
        nodes,
        shared,
        catalog,
        s3,
    }
}

impl Cluster {
    /// Starts one more node, with `configure` applied to it.
    pub async fn add(&self, configure: impl FnOnce(&mut Settings)) -> TestApp {
        node(
            self.shared.path(),
            self.s3.clone(),
            self.catalog.clone(),
            configure,
        )
        .await
    }

    /// Builds one more node's server, with `configure` applied after the cluster's
    /// settings, without serving: answers why it would not start, if it would not.
    pub async fn try_node(&self, configure: impl FnOnce(&mut Settings)) -> Result<(), String> {
        let mut settings = self.nodes[0].settings.clone();
        settings.server.listen = "127.0.0.1:0".parse().expect("address");
        configure(&mut settings);
        imgate::startup::Application::build(settings)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

async fn node(
    shared: &Path,
    s3: Option<std::sync::Arc<S3Bucket>>,
    catalog: Option<String>,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let shared = shared.to_path_buf();
    start(
        tempfile::tempdir().expect("node dir"),
        s3,
        catalog,
        move |settings| {
            settings.data_dir = shared;
            configure(settings);
        },
    )
    .await
}
