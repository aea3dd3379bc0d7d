//! The console's pages: served under `console.path` with their types, ETags and a strict
//! CSP, or not at all when it is switched off; and the refusal of cookie-authenticated
//! writes from other origins, on every route.

use imgate::auth::Scope;
use serde_json::json;

use crate::console_api::signed_in;
use crate::helpers::{assert_error, spawn_app, spawn_app_with};

#[tokio::test]
async fn pages_have_types_validators_and_a_strict_policy() {
    let app = spawn_app().await;
    let shell = app
        .client
        .get(app.url("/console/"))
        .send()
        .await
        .expect("get");
    assert_eq!(shell.status(), 200);
    let headers = shell.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let policy = headers["content-security-policy"].to_str().expect("ascii");
    for part in [
        "default-src 'none'",
        "script-src 'self';",
        "style-src 'self';",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(part), "{part} in {policy}");
    }
    assert!(
        !policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"),
        "{policy}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let html = shell.text().await.expect("html");
    assert!(
        html.contains(r#"<script type="module" src="/console/assets/app.js">"#),
        "{html}"
    );
    for (path, content_type) in [
        ("/console/assets/app.js", "text/javascript; charset=utf-8"),
        ("/console/assets/app.css", "text/css; charset=utf-8"),
        ("/console/assets/icon.svg", "image/svg+xml"),
    ] {
        let response = app.client.get(app.url(path)).send().await.expect("get");
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], content_type, "{path}");
        let etag = response.headers()["etag"]
            .to_str()
            .expect("etag")
            .to_owned();
        let again = app.get_with(&app.url(path), "if-none-match", &etag).await;
        assert_eq!(again.status(), 304, "{path}");
    }
    // Every page path answers the shell; the bare path is sent to the slash; unknown files 404.
    let deep = app
        .client
        .get(app.url("/console/objects/BIZ_BOT_ICON/x.png"))
        .send()
        .await
        .expect("get");
    assert_eq!(deep.text().await.expect("html"), html);
    let bare = app
        .client
        .get(app.url("/console"))
        .send()
        .await
        .expect("get");
    assert_eq!(
        (bare.status().as_u16(), &bare.headers()["location"]),
        (308, &"/console/".parse().expect("value"))
    );
    let missing = app
        .client
        .get(app.url("/console/assets/nope.js"))
        .send()
        .await
        .expect("get");
    assert_error(missing, 404, 40400).await;
}

#[tokio::test]
async fn the_console_moves_or_switches_off() {
    let moved = spawn_app_with(|s| s.console.path = "/ops/console".into()).await;
    let page = moved
        .client
        .get(moved.url("/ops/console/"))
        .send()
        .await
        .expect("get");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("/ops/console/assets/app.js"), "{html}");
    let old = moved
        .client
        .get(moved.url("/console/"))
        .send()
        .await
        .expect("get");
    assert_eq!(old.status(), 404);
    let off = spawn_app_with(|s| s.console.enabled = false).await;
    let page = off
        .client
        .get(off.url("/console/"))
        .send()
        .await
        .expect("get");
    assert_error(page, 404, 40400).await;
    let api = off
        .client
        .get(off.url("/api/objects"))
        .send()
        .await
        .expect("get");
    assert_error(api, 401, 40001).await;
}

#[tokio::test]
async fn cookie_writes_from_other_origins_are_refused() {
    let app = spawn_app().await;
    let (_, cookie) = signed_in(&app, "ann@example.com").await;
    let own = app.address.clone();
    let post_key = |origin: Option<&str>| {
        let mut request = app
            .client
            .post(app.url("/api/keys"))
            .header("cookie", &cookie)
            .json(&json!({"name": "from a page"}));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    let refused = post_key(Some("http://evil.example")).await.expect("post");
    let message = assert_error(refused, 403, 40004).await;
    assert!(
        message.contains("http://evil.example") && message.contains("imagex.cors_origins"),
        "{message}"
    );
    assert_eq!(post_key(Some(&own)).await.expect("post").status(), 200);
    assert_eq!(post_key(None).await.expect("post").status(), 200);
    let deleted = app
        .client
        .delete(app.url("/api/common/upload/object/BIZ_BOT_ICON/x.png"))
        .header("cookie", &cookie)
        .header("origin", "http://evil.example")
        .send()
        .await
        .expect("delete");
    assert_error(deleted, 403, 40004).await;
    let login = app
        .client
        .post(app.url("/api/passport/web/email/login/"))
        .header("origin", "http://evil.example")
        .json(&json!({"email": "ann@example.com", "password": "a-long-password"}))
        .send()
        .await
        .expect("login");
    assert_error(login, 403, 40004).await;
    // A key is no cookie: pages elsewhere may use one (CORS decides what they read).
    let (_, key) = app.key_with(&[Scope::Upload], None, None).await;
    let with_key = app
        .client
        .post(app.url("/api/bot/upload_file"))
        .bearer_auth(&key)
        .header("origin", "http://evil.example")
        .json(&json!({}))
        .send()
        .await
        .expect("post");
    assert_error(with_key, 400, 40000).await;
}

#[tokio::test]
async fn listed_origins_may_write_with_cookies() {
    let app =
        spawn_app_with(|s| s.imagex.cors_origins = vec!["https://studio.example.com".into()]).await;
    let (_, cookie) = signed_in(&app, "ann@example.com").await;
    let response = app
        .client
        .post(app.url("/api/keys"))
        .header("cookie", &cookie)
        .header("origin", "https://studio.example.com")
        .json(&json!({"name": "studio"}))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 200);
}
