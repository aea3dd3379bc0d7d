//! Template URLs: each template and format, caching (miss then hit, made once under
//! concurrency), format negotiation, validators, signatures, bad URLs, and deletion.

use serde_json::Value;

use crate::helpers::{TestApp, assert_error, spawn_app, spawn_app_with};

/// Status, cache header, decoded size and format of a variant.
async fn inspect(
    app: &TestApp,
    url: &str,
    accept: Option<&str>,
) -> (u16, String, (u32, u32), image::ImageFormat) {
    let response = app.get_accepting(url, accept).await;
    let status = response.status().as_u16();
    let cache = response
        .headers()
        .get("x-imgate-cache")
        .map(|v| v.to_str().expect("ascii").to_owned())
        .unwrap_or_default();
    let bytes = response.bytes().await.expect("bytes");
    assert_eq!(status, 200, "{url}: {}", String::from_utf8_lossy(&bytes));
    let format = image::guess_format(&bytes).expect("an image");
    let decoded = image::load_from_memory(&bytes).expect("decodes");
    (status, cache, (decoded.width(), decoded.height()), format)
}

#[tokio::test]
async fn each_template_and_format_gives_its_size_and_format() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let uri = app.uploaded(&key, "images/photo-progressive.jpg", 2).await;
    use image::ImageFormat::{Jpeg, Png, WebP};
    let cases = [
        ("resize:256:256.webp", (256, 192), WebP),
        ("resize:100:300.png", (100, 75), Png),
        ("resize:2000:2000.jpeg", (640, 480), Jpeg),
        ("crop:100:100.png", (100, 100), Png),
        ("crop:300:100.webp", (300, 100), WebP),
        ("crop:800:400.jpeg", (640, 320), Jpeg),
        ("noop.image", (640, 480), Jpeg),
    ];
    for (template, size, format) in cases {
        let url = app.variant_url(&uri, template);
        let (_, cache, got_size, got_format) = inspect(&app, &url, None).await;
        assert_eq!((got_size, got_format), (size, format), "{template}");
        assert_eq!(cache, "miss", "{template}: the first request makes it");
        let (_, cache, ..) = inspect(&app, &url, None).await;
        assert_eq!(
            cache, "hit",
            "{template}: the second is served from storage"
        );
    }
}

#[tokio::test]
async fn auto_negotiates_from_accept_and_caches_each_format() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let uri = app.uploaded(&key, "images/photo-progressive.jpg", 2).await;
    let url = app.variant_url(&uri, "resize:64:64.auto");
    let browser = "image/webp,image/*,*/*;q=0.8";
    let response = app.get_accepting(&url, Some(browser)).await;
    assert_eq!(response.headers()["vary"], "Accept");
    assert_eq!(response.headers()["content-type"], "image/webp");
    let response = app.get_accepting(&url, Some("image/jpeg")).await;
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    assert_eq!(
        response.headers()["x-imgate-cache"],
        "miss",
        "each format is made and cached apart"
    );
    let response = app.get_accepting(&url, Some(browser)).await;
    assert_eq!(response.headers()["x-imgate-cache"], "hit");
}

#[tokio::test]
async fn fifty_concurrent_first_requests_make_it_once() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let uri = app.uploaded(&key, "images/photo-12mp.jpg", 2).await;
    let url = app.variant_url(&uri, "resize:256:256.webp");
    let requests = (0..50).map(|_| {
        let (client, url) = (app.client.clone(), url.clone());
        tokio::spawn(async move {
            let response = client.get(&url).send().await.expect("get");
            let cache = response.headers()["x-imgate-cache"]
                .to_str()
                .expect("ascii")
                .to_owned();
            let etag = response.headers()["etag"]
                .to_str()
                .expect("ascii")
                .to_owned();
            (response.status().as_u16(), cache, etag)
        })
    });
    let mut answers = Vec::new();
    for request in requests {
        answers.push(request.await.expect("joined"));
    }
    assert!(answers.iter().all(|(status, ..)| *status == 200));
    assert_eq!(
        answers
            .iter()
            .filter(|(_, cache, _)| cache == "miss")
            .count(),
        1,
        "made once"
    );
    assert!(
        answers.iter().all(|(.., etag)| *etag == answers[0].2),
        "everyone got the same file"
    );
    let variants = app.catalog.variants_of(&uri).await.expect("catalog");
    assert_eq!(variants.len(), 1, "{variants:?}");
}

#[tokio::test]
async fn variants_answer_304_206_and_416() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let uri = app.uploaded(&key, "images/photo-progressive.jpg", 2).await;
    let url = app.variant_url(&uri, "crop:64:64.png");
    let first = app.get_accepting(&url, None).await;
    let etag = first.headers()["etag"].clone();
    assert_eq!(
        first.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let size = first.bytes().await.expect("bytes").len();
    let again = app
        .get_with(&url, "if-none-match", etag.to_str().expect("ascii"))
        .await;
    assert_eq!(again.status(), 304);
    let part = app.get_with(&url, "range", "bytes=0-9").await;
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.expect("bytes").len(), 10);
    let beyond = app.get_with(&url, "range", &format!("bytes={size}-")).await;
    assert_eq!(beyond.status(), 416);
}

#[tokio::test]
async fn bad_template_urls_are_refused_and_make_nothing() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let uri = app.uploaded(&key, "images/photo-progressive.jpg", 2).await;
    let pdf = app.uploaded(&key, "files/sample.pdf", 2).await;
    let before = app.stored().await;
    let cases = [
        (
            format!("{uri}~tplv-imgate-blur:3:3.webp"),
            400,
            "unknown template",
        ),
        (
            format!("{uri}~tplv-imgate-resize:0:10.webp"),
            400,
            "outside 1 to 4096",
        ),
        (
            format!("{uri}~tplv-imgate-resize:-5:10.webp"),
            400,
            "not a size",
        ),
        (
            format!("{uri}~tplv-imgate-resize:ten:10.webp"),
            400,
            "not a size",
        ),
        (
            format!("{uri}~tplv-imgate-resize:5000:10.webp"),
            400,
            "outside 1 to 4096",
        ),
        (
            format!("{uri}~tplv-imgate-resize:10:10.tiff"),
            400,
            "unknown output format",
        ),
        (
            format!("{uri}~tplv-other-resize:10:10.webp"),
            400,
            "not for this service",
        ),
        (
            format!("{pdf}~tplv-imgate-resize:10:10.webp"),
            400,
            "not an original image",
        ),
        (
            "BIZ_BOT_DATASET/missing.jpg~tplv-imgate-resize:10:10.webp".to_owned(),
            404,
            "not found",
        ),
    ];
    for (path, status, fragment) in cases {
        let response = app
            .client
            .get(format!("{}/{path}", app.public_base))
            .send()
            .await
            .expect("get");
        let code = if status == 404 { 40400 } else { 40000 };
        let msg = assert_error(response, status, code).await;
        assert!(msg.contains(fragment), "{path}: {msg}");
    }
    let (status, reply) = app
        .raw_get(&format!(
            "{}/{uri}~tplv-imgate-resize:10:10.webp/../../../secret",
            app.settings.cdn.path_prefix
        ))
        .await;
    assert_eq!(status, 404, "{reply}");
    assert_eq!(app.stored().await, before, "nothing was generated");
}

#[tokio::test]
async fn private_variants_need_a_valid_signature() {
    let app = spawn_app_with(|s| s.cdn.private = true).await;
    let key = app.upload_key().await;
    let uri = app.uploaded(&key, "images/photo-progressive.jpg", 2).await;
    let variant = format!("{uri}~tplv-imgate-resize:32:32.webp");
    let unsigned = format!("{}/{variant}", app.public_base);
    let msg = assert_error(app.get_accepting(&unsigned, None).await, 403, 40004).await;
    assert!(msg.contains("signed"), "{msg}");
    let response = app
        .refresh_urls(
            &key,
            &[
                &variant,
                "BIZ_BOT_ICON/unknown.png",
                &format!("{uri}~tplv-imgate-blur.webp"),
            ],
        )
        .await;
    let body: Value = response.json().await.expect("json");
    let info = body["data"]["url_info"].as_object().expect("url_info");
    assert_eq!(
        info.len(),
        1,
        "only the valid template of an existing original: {body}"
    );
    let signed_variant = info[&variant]["url"].as_str().expect("url").to_owned();
    let response = app.get_accepting(&signed_variant, None).await;
    assert_eq!(
        response.status(),
        200,
        "a variant not made yet can be signed, then made"
    );
    assert_eq!(response.headers()["x-imgate-cache"], "miss");
    let response = app.refresh_urls(&key, &[&uri]).await;
    let body: Value = response.json().await.expect("json");
    let signed = body["data"]["url_info"][&uri]["url"]
        .as_str()
        .expect("url")
        .to_owned();
    assert_eq!(app.get_accepting(&signed, None).await.status(), 200);
    let query = signed.split_once('?').expect("signed").1;
    let borrowed = format!("{unsigned}?{query}");
    assert_eq!(
        app.get_accepting(&borrowed, None).await.status(),
        403,
        "a signature covers its own URI only"
    );
    let tampered = signed.replace("x-signature=", "x-signature=0");
    assert_eq!(app.get_accepting(&tampered, None).await.status(), 403);
}

#[tokio::test]
async fn deletion_removes_the_original_and_every_variant() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let uri = app.uploaded(&key, "images/rgba.png", 1).await;
    let made = app.variant_url(&uri, "crop:32:32.webp");
    assert_eq!(app.get_accepting(&made, None).await.status(), 200);
    app.settled().await;
    assert_eq!(
        app.stored().await.1,
        1 + 8 + 1,
        "original, upload variants, template variant"
    );

    let (_, stranger) = app
        .key_with(&[imgate::auth::Scope::Upload], None, None)
        .await;
    let delete = |who: String| {
        app.client
            .delete(app.url(&format!("/api/common/upload/object/{uri}")))
            .bearer_auth(who)
            .send()
    };
    assert_error(delete(stranger).await.expect("delete"), 403, 40004).await;
    let response = delete(key.clone()).await.expect("delete");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body["data"]["deleted"].as_array().expect("deleted").len(),
        10
    );
    assert_eq!(app.stored().await, (0, 0));
    assert_eq!(
        app.get_accepting(&format!("{}/{uri}", app.public_base), None)
            .await
            .status(),
        404
    );
    assert_eq!(app.get_accepting(&made, None).await.status(), 404);
    assert_error(delete(key).await.expect("delete"), 404, 40400).await;
}

#[tokio::test]
async fn an_admin_key_deletes_anyones_object() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let uri = app.uploaded(&key, "files/sample.txt", 2).await;
    let (_, admin) = app
        .key_with(&[imgate::auth::Scope::Admin], None, None)
        .await;
    let response = app
        .client
        .delete(app.url(&format!("/api/common/upload/object/{uri}")))
        .bearer_auth(admin)
        .send()
        .await
        .expect("delete");
    assert_eq!(response.status(), 200);
    assert_eq!(app.stored().await, (0, 0));
}
