//! The S3 backend against a real S3 server: the storage contract, chunked uploads that
//! never touch the local disk, presigned redirects, settings from the environment, and an
//! outage in the middle of work.

use std::sync::Arc;

use imgate::catalog::UploadState;
use imgate::storage::{S3Storage, ServeMode, Storage, StorageError};

use crate::helpers::{
    S3Bucket, S3Server, apply, assert_error, chunked, commit, commit_request, fixture, host,
    host_json, retry_after, serve_in, spawn_app_on_s3, store_info, text_of, upload_with_new_key,
};
use crate::storage::contract;

#[tokio::test]
async fn s3_keeps_the_storage_contract() {
    // A server of its own, to look for multipart leftovers in its files.
    let bucket = S3Bucket::new(S3Server::start()).await;
    let storage = S3Storage::connect(&bucket.server.settings(&bucket.name))
        .await
        .expect("client");
    contract(&storage).await;
    let keys = bucket.server.keys(&bucket.name).await;
    assert!(
        keys.iter().all(|k| k.starts_with("imgate/")),
        "every key is under the prefix: {keys:?}"
    );
    assert_eq!(
        bucket.server.pending_parts(),
        0,
        "a failed multipart upload is aborted"
    );
}

#[tokio::test]
async fn a_missing_bucket_makes_the_store_unavailable() {
    let server = S3Server::shared_or_new();
    let storage = S3Storage::connect(&server.settings("no-such-bucket-here"))
        .await
        .expect("client");
    let check = storage.check().await;
    assert!(
        matches!(&check, Err(StorageError::Unavailable(why)) if why.contains("404")),
        "{check:?}"
    );
}

#[tokio::test]
async fn chunked_uploads_stage_their_parts_in_the_bucket() {
    let app = spawn_app_on_s3(S3Bucket::shared().await, |_| {}).await;
    let key = app.upload_key().await;
    let bytes = text_of(12 * 1024 * 1024 + 123);
    chunked(
        &app,
        &key,
        &bytes,
        5 * 1024 * 1024,
        1,
        reqwest::Method::POST,
    )
    .await;
    assert_eq!(app.stored().await, (1, 1));
}

#[tokio::test]
async fn redirect_mode_answers_presigned_urls() {
    let app = spawn_app_on_s3(S3Bucket::shared().await, |s| {
        s.storage.s3.serve = ServeMode::Redirect;
    })
    .await;
    let key = app.upload_key().await;
    let png = fixture("files/sample.png");
    let reply = app.upload_file_json(&key, "png", 1, &png).await;
    let url = reply["data"]["upload_url"].as_str().expect("url");
    let response = app.client.get(url).send().await.expect("get");
    assert_eq!(response.status(), 307);
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("etag")
        .to_owned();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_owned();
    let endpoint = app.settings.storage.s3.endpoint.clone().expect("endpoint");
    assert!(location.starts_with(&endpoint), "{location}");
    assert!(location.contains("X-Amz-Signature="), "{location}");
    assert!(
        location.contains("response-content-type=image%2Fpng"),
        "the store is asked for imgate's headers: {location}"
    );
    let direct = reqwest::get(&location).await.expect("presigned get");
    assert_eq!(direct.status(), 200);
    assert_eq!(
        direct.bytes().await.expect("bytes").as_ref(),
        png.as_slice()
    );
    assert_eq!(
        app.get_with(url, "if-none-match", &etag).await.status(),
        304,
        "validators are still answered here"
    );
    let head = app.client.head(url).send().await.expect("head");
    assert_eq!(head.status(), 200, "HEAD is answered here");
    assert_eq!(
        head.headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok()),
        Some(png.len().to_string().as_str())
    );
}

#[tokio::test]
async fn presigned_urls_expire_no_later_than_the_signed_url() {
    let app = spawn_app_on_s3(S3Bucket::shared().await, |s| {
        s.storage.s3.serve = ServeMode::Redirect;
        s.cdn.private = true;
        s.cdn.url_ttl = imgate::config::Duration::from_secs(60);
    })
    .await;
    let key = app.upload_key().await;
    let reply = app
        .upload_file_json(&key, "png", 1, &fixture("files/sample.png"))
        .await;
    let signed = reply["data"]["upload_url"].as_str().expect("url");
    let response = app.client.get(signed).send().await.expect("get");
    assert_eq!(response.status(), 307);
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location");
    let lifetime: u64 = location
        .split(['?', '&'])
        .find_map(|pair| pair.strip_prefix("X-Amz-Expires="))
        .and_then(|v| v.parse().ok())
        .expect("X-Amz-Expires");
    assert!(
        (1..=60).contains(&lifetime),
        "15 minutes by default, but the signed URL has a minute left: {lifetime}s"
    );
}

/// The README's S3 setup: `imgate serve` configured by environment variables only, with
/// credentials from the SDK's standard chain.
#[tokio::test]
async fn serve_takes_s3_settings_from_the_environment() {
    let bucket = S3Bucket::shared().await;
    let server = &bucket.server;
    let cwd = tempfile::tempdir().expect("cwd");
    let (_serve, base) = serve_in(
        cwd.path(),
        &[
            ("IMGATE__STORAGE__BACKEND", "s3"),
            ("IMGATE__STORAGE__S3__BUCKET", &bucket.name),
            ("IMGATE__STORAGE__S3__ENDPOINT", &server.endpoint),
            ("IMGATE__STORAGE__S3__PATH_STYLE", "true"),
            ("IMGATE__STORAGE__S3__PREFIX", "env/"),
            ("AWS_ACCESS_KEY_ID", &server.access_key),
            ("AWS_SECRET_ACCESS_KEY", &server.secret_key),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let ready = client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
    let (_, reply) = upload_with_new_key(cwd.path(), &base).await;
    let uri = reply["data"]["uri"].as_str().expect("uri");
    let keys = server.keys(&bucket.name).await;
    assert!(keys.contains(&format!("env/{uri}")), "{keys:?}");
    assert!(
        !cwd.path().join("data/objects").exists(),
        "nothing is stored on local disk"
    );
}

/// The S3 server stops in the middle of work: uploads and reads answer a retryable 503,
/// nothing half-done is recorded, `/readyz` says why, and all is well once it is back.
#[tokio::test]
async fn an_s3_outage_is_a_retryable_503_that_records_nothing() {
    let bucket = Arc::new(S3Bucket::new(S3Server::start()).await);
    let app = spawn_app_on_s3(bucket.clone(), |s| {
        // Reads must reach the store, not a copy in memory.
        s.cdn.memory_cache_bytes = 0;
        s.cdn.memory_cache_entries = 0;
    })
    .await;
    let key = app.upload_key().await;
    let png = fixture("files/sample.png");
    let reply = app.upload_file_json(&key, "png", 1, &png).await;
    let stored_uri = reply["data"]["uri"].as_str().expect("uri").to_owned();
    let served = format!("{}/{stored_uri}", app.public_base);
    // An ImageX upload whose bytes arrived before the outage, to commit during it.
    let (_, applied) = apply(&app, &key, "&BizType=2&FileExtension=txt").await;
    let (uri, auth, _) = store_info(&applied, 0);
    let text = text_of(1000);
    let request = host(&app, reqwest::Method::POST, &uri, "", &auth).body(text.clone());
    assert_eq!(host_json(request).await.0, 200);
    let session = applied["Result"]["UploadAddress"]["SessionKey"]
        .as_str()
        .expect("SessionKey")
        .to_owned();
    let before = app.stored().await;

    bucket.server.stop();

    let response = app.upload_file(&key, "png", 1, &png).await;
    assert_eq!(retry_after(&response), Some("5"));
    assert_error(response, 503, 50003).await;
    let response = commit_request(&app, &key, &session, &[&uri])
        .send()
        .await
        .expect("commit");
    assert_eq!(response.status(), 503);
    assert_eq!(retry_after(&response), Some("5"), "the commit's 503");
    let committed: serde_json::Value = response.json().await.expect("json");
    assert_eq!(
        committed["ResponseMetadata"]["Error"]["CodeN"], 50003,
        "{committed}"
    );
    let (_, second) = apply(&app, &key, "&BizType=2&FileExtension=txt").await;
    let (uri2, auth2, _) = store_info(&second, 0);
    let response = host(&app, reqwest::Method::POST, &uri2, "", &auth2)
        .body(text.clone())
        .send()
        .await
        .expect("upload host");
    assert_eq!(response.status(), 503, "the upload host cannot stage bytes");
    assert_eq!(retry_after(&response), Some("5"), "the upload host's 503");
    let waiting = app.catalog.find_upload(&uri2).await.expect("catalog");
    assert_eq!(
        waiting.map(|u| u.state),
        Some(UploadState::Pending),
        "the upload is not marked received"
    );
    for url in [
        served.clone(),
        format!("{served}~tplv-imgate-resize:32:32.webp"),
    ] {
        let response = app.client.get(&url).send().await.expect("get");
        assert_eq!(response.status(), 503, "{url}");
    }
    let delete = app
        .client
        .delete(app.url(&format!("/api/common/upload/object/{stored_uri}")))
        .bearer_auth(&key)
        .send()
        .await
        .expect("delete");
    assert_error(delete, 503, 50003).await;
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 503);
    assert!(
        body["storage"]
            .as_str()
            .is_some_and(|s| s.starts_with("down")),
        "{body}"
    );
    assert_eq!(
        app.catalog.count_objects().await.expect("count"),
        before.0,
        "nothing recorded during the outage"
    );

    bucket.server.resume();
    let (status, committed) = commit(&app, &key, &session, &[&uri]).await;
    assert_eq!(status, 200, "the commit goes through on retry: {committed}");
    assert_eq!(
        app.client.get(&served).send().await.expect("get").status(),
        200
    );
    assert_eq!(app.get_json("/readyz").await.0, 200);
    assert_eq!(
        app.stored().await,
        (before.0 + 1, before.1 + 1),
        "catalog and bucket agree: the committed file and nothing else"
    );
}
