//! Credentials on the upload route: API.md section 1's codes, and nothing stored on refusal.

use imgate::auth::Scope;
use imgate::clock::unix_now;

use crate::helpers::{assert_error, fixture, spawn_app, upload_body};

#[tokio::test]
async fn no_credential_is_40001() {
    let app = spawn_app().await;
    let response = app
        .upload_json(None, &upload_body("png", 1, &fixture("files/sample.png")))
        .await;
    assert_eq!(
        assert_error(response, 401, 40001).await,
        "authentication required"
    );
    assert_eq!(app.stored().await, (0, 0));
}

#[tokio::test]
async fn unknown_malformed_and_revoked_keys_are_40002() {
    let app = spawn_app().await;
    let (revoked_id, revoked) = app.key_with(&[Scope::Upload], None, None).await;
    assert!(
        app.catalog
            .revoke_api_key(revoked_id)
            .await
            .expect("revoke")
    );
    let unknown = format!("pat_{}", "0".repeat(64));
    let body = upload_body("png", 1, &fixture("files/sample.png"));
    for (key, why) in [
        (unknown.as_str(), "unknown"),
        ("pat_nothex", "malformed"),
        ("Basic dXNlcjpwYXNz", "malformed"),
        (revoked.as_str(), "revoked"),
    ] {
        let msg = assert_error(app.upload_json(Some(key), &body).await, 401, 40002).await;
        assert!(msg.contains(why), "{key}: {msg}");
    }
    assert_eq!(app.stored().await, (0, 0));
}

#[tokio::test]
async fn expired_key_is_40003() {
    let app = spawn_app().await;
    let (_, key) = app
        .key_with(&[Scope::Upload], None, Some(unix_now() - 1))
        .await;
    let response = app
        .upload_file(&key, "png", 1, &fixture("files/sample.png"))
        .await;
    assert_eq!(assert_error(response, 401, 40003).await, "api key expired");
}

#[tokio::test]
async fn key_without_the_scope_or_biz_type_is_40004() {
    let app = spawn_app().await;
    let png = fixture("files/sample.png");
    let (_, read_only) = app.key_with(&[Scope::Read], None, None).await;
    let msg = assert_error(
        app.upload_file(&read_only, "png", 1, &png).await,
        403,
        40004,
    )
    .await;
    assert!(msg.contains("upload"), "{msg}");

    let (_, dataset_icons) = app.key_with(&[Scope::Upload], Some(&[3]), None).await;
    let msg = assert_error(
        app.upload_file(&dataset_icons, "png", 1, &png).await,
        403,
        40004,
    )
    .await;
    assert!(msg.contains("BIZ_BOT_ICON"), "{msg}");
    assert_eq!(app.stored().await, (0, 0));

    let allowed = app.upload_file(&dataset_icons, "png", 3, &png).await;
    assert_eq!(allowed.status(), 200);
}

#[tokio::test]
async fn admin_key_may_upload_anywhere() {
    let app = spawn_app().await;
    let (_, admin) = app.key_with(&[Scope::Admin], Some(&[3]), None).await;
    let response = app
        .upload_file(&admin, "png", 1, &fixture("files/sample.png"))
        .await;
    assert_eq!(response.status(), 200);
}
