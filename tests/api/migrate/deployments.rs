//! The two deployments of a migration test, and the command between them: a one-node
//! source, a destination of a new PostgreSQL database and S3 bucket with its settings
//! file, `imgate migrate` itself and what its summary says, and the comparison of the two.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use imgate::catalog::{Catalog, ObjectQuery, ObjectRecord};
use imgate::config::Backend;
use imgate::storage::{ObjectKey, S3Storage, read_all};
use tempfile::TempDir;

use crate::helpers::{S3Bucket, TestApp, new_database, spawn_app_with};

pub const SECRET: &str = "the-secret-both-deployments-share-0123456789";

/// A one-node, private deployment: SQLite and local disk whatever the suite runs on.
pub async fn source() -> TestApp {
    spawn_app_with(|s| {
        s.storage.backend = Backend::Local;
        s.catalog.url = None;
        s.auth.secret = Some(SECRET.into());
        s.cdn.private = true;
    })
    .await
}

/// A new PostgreSQL database and S3 bucket, and the settings file that names them.
pub struct Destination {
    pub url: String,
    pub bucket: Arc<S3Bucket>,
    dir: TempDir,
}

impl Destination {
    pub async fn new() -> Self {
        Self {
            url: new_database().await,
            bucket: S3Bucket::shared().await,
            dir: tempfile::tempdir().expect("dir"),
        }
    }

    /// A settings file naming `catalog`, the `storage` sections given and `secret`.
    pub fn file(&self, name: &str, catalog: &str, storage: &str, secret: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        let text =
            format!("[catalog]\nurl = \"{catalog}\"\n\n{storage}\n[auth]\nsecret = \"{secret}\"\n");
        std::fs::write(&path, text).expect("write settings");
        path
    }

    pub fn s3_section(&self) -> String {
        let s3 = self.bucket.server.settings(&self.bucket.name);
        format!(
            "[storage]\nbackend = \"s3\"\n\n[storage.s3]\nbucket = \"{}\"\nendpoint = \"{}\"\n\
             path_style = true\nprefix = \"{}\"\naccess_key_id = \"{}\"\nsecret_access_key = \"{}\"\n",
            s3.bucket,
            s3.endpoint.as_deref().expect("endpoint"),
            s3.prefix,
            s3.access_key_id.as_deref().expect("id"),
            s3.secret_access_key.as_deref().expect("secret"),
        )
    }

    /// The settings file of this destination, with the shared secret.
    pub fn settings_file(&self) -> PathBuf {
        self.file("dest.toml", &self.url, &self.s3_section(), SECRET)
    }

    /// A server on the destination, with the source's secret.
    pub async fn serve(&self) -> TestApp {
        let (url, s3) = (
            self.url.clone(),
            self.bucket.server.settings(&self.bucket.name),
        );
        spawn_app_with(move |s| {
            s.catalog.url = Some(url);
            s.storage.backend = Backend::S3;
            s.storage.s3 = s3;
            s.auth.secret = Some(SECRET.into());
            s.cdn.private = true;
        })
        .await
    }

    pub async fn catalog(&self) -> Catalog {
        Catalog::connect(&self.url, 2)
            .await
            .expect("destination catalog")
    }

    /// Keys in the bucket, without the store's prefix.
    pub async fn keys(&self) -> Vec<String> {
        let keys = self.bucket.server.keys(&self.bucket.name).await;
        keys.iter()
            .filter_map(|k| k.strip_prefix("imgate/"))
            .filter(|k| !k.starts_with('.'))
            .map(str::to_owned)
            .collect()
    }
}

/// `imgate migrate --to FILE` on the source's data directory, with its secret.
pub fn migrate(app: &TestApp, file: &Path) -> Command {
    let file = file.to_str().expect("a UTF-8 path");
    let mut command = app.imgate(&["migrate", "--to", file]);
    command
        .env("IMGATE__AUTH__SECRET", SECRET)
        .env("IMGATE__CDN__PRIVATE", "true");
    command
}

/// The number just before `word` on the summary line that starts with `label`.
pub fn count(summary: &str, label: &str, word: &str) -> u64 {
    let line = summary
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no `{label}` line in:\n{summary}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words
        .iter()
        .position(|w| w.trim_matches(|c: char| !c.is_alphanumeric()) == word)
        .unwrap_or_else(|| panic!("no `{word}` in `{line}`"));
    words[at - 1]
        .trim_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .unwrap_or_else(|_| panic!("no number before `{word}` in `{line}`"))
}

/// Every object a catalog records, originals and variants, by URI.
pub async fn every_object(catalog: &Catalog) -> Vec<ObjectRecord> {
    let query = ObjectQuery {
        limit: 200,
        ..ObjectQuery::default()
    };
    let originals = catalog.list_originals(&query).await.expect("originals");
    let uris: Vec<String> = originals.iter().map(|o| o.uri.clone()).collect();
    let mut all = catalog.variants_of_many(&uris).await.expect("variants");
    all.extend(originals);
    all.sort_by(|a, b| a.uri.cmp(&b.uri));
    all
}

/// The destination records what the source does, and its store holds the same bytes.
pub async fn assert_same(app: &TestApp, destination: &Destination) {
    let theirs = every_object(&app.catalog).await;
    let ours = every_object(&destination.catalog().await).await;
    assert_eq!(ours, theirs, "the destination's records are the source's");
    let bucket = &destination.bucket;
    let store = S3Storage::connect(&bucket.server.settings(&bucket.name))
        .await
        .expect("store");
    let source = app.backends().await.objects;
    for object in &theirs {
        let key = ObjectKey::parse(&object.uri).expect("key");
        let copied = read_all(&store, &key).await.expect("copied bytes");
        let original = read_all(source.as_ref(), &key).await.expect("source bytes");
        assert!(copied == original, "{} differs", object.uri);
    }
    let mut keys = destination.keys().await;
    keys.sort();
    let uris: Vec<String> = theirs.iter().map(|o| o.uri.clone()).collect();
    assert_eq!(keys, uris, "the bucket holds the objects and nothing else");
}

/// Starts `command` and waits until it writes `text` on stderr; answers the process.
pub async fn started_until(mut command: Command, text: &str) -> std::process::Child {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("imgate starts");
    let stderr = child.stderr.take().expect("stderr");
    let log = Arc::new(std::sync::Mutex::new(String::new()));
    let writer = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(mut log) = writer.lock() {
                log.push_str(&line);
                log.push('\n');
            }
        }
    });
    let mut written = false;
    for _ in 0..600 {
        written = log.lock().is_ok_and(|l| l.contains(text));
        if written {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    if !written {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "imgate never wrote `{text}`; it wrote:\n{}",
            log.lock().expect("log")
        );
    }
    child
}
