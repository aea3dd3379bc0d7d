//! V4-signed requests as tt-uploader sends them, with temporary credentials, and what
//! those credentials may not do.

use imgate::auth::v4::{SignedRequest, sign};
use imgate::clock::{format_utc, unix_now};
use serde_json::{Value, json};

use crate::helpers::{
    ACTIONS, TestApp, apply, assert_action_error, crc_hex, fixture, host, host_json, spawn_app,
    spawn_app_with, store_info,
};

/// `20251015T112451Z` for now.
fn x_date() -> String {
    format_utc(unix_now())
        .replace(['-', ':'], "")
        .replace(' ', "T")
        + "Z"
}

struct Temporary {
    access_key_id: String,
    secret: String,
    session_token: String,
}

async fn temporary(app: &TestApp, key: &str) -> Temporary {
    let response = app
        .client
        .post(app.url("/api/playground/upload/auth_token"))
        .bearer_auth(key)
        .json(&json!({"scene": "bot_icon"}))
        .send()
        .await
        .expect("auth_token");
    let body: Value = response.json().await.expect("json");
    let auth = &body["data"]["auth"];
    let field = |name: &str| auth[name].as_str().expect(name).to_owned();
    Temporary {
        access_key_id: field("access_key_id"),
        secret: field("secret_access_key"),
        session_token: field("session_token"),
    }
}

/// An action signed the way tt-uploader signs it: canonical path `/`, service `imagex`,
/// host not signed, the body hash in `X-Content-Sha256`.
async fn signed_action(
    app: &TestApp,
    creds: &Temporary,
    secret: &str,
    method: reqwest::Method,
    query: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let headers = vec![
        ("x-date".to_owned(), x_date()),
        ("x-security-token".to_owned(), creds.session_token.clone()),
        (
            "x-content-sha256".to_owned(),
            imgate::auth::sha256_hex(&body),
        ),
    ];
    let request = SignedRequest {
        method: method.as_str(),
        path: "/",
        query,
        headers: &headers,
        body: &body,
    };
    let authorization = sign(
        &request,
        &creds.access_key_id,
        secret,
        "cn-north-1",
        "imagex",
        &headers[0].1,
        &["x-date", "x-security-token", "x-content-sha256"],
    );
    let mut builder = app
        .client
        .request(method, app.url(&format!("{ACTIONS}?{query}")))
        .header("authorization", authorization)
        .body(body);
    for (name, value) in &headers {
        builder = builder.header(name, value);
    }
    let response = builder.send().await.expect("signed request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

#[tokio::test]
async fn tt_uploader_style_signed_upload_works() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let creds = temporary(&app, &key).await;
    let png = fixture("images/palette-alpha.png");
    let query = format!(
        "Action=ApplyImageUpload&Version=2018-08-01&ServiceId=imgate&FileExtension=.png&FileSize={}",
        png.len()
    );
    let (status, reply) = signed_action(
        &app,
        &creds,
        &creds.secret,
        reqwest::Method::GET,
        &query,
        Vec::new(),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let (uri, auth, _) = store_info(&reply, 0);
    let upload = host(&app, reqwest::Method::POST, &uri, "", &auth)
        .header("content-crc32", crc_hex(&png))
        .body(png);
    assert_eq!(host_json(upload).await.0, 200);
    let session = reply["Result"]["UploadAddress"]["SessionKey"]
        .as_str()
        .expect("key");
    let body =
        serde_json::to_vec(&json!({"SessionKey": session, "SuccessOids": [uri]})).expect("json");
    let query = "Action=CommitImageUpload&Version=2018-08-01&ServiceId=imgate";
    let (status, committed) = signed_action(
        &app,
        &creds,
        &creds.secret,
        reqwest::Method::POST,
        query,
        body,
    )
    .await;
    assert_eq!(status, 200, "{committed}");
    assert_eq!(committed["Result"]["PluginResult"][0]["ImageWidth"], 96);
    let record = app
        .catalog
        .find_object(
            committed["Result"]["PluginResult"][0]["ImageUri"]
                .as_str()
                .expect("uri"),
        )
        .await;
    assert_eq!(
        record.expect("catalog").expect("stored").biz_type,
        1,
        "the credential's scene decides the biz type"
    );
}

/// A signed `ApplyImageUpload` with `creds`, signed with `secret`.
async fn apply_signed(app: &TestApp, creds: &Temporary, secret: &str) -> (u16, Value) {
    let query = "Action=ApplyImageUpload&Version=2018-08-01&ServiceId=imgate";
    signed_action(app, creds, secret, reqwest::Method::GET, query, Vec::new()).await
}

#[tokio::test]
async fn bad_signatures_and_expired_credentials_are_refused() {
    let app =
        spawn_app_with(|s| s.imagex.credential_ttl = imgate::config::Duration::from_secs(1)).await;
    let key = app.upload_key().await;
    let creds = temporary(&app, &key).await;
    let (status, body) = apply_signed(&app, &creds, "not-the-secret").await;
    assert_action_error(status, &body, 401, "does not match");
    let tampered = Temporary {
        access_key_id: creds.access_key_id.clone(),
        secret: creds.secret.clone(),
        session_token: format!("{}x", creds.session_token),
    };
    let (status, body) = apply_signed(&app, &tampered, &creds.secret).await;
    assert_action_error(status, &body, 401, "invalid");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, body) = apply_signed(&app, &creds, &creds.secret).await;
    assert_action_error(status, &body, 401, "expired");
    assert_eq!(body["ResponseMetadata"]["Error"]["CodeN"], 40003);
    assert_eq!(app.stored().await, (0, 0));
}

#[tokio::test]
async fn scopes_and_temporary_credentials_are_limited() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let (_, read_only) = app.key_with(&[imgate::auth::Scope::Read], None, None).await;
    let (status, body) = apply(&app, &read_only, "").await;
    assert_action_error(status, &body, 403, "upload");

    let creds = temporary(&app, &key).await;
    let token = creds.session_token.as_str();
    let again = app
        .client
        .post(app.url("/api/playground/upload/auth_token"))
        .bearer_auth(token)
        .json(&json!({"scene": "bot_icon"}))
        .send()
        .await
        .expect("auth_token");
    assert_eq!(
        again.status(),
        403,
        "a temporary credential cannot renew itself"
    );
    let response = app
        .upload_file(&key, "png", 1, &fixture("images/rgba.png"))
        .await;
    let body: Value = response.json().await.expect("json");
    let uri = body["data"]["upload_uri"].as_str().expect("uri").to_owned();
    let delete = app
        .client
        .delete(app.url(&format!("/api/common/upload/object/{uri}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("delete");
    assert_eq!(delete.status(), 403, "nor delete");
    let refresh = app.refresh_urls(token, &[&uri]).await;
    assert_eq!(refresh.status(), 403, "nor read");

    let (_, stranger) = app
        .key_with(&[imgate::auth::Scope::Upload], None, None)
        .await;
    let refresh = app.refresh_urls(&stranger, &[&uri]).await;
    let body: Value = refresh.json().await.expect("json");
    assert_eq!(
        body["data"]["url_info"],
        json!({}),
        "no signed URLs for others' objects"
    );
}
