//! The server under test: started on a random port with its own data directory (on
//! local disk or S3), keys made for it, and the requests most tests send.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{S3Bucket, imgate, new_database, suite_on_postgres};
use base64::Engine;
use imgate::auth::{ApiKey, Scope};
use imgate::catalog::{Catalog, NewApiKey};
use imgate::config::{Backend, Settings};
use imgate::ingest::Deferred;
use imgate::startup::{Application, open_catalog, open_stores};
use imgate::storage::Backends;
use serde_json::{Value, json};
use tempfile::TempDir;

pub struct TestApp {
    pub handle: actix_web::dev::ServerHandle,
    pub address: String,
    pub public_base: String,
    pub client: reqwest::Client,
    pub catalog: Catalog,
    pub settings: Settings,
    pub data_dir: TempDir,
    /// The S3 server and bucket, when the suite runs on S3.
    pub s3: Option<Arc<S3Bucket>>,
    /// The variants this server answered and is still storing.
    pub deferred: Deferred,
}

/// `IMGATE_TEST_BACKEND=s3` runs every server of the suite on S3; the default is local disk.
pub(super) fn suite_backend() -> Backend {
    match std::env::var("IMGATE_TEST_BACKEND").as_deref() {
        Ok("s3") => Backend::S3,
        Ok("local") | Err(_) => Backend::Local,
        Ok(other) => panic!("IMGATE_TEST_BACKEND is `local` or `s3`, not `{other}`"),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a server whose settings `configure` may change first.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let s3 = match suite_backend() {
        Backend::S3 => Some(S3Bucket::shared().await),
        Backend::Local => None,
    };
    start(
        tempfile::tempdir().expect("temp data dir"),
        s3,
        None,
        configure,
    )
    .await
}

/// Starts a server on S3 whatever the suite's backend.
pub async fn spawn_app_on_s3(s3: Arc<S3Bucket>, configure: impl FnOnce(&mut Settings)) -> TestApp {
    start(
        tempfile::tempdir().expect("temp data dir"),
        Some(s3),
        None,
        configure,
    )
    .await
}

/// Starts a server on `data_dir` (and `s3`, and the PostgreSQL database `catalog` when the
/// suite runs there: a new one when `None`).
pub(super) async fn start(
    data_dir: TempDir,
    s3: Option<Arc<S3Bucket>>,
    catalog: Option<String>,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let mut settings = Settings {
        data_dir: data_dir.path().to_path_buf(),
        ..Settings::default()
    };
    settings.server.listen = "127.0.0.1:0".parse().expect("address");
    settings.server.workers = 2;
    if let Some(bucket) = &s3 {
        settings.storage.backend = Backend::S3;
        settings.storage.s3 = bucket.server.settings(&bucket.name);
    }
    if suite_on_postgres() {
        settings.catalog.url = Some(match catalog {
            Some(url) => url,
            None => new_database().await,
        });
    }
    configure(&mut settings);
    let app = Application::build(settings.clone())
        .await
        .expect("server builds");
    let scheme = if settings.server.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let address = format!("{scheme}://127.0.0.1:{}", app.port());
    let public_base = app.public_base().to_owned();
    let handle = app.handle();
    let deferred = app.deferred();
    tokio::spawn(app.run_until_stopped());
    let catalog = open_catalog(&settings).await.expect("catalog");
    TestApp {
        handle,
        address,
        public_base,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        catalog,
        settings,
        data_dir,
        s3,
        deferred,
    }
}

impl TestApp {
    /// Waits until the variants this server has answered are stored.
    pub async fn settled(&self) {
        self.deferred.settled().await;
    }

    /// The `imgate` binary with `args`, working on this server's data directory and
    /// catalog.
    pub fn imgate(&self, args: &[&str]) -> std::process::Command {
        let mut command = imgate(self.data_dir.path(), args);
        command.arg("--data-dir").arg(self.data_dir.path());
        if let Some(url) = &self.settings.catalog.url {
            command.env("IMGATE__CATALOG__URL", url);
        }
        command
    }

    /// A key as `imgate keys create` makes it.
    pub async fn key_with(
        &self,
        scopes: &[Scope],
        biz_types: Option<&[u8]>,
        expires_at: Option<i64>,
    ) -> (i64, String) {
        let key = ApiKey::generate();
        let id = self
            .catalog
            .insert_api_key(&NewApiKey {
                name: "test".into(),
                prefix: key.shown_prefix(),
                key_hash: key.hash(),
                scopes: scopes
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                biz_types: biz_types.map(|codes| {
                    codes
                        .iter()
                        .map(u8::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                }),
                expires_at,
            })
            .await
            .expect("insert key");
        (id, key.expose().to_owned())
    }

    pub async fn upload_key(&self) -> String {
        self.key_with(&[Scope::Upload], None, None).await.1
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Uploads the fixture `name` as `biz` and answers the original's URI.
    pub async fn uploaded(&self, key: &str, name: &str, biz: i64) -> String {
        let ext = name.rsplit('.').next().expect("ext");
        let response = self.upload_file(key, ext, biz, &fixture(name)).await;
        let body: Value = response.json().await.expect("json");
        body["data"]["upload_uri"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_owned()
    }

    /// `GET url`, with an `Accept` header when one is given.
    pub async fn get_accepting(&self, url: &str, accept: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(url);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        request.send().await.expect("get")
    }

    /// The URL of `template` (`resize:64:64.webp`) applied to the object `uri`.
    pub fn variant_url(&self, uri: &str, template: &str) -> String {
        format!("{}/{uri}~tplv-imgate-{template}", self.public_base)
    }

    /// `POST /api/bot/upload_file` with a JSON body, authorised by `key` if given.
    pub async fn upload_json(&self, key: Option<&str>, body: &Value) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url("/api/bot/upload_file"))
            .json(body);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request.send().await.expect("request sent")
    }

    /// `GET path`: the status and the JSON body.
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let response = self.client.get(self.url(path)).send().await.expect("get");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    /// Uploads by the Base64 method and answers the reply's JSON.
    pub async fn upload_file_json(
        &self,
        key: &str,
        file_type: &str,
        biz_type: i64,
        bytes: &[u8],
    ) -> Value {
        self.upload_file(key, file_type, biz_type, bytes)
            .await
            .json()
            .await
            .expect("JSON reply")
    }

    /// `GET url` with one extra request header.
    pub async fn get_with(&self, url: &str, name: &str, value: &str) -> reqwest::Response {
        self.client
            .get(url)
            .header(name, value)
            .send()
            .await
            .expect("get")
    }

    /// `POST /api/playground_api/get_imagex_url` for `uris`, authorised by `bearer`.
    pub async fn refresh_urls(&self, bearer: &str, uris: &[&str]) -> reqwest::Response {
        self.client
            .post(self.url("/api/playground_api/get_imagex_url"))
            .bearer_auth(bearer)
            .json(&json!({ "uris": uris }))
            .send()
            .await
            .expect("get_imagex_url")
    }

    pub async fn upload_file(
        &self,
        key: &str,
        file_type: &str,
        biz_type: i64,
        bytes: &[u8],
    ) -> reqwest::Response {
        self.upload_json(Some(key), &upload_body(file_type, biz_type, bytes))
            .await
    }

    /// Stops the server and starts a new one on the same data directory and storage.
    pub async fn restart(self) -> TestApp {
        self.handle.stop(true).await;
        let catalog = self.settings.catalog.url.clone();
        let TestApp { data_dir, s3, .. } = self;
        start(data_dir, s3, catalog, |_| {}).await
    }

    /// The stores this server's settings name, opened anew.
    pub async fn backends(&self) -> Backends {
        open_stores(&self.settings).await.expect("stores open")
    }

    /// Objects in the catalog and files in the object store (on local disk, temporary
    /// files included).
    pub async fn stored(&self) -> (i64, usize) {
        let rows = self.catalog.count_objects().await.expect("count");
        let files = match &self.s3 {
            None => count_files(&self.settings.storage_root()),
            Some(bucket) => self.bucket_keys(bucket, false).await,
        };
        (rows, files)
    }

    /// Files in the staging store.
    pub async fn staged(&self) -> usize {
        match &self.s3 {
            None => count_files(&self.settings.staging_root()),
            Some(bucket) => self.bucket_keys(bucket, true).await,
        }
    }

    async fn bucket_keys(&self, bucket: &S3Bucket, staging: bool) -> usize {
        let keys = bucket.server.keys(&bucket.name).await;
        keys.iter()
            .filter(|k| k.starts_with("imgate/.staging/") == staging)
            .count()
    }

    /// Makes the object store unusable: its directory or its bucket is removed.
    pub async fn break_storage(&self) {
        match &self.s3 {
            None => {
                std::fs::remove_dir_all(self.settings.storage_root()).expect("remove storage root")
            }
            Some(bucket) => {
                bucket
                    .server
                    .client()
                    .delete_bucket()
                    .bucket(&bucket.name)
                    .send()
                    .await
                    .expect("delete the empty bucket");
            }
        }
    }
}

pub fn upload_body(file_type: &str, biz_type: i64, bytes: &[u8]) -> Value {
    json!({
        "file_head": {"file_type": file_type, "biz_type": biz_type},
        "data": base64::engine::general_purpose::STANDARD.encode(bytes),
    })
}

pub fn fixture(relative: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// Files under `dir`, in every subdirectory (temporary files too).
pub fn count_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let path: PathBuf = e.path();
            if path.is_dir() { count_files(&path) } else { 1 }
        })
        .sum()
}

/// Asserts the contract's error shape and returns the message.
pub async fn assert_error(response: reqwest::Response, status: u16, code: u64) -> String {
    let got = response.status().as_u16();
    let body: Value = response.json().await.expect("error body is JSON");
    assert_eq!(got, status, "status; body: {body}");
    assert_eq!(body["code"], code, "code; body: {body}");
    assert!(
        body["request_id"].as_str().is_some_and(|id| !id.is_empty()),
        "request_id: {body}"
    );
    body["msg"].as_str().expect("msg").to_owned()
}

impl TestApp {
    /// Sends `GET path` exactly as written (no client-side normalisation of `..`) and
    /// answers the status code and the raw reply.
    pub async fn raw_get(&self, path: &str) -> (u16, String) {
        let host = self.address.trim_start_matches("http://").to_owned();
        let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        tokio::task::spawn_blocking(move || {
            use std::io::{Read, Write};
            let mut stream = std::net::TcpStream::connect(&host).expect("connect");
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(30)))
                .expect("timeout");
            stream.write_all(request.as_bytes()).expect("write");
            let mut reply = String::new();
            let _ = stream.read_to_string(&mut reply);
            let status = reply.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
            (status, reply)
        })
        .await
        .expect("raw client")
    }
}
