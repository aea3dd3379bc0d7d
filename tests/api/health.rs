//! `/healthz` and `/readyz`, and the JSON 404 for unknown routes.

use crate::helpers::{OwnPostgres, assert_error, fixture, spawn_app, spawn_app_with};

#[tokio::test]
async fn alive_and_ready() {
    let app = spawn_app().await;
    assert_eq!(app.get_json("/healthz").await.0, 200);
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 200);
    assert_eq!(body["catalog"], "ok");
    assert_eq!(body["storage"], "ok");
}

#[tokio::test]
async fn not_ready_when_storage_is_gone() {
    let app = spawn_app().await;
    app.break_storage().await;
    let response = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.headers().get("retry-after").map(|v| v.as_bytes()),
        Some(&b"5"[..]),
        "every 503 says when to come back"
    );
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["status"], "unavailable");
    assert!(
        body["storage"]
            .as_str()
            .expect("storage")
            .starts_with("down"),
        "{body}"
    );
}

#[tokio::test]
async fn unknown_routes_answer_json() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/no/such/route"))
        .send()
        .await
        .expect("get");
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(assert_error(response, 404, 40400).await, "not found");
}

/// A PostgreSQL catalog stopped under a running server: requests that need it answer
/// 503 / 50003 with `Retry-After` and say it is the catalog, `/readyz` says so, and the
/// server recovers by itself when the database is back.
#[tokio::test]
async fn a_catalog_database_that_goes_down_is_a_503_and_comes_back() {
    let postgres = tokio::task::spawn_blocking(OwnPostgres::start)
        .await
        .expect("started");
    let url = postgres.url.clone();
    let app = spawn_app_with(move |s| {
        s.catalog.url = Some(url);
        s.catalog.acquire_timeout = "1s".parse().expect("timeout");
    })
    .await;
    let key = app.upload_key().await;
    let png = fixture("images/rgba.png");
    assert_eq!(app.upload_file(&key, "png", 1, &png).await.status(), 200);

    let postgres = tokio::task::spawn_blocking(move || {
        postgres.stop();
        postgres
    })
    .await
    .expect("stopped");
    let response = app.upload_file(&key, "png", 1, &png).await;
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(
        assert_error(response, 503, 50003).await,
        "catalog unavailable"
    );
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 503);
    assert!(
        body["catalog"]
            .as_str()
            .expect("catalog")
            .starts_with("down"),
        "{body}"
    );

    let postgres = tokio::task::spawn_blocking(move || {
        postgres.resume();
        postgres
    })
    .await
    .expect("resumed");
    let start = std::time::Instant::now();
    while app.get_json("/readyz").await.0 != 200 {
        assert!(
            start.elapsed().as_secs() < 60,
            "the catalog did not come back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(app.upload_file(&key, "png", 1, &png).await.status(), 200);
    drop(postgres);
}
