//! Serving stored objects: API.md section 5's headers, validators, ranges and signed URLs.

use imgate::auth::load_or_create_secret;
use imgate::cdn::UrlSigner;
use imgate::clock::unix_now;
use serde_json::Value;

use crate::helpers::{TestApp, assert_error, fixture, spawn_app, spawn_app_with};

async fn stored_url(app: &TestApp, ext: &str, biz: i64) -> (String, String) {
    let key = app.upload_key().await;
    let response = app
        .upload_file(&key, ext, biz, &fixture(&format!("files/sample.{ext}")))
        .await;
    let body: Value = response.json().await.expect("json");
    let data = &body["data"];
    (
        data["upload_url"].as_str().expect("url").to_owned(),
        data["upload_uri"].as_str().expect("uri").to_owned(),
    )
}

#[tokio::test]
async fn objects_are_served_with_the_contract_headers() {
    let app = spawn_app().await;
    let (url, _) = stored_url(&app, "png", 1).await;
    let png = fixture("files/sample.png");
    let response = app.client.get(&url).send().await.expect("get");
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(header("content-type"), "image/png");
    assert_eq!(header("content-length"), png.len().to_string());
    assert_eq!(
        header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(header("accept-ranges"), "bytes");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(
        header("etag").starts_with('"') && header("etag").len() == 34,
        "{}",
        header("etag")
    );
    assert!(header("last-modified").ends_with("GMT"));
    assert!(headers.get("content-disposition").is_none());
    assert_eq!(
        response.bytes().await.expect("body").as_ref(),
        png.as_slice()
    );
}

#[tokio::test]
async fn documents_are_attachments() {
    let app = spawn_app().await;
    let (url, uri) = stored_url(&app, "pdf", 2).await;
    let response = app.client.get(&url).send().await.expect("get");
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let name = uri.rsplit('/').next().expect("name");
    assert_eq!(disposition, format!("attachment; filename=\"{name}\""));
    assert_eq!(response.headers()["content-type"], "application/pdf");
}

#[tokio::test]
async fn validators_give_304() {
    let app = spawn_app().await;
    let (url, _) = stored_url(&app, "png", 1).await;
    let first = app.client.get(&url).send().await.expect("get");
    let etag = first.headers()["etag"].clone();
    let modified = first.headers()["last-modified"].clone();
    let again = app
        .get_with(&url, "if-none-match", etag.to_str().expect("ascii"))
        .await;
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag);
    assert!(again.bytes().await.expect("body").is_empty());
    let since = app
        .get_with(&url, "if-modified-since", modified.to_str().expect("ascii"))
        .await;
    assert_eq!(since.status(), 304);
    let other = app.get_with(&url, "if-none-match", "\"other\"").await;
    assert_eq!(other.status(), 200);
}

#[tokio::test]
async fn ranges_give_206_and_416() {
    let app = spawn_app().await;
    let (url, _) = stored_url(&app, "png", 1).await;
    let png = fixture("files/sample.png");
    let size = png.len();
    let part = app.get_with(&url, "range", "bytes=10-19").await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 10-19/{size}").as_str()
    );
    assert_eq!(part.headers()["content-length"], "10");
    assert_eq!(part.bytes().await.expect("body").as_ref(), &png[10..20]);
    let tail = app.get_with(&url, "range", "bytes=-5").await;
    assert_eq!(tail.bytes().await.expect("body").as_ref(), &png[size - 5..]);
    let beyond = app.get_with(&url, "range", &format!("bytes={size}-")).await;
    assert_eq!(beyond.status(), 416);
    assert_eq!(
        beyond.headers()["content-range"],
        format!("bytes */{size}").as_str()
    );
    let stale = app
        .client
        .get(&url)
        .header("range", "bytes=0-0")
        .header("if-range", "\"stale\"")
        .send()
        .await
        .expect("get");
    assert_eq!(
        stale.status(),
        200,
        "If-Range with another ETag sends everything"
    );
}

#[tokio::test]
async fn head_has_the_headers_and_no_body() {
    let app = spawn_app().await;
    let (url, _) = stored_url(&app, "png", 1).await;
    let response = app.client.head(&url).send().await.expect("head");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-length"],
        fixture("files/sample.png").len().to_string().as_str()
    );
    assert!(response.bytes().await.expect("body").is_empty());
}

#[tokio::test]
async fn only_reads_are_served_and_escaped_uris_name_the_same_object() {
    let app = spawn_app().await;
    let (url, uri) = stored_url(&app, "png", 1).await;
    let png = fixture("files/sample.png");
    // `BIZ_BOT_ICON/x.png` written as `BIZ%5FBOT%5FICON%2Fx.png`: one object either way.
    let escaped: String = uri
        .bytes()
        .map(|b| match b {
            b'_' | b'/' => format!("%{b:02X}"),
            _ => char::from(b).to_string(),
        })
        .collect();
    let prefix = &app.settings.cdn.path_prefix;
    let response = app
        .client
        .get(app.url(&format!("{prefix}/{escaped}")))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 200, "{escaped}");
    assert_eq!(
        response.bytes().await.expect("body").as_ref(),
        png.as_slice()
    );
    for method in [
        reqwest::Method::POST,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let response = app
            .client
            .request(method.clone(), &url)
            .send()
            .await
            .expect("send");
        assert_error(response, 404, 40400).await;
    }
    assert_eq!(app.raw_get(&format!("{prefix}/")).await.0, 404);
    assert_eq!(app.raw_get(prefix).await.0, 404);
}

#[tokio::test]
async fn paths_outside_the_store_are_404_and_read_nothing() {
    let app = spawn_app().await;
    let (url, _) = stored_url(&app, "png", 1).await;
    std::fs::write(app.data_dir.path().join("outside.txt"), "secret").expect("write");
    let prefix = &app.settings.cdn.path_prefix;
    for path in [
        format!("{prefix}/../outside.txt"),
        format!("{prefix}/%2e%2e/outside.txt"),
        format!("{prefix}/BIZ_BOT_ICON/..%2f..%2foutside.txt"),
        format!("{prefix}/..%5c..%5coutside.txt"),
        format!("{prefix}/BIZ_BOT_ICON/missing.png"),
        format!("{prefix}/secret"),
        format!("{prefix}/BIZ_BOT_ICON/../../outside.txt"),
    ] {
        let (status, body) = app.raw_get(&path).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(!body.contains("secret"), "{path} leaked: {body}");
    }
    assert_eq!(
        app.client.get(&url).send().await.expect("get").status(),
        200
    );
}

#[tokio::test]
async fn private_deployments_serve_signed_urls_only() {
    let app = spawn_app_with(|s| s.cdn.private = true).await;
    let (url, uri) = stored_url(&app, "png", 1).await;
    assert!(
        url.contains("x-expires=") && url.contains("x-signature="),
        "{url}"
    );
    let response = app.client.get(&url).send().await.expect("get");
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .expect("ascii")
            .starts_with("private, max-age=")
    );

    let unsigned = url.split('?').next().expect("path").to_owned();
    let msg = assert_error(
        app.client.get(&unsigned).send().await.expect("get"),
        403,
        40004,
    )
    .await;
    assert!(msg.contains("signed"), "{msg}");

    let tampered = url.replace("x-expires=", "x-expires=1");
    assert_error(
        app.client.get(&tampered).send().await.expect("get"),
        403,
        40004,
    )
    .await;

    let secret = load_or_create_secret(None, app.data_dir.path()).expect("secret");
    let (expires, signature) = UrlSigner::new(vec![secret], 60).sign(&uri, unix_now() - 120);
    let expired = format!("{unsigned}?x-expires={expires}&x-signature={signature}");
    let msg = assert_error(
        app.client.get(&expired).send().await.expect("get"),
        403,
        40004,
    )
    .await;
    assert!(msg.contains("expired"), "{msg}");
}

#[tokio::test]
async fn rotated_signing_secrets_keep_old_urls_working() {
    let app = spawn_app_with(|s| {
        s.cdn.private = true;
        s.cdn.signing_secrets = vec!["new-secret".into(), "old-secret".into()];
    })
    .await;
    let (url, uri) = stored_url(&app, "png", 1).await;
    assert_eq!(
        app.client.get(&url).send().await.expect("get").status(),
        200
    );
    let (expires, signature) =
        UrlSigner::new(vec![b"old-secret".to_vec()], 60).sign(&uri, unix_now());
    let base = url.split('?').next().expect("path");
    let old = format!("{base}?x-expires={expires}&x-signature={signature}");
    assert_eq!(
        app.client.get(&old).send().await.expect("get").status(),
        200
    );
    let (expires, signature) = UrlSigner::new(vec![b"retired".to_vec()], 60).sign(&uri, unix_now());
    let retired = format!("{base}?x-expires={expires}&x-signature={signature}");
    assert_eq!(
        app.client.get(&retired).send().await.expect("get").status(),
        403
    );
}
