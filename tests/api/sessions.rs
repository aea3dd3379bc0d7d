//! Web sessions: login sets `session_key`, both cookie names authenticate, logout ends it.

use imgate::auth::{SessionSigner, hash_password, load_or_create_secret};
use imgate::clock::unix_now;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, fixture, spawn_app, upload_body};

async fn create_user(app: &TestApp, email: &str, password: &str) {
    let hash = hash_password(password).expect("hash");
    app.catalog.insert_user(email, &hash).await.expect("user");
}

async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/passport/web/email/login/"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login")
}

async fn upload_with_cookie(app: &TestApp, cookie: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/bot/upload_file"))
        .header("cookie", cookie)
        .json(&upload_body("png", 1, &fixture("files/sample.png")))
        .send()
        .await
        .expect("upload")
}

#[tokio::test]
async fn login_sets_a_session_cookie_that_uploads() {
    let app = spawn_app().await;
    create_user(&app, "ann@example.com", "hunter22hunter").await;
    let response = login(&app, "ann@example.com", "hunter22hunter").await;
    assert_eq!(response.status(), 200);
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(set_cookie.starts_with("session_key="), "{set_cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=604800"] {
        assert!(
            set_cookie.contains(attribute),
            "{attribute} missing: {set_cookie}"
        );
    }
    let token = set_cookie["session_key=".len()..]
        .split(';')
        .next()
        .expect("value")
        .to_owned();

    for name in ["session_key", "session_token"] {
        let response = upload_with_cookie(&app, &format!("{name}={token}")).await;
        assert_eq!(response.status(), 200, "{name}");
        let body: Value = response.json().await.expect("json");
        let uri = body["data"]["upload_uri"].as_str().expect("uri");
        let record = app
            .catalog
            .find_object(uri)
            .await
            .expect("find")
            .expect("stored");
        assert!(record.owner.starts_with("user:"), "{}", record.owner);
    }
}

#[tokio::test]
async fn wrong_password_or_unknown_email_is_40002() {
    let app = spawn_app().await;
    create_user(&app, "ann@example.com", "hunter22hunter").await;
    for (email, password) in [
        ("ann@example.com", "wrong-password"),
        ("bob@example.com", "hunter22hunter"),
    ] {
        let response = login(&app, email, password).await;
        assert!(response.headers().get("set-cookie").is_none());
        assert_eq!(
            assert_error(response, 401, 40002).await,
            "invalid email or password"
        );
    }
    let response = app
        .client
        .post(app.url("/api/passport/web/email/login/"))
        .json(&json!({"email": "ann@example.com"}))
        .send()
        .await
        .expect("login");
    assert_error(response, 400, 40000).await;
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    create_user(&app, "ann@example.com", "hunter22hunter").await;
    let response = login(&app, "ann@example.com", "hunter22hunter").await;
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let cookie = set_cookie.split(';').next().expect("pair").to_owned();
    let out = app
        .client
        .post(app.url("/api/passport/web/logout/"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status(), 200);
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .expect("ascii")
            .contains("Max-Age=0")
    );
    let msg = assert_error(upload_with_cookie(&app, &cookie).await, 401, 40002).await;
    assert!(msg.contains("ended"), "{msg}");
}

#[tokio::test]
async fn forged_and_expired_sessions_are_refused() {
    let app = spawn_app().await;
    let forged = SessionSigner::new(b"some other secret, not this server's").issue();
    let cookie = format!("session_key={}", forged.as_str());
    let msg = assert_error(upload_with_cookie(&app, &cookie).await, 401, 40002).await;
    assert!(msg.contains("forged"), "{msg}");

    create_user(&app, "ann@example.com", "hunter22hunter").await;
    let user = app
        .catalog
        .find_user_by_email("ann@example.com")
        .await
        .expect("find")
        .expect("user");
    let secret = load_or_create_secret(None, app.data_dir.path()).expect("secret");
    let token = SessionSigner::new(&secret).issue();
    app.catalog
        .insert_session(&token.hash(), user.id, unix_now() - 1)
        .await
        .expect("session");
    let cookie = format!("session_token={}", token.as_str());
    assert_eq!(
        assert_error(upload_with_cookie(&app, &cookie).await, 401, 40003).await,
        "api key expired"
    );
}
