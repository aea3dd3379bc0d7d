//! A real S3-compatible server for the tests, and a bucket of its own for each server under
//! test: `s3s-fs`, which checks signatures and the
//! multipart rules. `.ci/run` starts one and names it in `IMGATE_TEST_S3_ENDPOINT`,
//! `IMGATE_TEST_S3_ACCESS_KEY` and `IMGATE_TEST_S3_SECRET_KEY`; without those, a test
//! starts its own. The binary is `IMGATE_S3S_FS`, else `s3s-fs` on the `PATH` or in
//! cargo's bin directory, else it is installed once into `target/test-tools`.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use imgate::random::random_hex;
use imgate::storage::S3Settings;
use tempfile::TempDir;

/// A bucket of its own for one test's server.
#[derive(Debug)]
pub struct S3Bucket {
    pub server: S3Server,
    pub name: String,
}

impl S3Bucket {
    pub async fn new(server: S3Server) -> Self {
        let name = server.new_bucket().await;
        Self { server, name }
    }

    /// A new bucket on the shared S3 server (or a server of the test's own).
    pub async fn shared() -> Arc<Self> {
        Arc::new(Self::new(S3Server::shared_or_new()).await)
    }
}

const VERSION: &str = "0.14.1";

const ACCESS_KEY: &str = "imgate-test";

const SECRET_KEY: &str = "imgate-test-secret-key";

#[derive(Debug)]
pub struct S3Server {
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
    /// Our own server process and its data; `None` for the shared server.
    own: Option<Mutex<(Child, TempDir)>>,
}

impl S3Server {
    /// The server the environment names, else a new one of this test's own.
    pub fn shared_or_new() -> Self {
        match std::env::var("IMGATE_TEST_S3_ENDPOINT") {
            Ok(endpoint) => Self {
                endpoint,
                access_key: env_or("IMGATE_TEST_S3_ACCESS_KEY", ACCESS_KEY),
                secret_key: env_or("IMGATE_TEST_S3_SECRET_KEY", SECRET_KEY),
                own: None,
            },
            Err(_) => Self::start(),
        }
    }

    /// A new server, ours to stop.
    pub fn start() -> Self {
        let root = tempfile::tempdir().expect("s3 root");
        let port = free_port();
        let child = spawn(root.path(), port);
        Self {
            endpoint: format!("http://127.0.0.1:{port}"),
            access_key: ACCESS_KEY.into(),
            secret_key: SECRET_KEY.into(),
            own: Some(Mutex::new((child, root))),
        }
    }

    /// Stops our server (its data stays, for [`S3Server::resume`]).
    pub fn stop(&self) {
        let mut own = self.own().lock().expect("server lock");
        let _ = own.0.kill();
        let _ = own.0.wait();
    }

    /// Starts our stopped server again, on the same port with the same data.
    pub fn resume(&self) {
        let port = self
            .endpoint
            .trim_start_matches("http://")
            .parse::<SocketAddr>()
            .expect("endpoint is http://ip:port")
            .port();
        let mut own = self.own().lock().expect("server lock");
        own.0 = spawn(own.1.path(), port);
    }

    /// Parts of multipart uploads that were neither completed nor aborted, as `s3s-fs`
    /// keeps them in its root.
    pub fn pending_parts(&self) -> usize {
        let own = self.own().lock().expect("server lock");
        std::fs::read_dir(own.1.path())
            .expect("s3 root")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".upload_id-"))
            .count()
    }

    fn own(&self) -> &Mutex<(Child, TempDir)> {
        self.own
            .as_ref()
            .expect("only a server of this test's own can stop and resume")
    }

    /// Settings of imgate's S3 backend for `bucket`, under the key prefix `imgate/`.
    pub fn settings(&self, bucket: &str) -> S3Settings {
        S3Settings {
            bucket: bucket.into(),
            endpoint: Some(self.endpoint.clone()),
            path_style: true,
            prefix: "imgate/".into(),
            access_key_id: Some(self.access_key.clone()),
            secret_access_key: Some(self.secret_key.clone()),
            max_attempts: 1,
            connect_timeout: imgate::config::Duration::from_secs(2),
            ..S3Settings::default()
        }
    }

    /// A client for looking at the bucket from outside imgate.
    pub fn client(&self) -> aws_sdk_s3::Client {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .force_path_style(true)
            .http_client(http)
            .credentials_provider(Credentials::new(
                &self.access_key,
                &self.secret_key,
                None,
                None,
                "test",
            ))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// Creates a bucket with a fresh name and answers it.
    pub async fn new_bucket(&self) -> String {
        let bucket = format!("t{}", random_hex(8));
        self.client()
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("create bucket");
        bucket
    }

    /// Every key in `bucket`, imgate's prefix included.
    pub async fn keys(&self, bucket: &str) -> Vec<String> {
        let mut pages = self
            .client()
            .list_objects_v2()
            .bucket(bucket)
            .into_paginator()
            .send();
        let mut keys = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.expect("list bucket");
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(String::from)),
            );
        }
        keys.sort();
        keys
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        if let Some(own) = self.own.as_mut() {
            let (child, _) = own
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.into())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// Starts `s3s-fs` on `port` and waits until it accepts connections.
fn spawn(root: &Path, port: u16) -> Child {
    let mut child = Command::new(binary())
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
        .arg(root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("s3s-fs starts");
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    for _ in 0..200 {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("s3s-fs exited at once ({status}); is port {port} taken?");
        }
        if TcpStream::connect_timeout(&address, Duration::from_millis(100)).is_ok() {
            return child;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let _ = child.kill();
    panic!("s3s-fs did not listen on {address}");
}

/// Finds `s3s-fs`, installing it once (under a file lock) when it is nowhere.
fn binary() -> PathBuf {
    if let Ok(path) = std::env::var("IMGATE_S3S_FS") {
        return path.into();
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default();
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .map(|home| home.join("bin"));
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-tools");
    let candidates = on_path
        .into_iter()
        .chain(cargo_bin)
        .chain([tools.join("bin")]);
    for dir in candidates {
        let path = dir.join("s3s-fs");
        if path.is_file() {
            return path;
        }
    }
    install(&tools)
}

fn install(tools: &Path) -> PathBuf {
    std::fs::create_dir_all(tools).expect("tools dir");
    let lock = std::fs::File::create(tools.join(".lock")).expect("lock file");
    lock.lock().expect("lock");
    let path = tools.join("bin/s3s-fs");
    if !path.is_file() {
        let status = Command::new(env!("CARGO"))
            .args(["install", &format!("s3s-fs@{VERSION}")])
            .args(["--features", "binary", "--locked", "--root"])
            .arg(tools)
            .status()
            .expect("cargo install runs");
        assert!(status.success(), "cargo install s3s-fs@{VERSION} failed");
    }
    path
}
