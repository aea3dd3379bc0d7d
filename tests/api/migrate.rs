//! `imgate migrate`: a one-node deployment (SQLite, local disk) moved by the real binary to
//! a new PostgreSQL database and S3 bucket. A server on the destination serves every URL
//! the source handed out, knows its keys, sessions and saved commit answers, and takes new
//! uploads; a run killed part way finishes when run again without copying anything twice;
//! refused runs change nothing.

mod deployments;
mod requests;

use imgate::auth::Scope;
use serde_json::{Value, json};

use self::deployments::{
    Destination, SECRET, assert_same, count, every_object, migrate, source, started_until,
};
use self::requests::{get, listing, login, signed_in, staged_upload, upload, urls_of};
use crate::helpers::{TestApp, commit, run_ok};

/// What the source handed out before the migration, to be checked on the destination.
struct Before {
    key_id: i64,
    key: String,
    user_id: i64,
    cookie: String,
    /// Every URL handed out, with the bytes it served.
    served: Vec<(String, Vec<u8>)>,
    /// What the key lists.
    library: Vec<String>,
    /// A committed ImageX upload: StoreUri, SessionKey and the commit's answer.
    committed: (String, String, Value),
}

/// A key and a signed-in user upload an icon (with its variants), a photo, a document
/// and a committed ImageX file, and ask for a template variant; one more ImageX upload
/// stays uncommitted.
async fn populate(app: &TestApp) -> Before {
    let (key_id, key) = app
        .key_with(&[Scope::Upload, Scope::Read], None, None)
        .await;
    let (user_id, cookie) = signed_in(app, "ann@example.com").await;
    let bearer = format!("Bearer {key}");
    let by_key = ("authorization", bearer.as_str());
    let icon = upload(app, by_key, "files/sample.png", 1).await;
    let photo = upload(app, ("cookie", &cookie), "images/photo-progressive.jpg", 2).await;
    let document = upload(app, by_key, "files/sample.pdf", 2).await;
    let mut urls: Vec<String> = [&icon, &photo, &document]
        .into_iter()
        .flat_map(urls_of)
        .collect();
    let template = format!(
        "/api/objects/url?uri={}~tplv-imgate-crop:32:32.webp",
        photo["upload_uri"].as_str().expect("uri")
    );
    let (status, reply) = get(app, &app.url(&template), ("cookie", &cookie)).await;
    assert_eq!(status, 200);
    let reply: Value = serde_json::from_slice(&reply).expect("json");
    urls.push(reply["data"]["url"].as_str().expect("url").to_owned());
    let (store_uri, session) = staged_upload(app, &key).await;
    let (status, answer) = commit(app, &key, &session, &[&store_uri]).await;
    assert_eq!(status, 200, "{answer}");
    let plugin = &answer["Result"]["PluginResult"][0];
    urls.push(plugin["ImageUrl"].as_str().expect("url").to_owned());
    staged_upload(app, &key).await;
    let mut served = Vec::new();
    for url in urls {
        let (status, body) = get(app, &url, ("accept", "*/*")).await;
        assert_eq!(status, 200, "{url}");
        served.push((url, body));
    }
    app.settled().await;
    Before {
        library: listing(app, by_key).await,
        key_id,
        key,
        user_id,
        cookie,
        served,
        committed: (store_uri, session, answer),
    }
}

/// The destination serves the source's URLs (moved to its own base), knows its key, its
/// session and its commit's answer, and takes new uploads, keys and users.
async fn check_destination(target: &TestApp, source_base: &str, before: &Before) {
    for (url, bytes) in &before.served {
        let path = url.strip_prefix(source_base).expect("a URL of the source");
        let moved = format!("{}{path}", target.public_base);
        let (status, body) = get(target, &moved, ("accept", "*/*")).await;
        assert_eq!(status, 200, "{moved}");
        assert!(body == *bytes, "{moved} serves other bytes");
    }
    let bearer = format!("Bearer {}", before.key);
    let by_key = ("authorization", bearer.as_str());
    assert_eq!(
        listing(target, by_key).await,
        before.library,
        "the key still authenticates, and lists the same"
    );
    let me_url = target.url("/api/console/me");
    let (status, me) = get(target, &me_url, ("cookie", &before.cookie)).await;
    let me: Value = serde_json::from_slice(&me).expect("json");
    assert_eq!(
        (status, &me["data"]["email"]),
        (200, &json!("ann@example.com")),
        "{me}"
    );
    let (store_uri, session, answer) = &before.committed;
    let (status, again) = commit(target, &before.key, session, &[store_uri]).await;
    assert_eq!(status, 200, "{again}");
    for part in ["Results", "PluginResult"] {
        assert_eq!(
            again["Result"][part], answer["Result"][part],
            "a retried commit answers the same"
        );
    }
    upload(target, by_key, "files/sample.gif", 2).await;
    let (new_key, _) = target.key_with(&[Scope::Upload], None, None).await;
    assert!(
        new_key > before.key_id,
        "key {new_key} after {}",
        before.key_id
    );
    let (new_user, _) = signed_in(target, "bob@example.com").await;
    assert!(
        new_user > before.user_id,
        "user {new_user} after {}",
        before.user_id
    );
    login(target, "ann@example.com").await;
}

#[tokio::test]
async fn a_migrated_deployment_serves_and_authenticates_as_before() {
    let app = source().await;
    let before = populate(&app).await;
    assert_eq!(before.library.len(), 4, "{:?}", before.library);
    let objects = app.catalog.count_objects().await.expect("count");
    assert_eq!(
        objects,
        1 + 8 + 1 + 1 + 1 + 1,
        "icon, its variants, photo, template, document, commit"
    );

    let destination = Destination::new().await;
    let summary = run_ok(migrate(&app, &destination.settings_file()));
    for label in [
        "users:",
        "API keys:",
        "web sessions:",
        "upload sessions:",
        "uploads:",
    ] {
        assert_eq!(count(&summary, label, "copied"), 1, "{label}\n{summary}");
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
    check_destination(&target, &app.public_base, &before).await;
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
