//! `/healthz` and `/readyz`, and the JSON 404 for unknown routes.

use crate::helpers::{assert_error, spawn_app};

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
