//! `imgate migrate`: a one-node deployment (SQLite, local disk) moved by the real binary to
//! a new PostgreSQL database and S3 bucket. A server on the destination serves every URL
//! the source handed out, knows its keys, sessions and saved commit answers, and takes new
//! uploads; a run killed part way finishes when run again without copying anything twice;
//! refused runs change nothing.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use imgate::auth::{Scope, hash_password};
use imgate::catalog::{Catalog, ObjectQuery, ObjectRecord};
use imgate::config::Backend;
use imgate::storage::{ObjectKey, S3Storage, read_all};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::helpers::{
    S3Bucket, TestApp, apply, commit, crc_hex, fixture, host, host_json, new_database, run_ok,
    session_key, spawn_app_with, store_info, text_of, upload_body,
};

const SECRET: &str = "the-secret-both-deployments-share-0123456789";

/// A one-node, private deployment: SQLite and local disk whatever the suite runs on.
async fn source() -> TestApp {
    spawn_app_with(|s| {
        s.storage.backend = Backend::Local;
        s.catalog.url = None;
        s.auth.secret = Some(SECRET.into());
        s.cdn.private = true;
    })
    .await
}

/// A new PostgreSQL database and S3 bucket, and the settings file that names them.
struct Destination {
    url: String,
    bucket: Arc<S3Bucket>,
    dir: TempDir,
}

impl Destination {
    async fn new() -> Self {
        Self {
            url: new_database().await,
            bucket: S3Bucket::shared().await,
            dir: tempfile::tempdir().expect("dir"),
        }
    }

    /// A settings file: the destination's catalog and store, with `extra` TOML after.
    fn file(&self, name: &str, catalog: &str, storage: &str, secret: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        let text =
            format!("[catalog]\nurl = \"{catalog}\"\n\n{storage}\n[auth]\nsecret = \"{secret}\"\n");
        std::fs::write(&path, text).expect("write settings");
        path
    }

    fn s3_section(&self) -> String {
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
    fn settings_file(&self) -> PathBuf {
        self.file("dest.toml", &self.url, &self.s3_section(), SECRET)
    }

    /// A server on the destination, with the source's secret.
    async fn serve(&self) -> TestApp {
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

    async fn catalog(&self) -> Catalog {
        Catalog::connect(&self.url, 2)
            .await
            .expect("destination catalog")
    }

    /// Keys in the bucket, without the store's prefix.
    async fn keys(&self) -> Vec<String> {
        let keys = self.bucket.server.keys(&self.bucket.name).await;
        keys.iter()
            .filter_map(|k| k.strip_prefix("imgate/"))
            .filter(|k| !k.starts_with('.'))
            .map(str::to_owned)
            .collect()
    }
}

/// `imgate migrate --to FILE` on the source's data directory, with its secret.
fn migrate(app: &TestApp, file: &Path) -> Command {
    let file = file.to_str().expect("a UTF-8 path");
    let mut command = app.imgate(&["migrate", "--to", file]);
    command
        .env("IMGATE__AUTH__SECRET", SECRET)
        .env("IMGATE__CDN__PRIVATE", "true");
    command
}

/// The number just before `word` on the summary line that starts with `label`.
fn count(summary: &str, label: &str, word: &str) -> u64 {
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

/// A web user signed in on `app`: their id and session cookie.
async fn signed_in(app: &TestApp, email: &str) -> (i64, String) {
    let hash = hash_password("a-long-password").expect("hash");
    let id = app.catalog.insert_user(email, &hash).await.expect("user");
    (id, login(app, email).await)
}

async fn login(app: &TestApp, email: &str) -> String {
    let response = app
        .client
        .post(app.url("/api/passport/web/email/login/"))
        .json(&json!({"email": email, "password": "a-long-password"}))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 200);
    let set_cookie = response.headers()["set-cookie"].to_str().expect("ascii");
    set_cookie.split(';').next().expect("cookie").to_owned()
}

/// `GET url` with `header`: the status and the body.
async fn get(app: &TestApp, url: &str, header: (&str, &str)) -> (u16, Vec<u8>) {
    let response = app
        .client
        .get(url)
        .header(header.0, header.1)
        .send()
        .await
        .expect("get");
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("body").to_vec())
}

/// A Base64 upload by `header` (a key or a cookie); answers `data`.
async fn upload(app: &TestApp, header: (&str, &str), file: &str, biz: i64) -> Value {
    let ext = file.rsplit('.').next().expect("ext");
    let response = app
        .client
        .post(app.url("/api/bot/upload_file"))
        .header(header.0, header.1)
        .json(&upload_body(ext, biz, &fixture(file)))
        .send()
        .await
        .expect("upload");
    let reply: Value = response.json().await.expect("json");
    assert_eq!(reply["code"], 0, "{reply}");
    reply["data"].clone()
}

/// The URL of an upload and those of its variants.
fn urls_of(data: &Value) -> Vec<String> {
    let variants = data["variants"].as_array().expect("variants");
    std::iter::once(&data["upload_url"])
        .chain(variants.iter().map(|v| &v["url"]))
        .map(|url| url.as_str().expect("url").to_owned())
        .collect()
}

/// Applies for a text file and sends it to the upload host: its StoreUri and SessionKey.
async fn staged_upload(app: &TestApp, key: &str) -> (String, String) {
    let text = text_of(3000);
    let (status, reply) = apply(app, key, "&BizType=2&FileExtension=txt").await;
    assert_eq!(status, 200, "{reply}");
    let (uri, auth, _) = store_info(&reply, 0);
    let put = host(app, reqwest::Method::POST, &uri, "", &auth)
        .header("content-crc32", crc_hex(&text))
        .body(text);
    let (status, body) = host_json(put).await;
    assert_eq!(status, 200, "{body}");
    (uri, session_key(&reply))
}

/// The URIs `GET /api/objects` lists for the caller.
async fn listing(app: &TestApp, header: (&str, &str)) -> Vec<String> {
    let (status, body) = get(app, &app.url("/api/objects"), header).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let body: Value = serde_json::from_slice(&body).expect("json");
    let objects = body["data"]["objects"].as_array().expect("objects");
    objects
        .iter()
        .map(|o| o["uri"].as_str().expect("uri").to_owned())
        .collect()
}

/// Every object a catalog records, originals and variants, by URI.
async fn every_object(catalog: &Catalog) -> Vec<ObjectRecord> {
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
async fn assert_same(app: &TestApp, destination: &Destination) {
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

#[tokio::test]
async fn a_migrated_deployment_serves_and_authenticates_as_before() {
    let app = source().await;
    let (key_id, key) = app
        .key_with(&[Scope::Upload, Scope::Read], None, None)
        .await;
    let (user_id, cookie) = signed_in(&app, "ann@example.com").await;
    let bearer = format!("Bearer {key}");
    let by_key = ("authorization", bearer.as_str());
    let icon = upload(&app, by_key, "files/sample.png", 1).await;
    let photo = upload(&app, ("cookie", &cookie), "images/photo-progressive.jpg", 2).await;
    let document = upload(&app, by_key, "files/sample.pdf", 2).await;
    let mut urls: Vec<String> = [&icon, &photo, &document]
        .into_iter()
        .flat_map(urls_of)
        .collect();
    let template = format!(
        "/api/objects/url?uri={}~tplv-imgate-crop:32:32.webp",
        photo["upload_uri"].as_str().expect("uri")
    );
    let (status, reply) = get(&app, &app.url(&template), ("cookie", &cookie)).await;
    assert_eq!(status, 200);
    let reply: Value = serde_json::from_slice(&reply).expect("json");
    urls.push(reply["data"]["url"].as_str().expect("url").to_owned());
    let (store_uri, session) = staged_upload(&app, &key).await;
    let (status, committed) = commit(&app, &key, &session, &[&store_uri]).await;
    assert_eq!(status, 200, "{committed}");
    let plugin = &committed["Result"]["PluginResult"][0];
    urls.push(plugin["ImageUrl"].as_str().expect("url").to_owned());
    staged_upload(&app, &key).await;
    let mut served = Vec::new();
    for url in &urls {
        let (status, body) = get(&app, url, ("accept", "*/*")).await;
        assert_eq!(status, 200, "{url}");
        served.push(body);
    }
    let library = listing(&app, by_key).await;
    assert_eq!(library.len(), 4, "{library:?}");
    let objects = app.catalog.count_objects().await.expect("count");
    assert_eq!(
        objects,
        1 + 8 + 1 + 1 + 1 + 1,
        "icon, its variants, photo, template, document, commit"
    );

    let destination = Destination::new().await;
    let summary = run_ok(migrate(&app, &destination.settings_file()));
    for (label, rows) in [
        ("users:", 1),
        ("API keys:", 1),
        ("web sessions:", 1),
        ("upload sessions:", 1),
        ("uploads:", 1),
    ] {
        assert_eq!(count(&summary, label, "copied"), rows, "{label}\n{summary}");
    }
    assert_eq!(
        count(&summary, "objects:", "copied"),
        objects as u64,
        "{summary}"
    );
    assert_eq!(count(&summary, "objects:", "skipped"), 0, "{summary}");
    assert_eq!(count(&summary, "left behind:", "upload"), 1, "{summary}");
    assert_same(&app, &destination).await;

    let target = destination.serve().await;
    for (url, bytes) in urls.iter().zip(&served) {
        let path = url
            .strip_prefix(&app.public_base)
            .expect("a URL of the source");
        let moved = format!("{}{path}", target.public_base);
        let (status, body) = get(&target, &moved, ("accept", "*/*")).await;
        assert_eq!(status, 200, "{moved}");
        assert!(body == *bytes, "{moved} serves other bytes");
    }
    assert_eq!(
        listing(&target, by_key).await,
        library,
        "the key still authenticates, and lists the same"
    );
    let (status, me) = get(&target, &target.url("/api/console/me"), ("cookie", &cookie)).await;
    let me: Value = serde_json::from_slice(&me).expect("json");
    assert_eq!(
        (status, &me["data"]["email"]),
        (200, &json!("ann@example.com")),
        "{me}"
    );
    let (status, again) = commit(&target, &key, &session, &[&store_uri]).await;
    assert_eq!(status, 200, "{again}");
    for part in ["Results", "PluginResult"] {
        assert_eq!(
            again["Result"][part], committed["Result"][part],
            "a retried commit answers the same"
        );
    }

    upload(&target, by_key, "files/sample.gif", 2).await;
    let (new_key, _) = target.key_with(&[Scope::Upload], None, None).await;
    assert!(new_key > key_id, "key {new_key} after {key_id}");
    let (new_user, _) = signed_in(&target, "bob@example.com").await;
    assert!(new_user > user_id, "user {new_user} after {user_id}");
    login(&target, "ann@example.com").await;
}

/// Starts `command` and waits until it writes `text` on stderr; answers the process.
async fn started_until(mut command: Command, text: &str) -> std::process::Child {
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

#[tokio::test]
async fn a_run_killed_part_way_finishes_when_run_again_and_copies_nothing_twice() {
    let app = source().await;
    let (key_id, key) = app.key_with(&[Scope::Upload], None, None).await;
    let bearer = format!("Bearer {key}");
    let by_key = ("authorization", bearer.as_str());
    upload(&app, by_key, "files/sample.png", 1).await;
    let destination = Destination::new().await;
    let file = destination.settings_file();
    let first = run_ok(migrate(&app, &file));
    assert_eq!(count(&first, "objects:", "copied"), 9, "{first}");

    let added = [
        upload(&app, by_key, "images/photo-progressive.jpg", 2).await,
        upload(&app, by_key, "files/sample.pdf", 2).await,
    ];
    app.catalog.revoke_api_key(key_id).await.expect("revoke");
    let mut interrupted = migrate(&app, &file);
    interrupted
        .args(["--concurrency", "1"])
        .env("IMGATE_PAUSE_AT", "migrate:copied");
    let mut child = started_until(interrupted, "paused at migrate:copied").await;
    child.kill().expect("kill -9");
    child.wait().expect("reaped");
    let to = destination.catalog().await;
    assert_eq!(
        to.count_objects().await.expect("count"),
        9,
        "no row for the copy"
    );
    assert_eq!(destination.keys().await.len(), 10, "the bytes of one more");

    let last = run_ok(migrate(&app, &file));
    assert_eq!(count(&last, "objects:", "skipped"), 9, "{last}");
    assert_eq!(count(&last, "objects:", "copied"), 2, "{last}");
    assert_eq!(count(&last, "objects:", "of"), 1, "not sent again: {last}");
    let sizes: Vec<u64> = added
        .iter()
        .map(|d| d["size"].as_u64().expect("size"))
        .collect();
    let sent = count(&last, "bytes:", "sent");
    assert!(
        sizes.contains(&sent),
        "only the other one's bytes were sent: {sent} of {sizes:?}"
    );
    assert_eq!(count(&last, "users:", "copied"), 0, "{last}");
    assert_eq!(count(&last, "API keys:", "already"), 1, "{last}");
    assert_same(&app, &destination).await;
    let copied = to.find_api_key_by_id(key_id).await.expect("key");
    assert!(
        copied.is_some_and(|k| k.revoked_at.is_some()),
        "a key revoked between runs is revoked in the destination"
    );
}

#[tokio::test]
async fn refused_runs_change_nothing() {
    let app = source().await;
    let key = app.upload_key().await;
    upload(
        &app,
        ("authorization", &format!("Bearer {key}")),
        "files/sample.png",
        1,
    )
    .await;
    let destination = Destination::new().await;
    let own_catalog = format!(
        "sqlite://{}",
        app.data_dir.path().join("imgate.db").display()
    );
    let own_store = format!(
        "[storage]\nbackend = \"local\"\nroot = \"{}\"\n",
        app.settings.storage_root().display()
    );
    let s3 = destination.s3_section();
    let cases = [
        (
            destination.file("a.toml", &own_catalog, &s3, SECRET),
            "catalog.url",
        ),
        (
            destination.file("b.toml", &destination.url, &own_store, SECRET),
            "object store",
        ),
        (
            destination.file(
                "c.toml",
                &destination.url,
                &s3,
                &"another-secret-".repeat(3),
            ),
            "auth.secret",
        ),
    ];
    let before = every_object(&app.catalog).await;
    let files_before = crate::helpers::count_files(&app.settings.storage_root());
    for (file, says) in cases {
        let output = migrate(&app, &file).output().expect("imgate runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{file:?} was not refused");
        assert!(
            stderr.contains("refused") && stderr.contains(says),
            "{says}: {stderr}"
        );
    }
    assert_eq!(every_object(&app.catalog).await, before);
    assert_eq!(
        crate::helpers::count_files(&app.settings.storage_root()),
        files_before
    );
    assert!(
        destination.keys().await.is_empty(),
        "nothing went to the bucket"
    );
    let database = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&destination.url)
        .await
        .expect("connect");
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&database)
    .await
    .expect("tables");
    assert_eq!(tables, 0, "the destination database was not even migrated");
}
