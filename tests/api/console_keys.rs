//! A signed-in user's keys (`/api/keys`): made with scopes, biz types and expiry, listed
//! without their secrets, revoked; only their own, and never with the admin scope.

use imgate::auth::Scope;
use serde_json::{Value, json};

use crate::console_api::{as_user, bearer_get, get, make_key, signed_in, upload_as};
use crate::helpers::{assert_error, fixture, spawn_app};

#[tokio::test]
async fn a_user_makes_lists_and_revokes_their_own_keys() {
    let app = spawn_app().await;
    let (ann_id, ann) = signed_in(&app, "ann@example.com").await;
    let (_, bob) = signed_in(&app, "bob@example.com").await;
    let (id, secret) = make_key(
        &app,
        &ann,
        json!({"name": "nightly", "scopes": ["upload", "read"], "biz_types": [1], "expires_in": "30d"}),
    )
    .await;
    let (_, listed) = get(&app, &ann, "/api/keys").await;
    let text = listed.to_string();
    assert!(
        !text.contains(&secret[4..]) && !text.contains("hash"),
        "{text}"
    );
    let key = &listed["data"]["keys"][0];
    assert_eq!(key["scopes"], json!(["upload", "read"]));
    assert_eq!(
        key["biz_types"],
        json!([{"code": 1, "name": "BIZ_BOT_ICON"}])
    );
    assert_eq!(key["status"], "active");
    assert!(key["expires_at"].as_i64().is_some());
    let record = app
        .catalog
        .find_api_key_by_id(id)
        .await
        .expect("find")
        .expect("key");
    assert_eq!(record.user_id, Some(ann_id));
    // The key uploads to its biz type only, and reads Ann's objects, not Bob's.
    let refused = app
        .upload_file(&secret, "png", 2, &fixture("files/sample.png"))
        .await;
    assert_error(refused, 403, 40004).await;
    let bobs = upload_as(&app, &bob, 1).await;
    let (status, _) = bearer_get(&app, &secret, &format!("/api/objects/{bobs}")).await;
    assert_eq!(status, 404);
    let refreshed = app.refresh_urls(&secret, &[&bobs]).await;
    let refreshed: Value = refreshed.json().await.expect("json");
    assert_eq!(refreshed["data"]["url_info"], json!({}), "{refreshed}");
    // Bob cannot see or revoke it; Ann revokes it and it is refused at once.
    let (_, bobs_keys) = get(&app, &bob, "/api/keys").await;
    assert_eq!(bobs_keys["data"]["keys"], json!([]));
    let (status, _) = as_user(
        &app,
        &bob,
        reqwest::Method::DELETE,
        &format!("/api/keys/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, revoked) = as_user(
        &app,
        &ann,
        reqwest::Method::DELETE,
        &format!("/api/keys/{id}"),
        None,
    )
    .await;
    assert_eq!(
        (status, revoked["data"]["key"]["status"].as_str()),
        (200, Some("revoked"))
    );
    let response = app
        .client
        .get(app.url("/api/objects"))
        .bearer_auth(&secret)
        .send()
        .await
        .expect("get");
    let message = assert_error(response, 401, 40002).await;
    assert!(message.contains("revoked"), "{message}");
}

#[tokio::test]
async fn keys_made_here_have_no_admin_scope_and_keys_make_no_keys() {
    let app = spawn_app().await;
    let (_, ann) = signed_in(&app, "ann@example.com").await;
    for (body, status, says) in [
        (
            json!({"name": "x", "scopes": ["admin"]}),
            403,
            "imgate keys create",
        ),
        (
            json!({"name": "x", "scopes": ["write"]}),
            400,
            "unknown scope `write`",
        ),
        (
            json!({"name": " "}),
            400,
            "name must be 1 to 100 characters",
        ),
        (
            json!({"name": "x", "biz_types": [12]}),
            400,
            "biz type 12 does not exist",
        ),
        (
            json!({"name": "x", "biz_types": []}),
            400,
            "at least one biz type",
        ),
        (
            json!({"name": "x", "expires_in": "soon"}),
            400,
            "not a duration",
        ),
    ] {
        let (got, reply) = as_user(
            &app,
            &ann,
            reqwest::Method::POST,
            "/api/keys",
            Some(body.clone()),
        )
        .await;
        assert_eq!(got, status, "{body}: {reply}");
        let message = reply["msg"].as_str().expect("msg");
        assert!(message.contains(says), "{body}: {message}");
    }
    let (_, admin) = app.key_with(&[Scope::Admin], None, None).await;
    let response = app
        .client
        .post(app.url("/api/keys"))
        .bearer_auth(&admin)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .expect("post");
    let message = assert_error(response, 403, 40004).await;
    assert!(message.contains("signed-in user"), "{message}");
}
