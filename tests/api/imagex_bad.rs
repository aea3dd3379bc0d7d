//! The ImageX flow's bad inputs, each with its status and the contract's shape, and
//! V4-signed requests as tt-uploader sends them. Nothing refused leaves an object behind.

use imgate::auth::v4::{SignedRequest, sign};
use imgate::clock::{format_utc, unix_now};
use serde_json::{Value, json};

use crate::helpers::{TestApp, fixture, spawn_app, spawn_app_with};
use crate::imagex::{Chunked, apply, commit, crc_hex, host, host_json, store_info, text_of};

const ACTIONS: &str = "/api/common/upload/apply_upload_action";

/// The upload host's failure shape, with the status asked for.
fn assert_host_error(status: u16, body: &Value, want_status: u16, fragment: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_ne!(body["success"], 0, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(fragment), "{fragment:?} not in {body}");
}

/// The actions' failure shape.
fn assert_action_error(status: u16, body: &Value, want_status: u16, fragment: &str) {
    assert_eq!(status, want_status, "{body}");
    let error = &body["ResponseMetadata"]["Error"];
    assert!(
        error["CodeN"].as_u64().is_some() && error["Code"].as_str().is_some(),
        "{body}"
    );
    assert!(
        error["Message"]
            .as_str()
            .unwrap_or_default()
            .contains(fragment),
        "{fragment:?} not in {body}"
    );
}

/// A chunked upload started, and the session key.
async fn started(app: &TestApp, key: &str) -> (Chunked, String) {
    let (_, reply) = apply(app, key, "&BizType=2&FileExtension=txt").await;
    let (uri, auth, _) = store_info(&reply, 0);
    let upload = Chunked::start(app, reqwest::Method::POST, &uri, &auth).await;
    let session = reply["Result"]["UploadAddress"]["SessionKey"]
        .as_str()
        .expect("key")
        .to_owned();
    (upload, session)
}

#[tokio::test]
async fn upload_host_refuses_bad_credentials() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let (_, reply) = apply(&app, &key, "&UploadNum=2&FileExtension=png").await;
    let (uri_a, auth_a, _) = store_info(&reply, 0);
    let (uri_b, _, _) = store_info(&reply, 1);
    let png = fixture("images/rgba.png");
    let no_auth = app
        .client
        .post(app.url(&format!("/api/common/upload/{uri_a}")))
        .body(png.clone());
    let (status, body) = host_json(no_auth).await;
    assert_host_error(status, &body, 401, "authentication required");
    let (status, body) = host_json(
        host(&app, reqwest::Method::POST, &uri_a, "", "UPT1.garbage.tag").body(png.clone()),
    )
    .await;
    assert_host_error(status, &body, 401, "invalid");
    let (status, body) =
        host_json(host(&app, reqwest::Method::POST, &uri_b, "", &auth_a).body(png.clone())).await;
    assert_host_error(status, &body, 403, "another object");
    let (_, other_key) = app
        .key_with(&[imgate::auth::Scope::Upload], None, None)
        .await;
    let (status, body) = host_json(
        host(
            &app,
            reqwest::Method::POST,
            &uri_a,
            "",
            &format!("Bearer {other_key}"),
        )
        .body(png),
    )
    .await;
    assert_host_error(status, &body, 403, "may not upload");
    assert_eq!(app.stored().await, (0, 0));
}

#[tokio::test]
async fn crc_mismatches_are_refused_everywhere() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let bytes = text_of(2000);
    let (_, reply) = apply(&app, &key, "&BizType=2&FileExtension=txt").await;
    let (uri, auth, _) = store_info(&reply, 0);
    let direct = host(&app, reqwest::Method::POST, &uri, "", &auth)
        .header("content-crc32", "deadbeef")
        .body(bytes.clone());
    let (status, body) = host_json(direct).await;
    assert_host_error(status, &body, 400, "CRC32 mismatch");

    let (upload, _) = started(&app, &key).await;
    let part = |crc: &str| {
        upload
            .part(&app, reqwest::Method::POST, 1)
            .header("content-crc32", crc)
            .body(bytes.clone())
    };
    let (status, body) = host_json(part("00000001")).await;
    assert_host_error(status, &body, 400, "CRC32 mismatch");
    assert_eq!(host_json(part("Ignore")).await.0, 200);
    let complete = upload.by_id(&app, reqwest::Method::POST).body("1:00000001");
    let (status, body) = host_json(complete).await;
    assert_host_error(status, &body, 400, "CRC32 mismatch for part 1");
    assert_eq!(app.stored().await, (0, 0));
}

#[tokio::test]
async fn bad_part_lists_and_ids_are_refused() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let (upload, session) = started(&app, &key).await;
    let uri = &upload.uri;
    for n in [1, 2] {
        let part = upload
            .part(&app, reqwest::Method::POST, n)
            .body(text_of(100));
        assert_eq!(host_json(part).await.0, 200);
    }
    let crc = crc_hex(&text_of(100));
    let cases = [
        (format!("1:{crc},3:{crc}"), "part 2 is missing"),
        (format!("1:{crc},1:{crc}"), "listed twice"),
        (format!("2:{crc},1:{crc}"), "out of order"),
        (
            format!("1:{crc},2:{crc},3:{crc}"),
            "part 3 was never uploaded",
        ),
    ];
    for (list, fragment) in cases {
        let complete = upload.by_id(&app, reqwest::Method::POST).body(list);
        let (status, body) = host_json(complete).await;
        assert_host_error(status, &body, 400, fragment);
    }
    let unknown = host(
        &app,
        reqwest::Method::POST,
        uri,
        "?uploadID=0123abcd",
        &upload.auth,
    )
    .body(format!("1:{crc}"));
    let (status, body) = host_json(unknown).await;
    assert_host_error(status, &body, 400, "unknown uploadID");
    let (status, body) = commit(&app, &key, &session, &[uri]).await;
    assert_action_error(status, &body, 400, "nothing has been uploaded");
    assert_eq!(app.stored().await, (0, 0));
}

#[tokio::test]
async fn every_size_limit_names_itself() {
    let app = spawn_app_with(|s| {
        s.imagex.max_part_bytes = 1000;
        s.imagex.max_file_bytes = 1500;
    })
    .await;
    let key = app.upload_key().await;
    let (status, body) = apply(&app, &key, "&FileSize=1501").await;
    assert_action_error(status, &body, 413, "upload limit of 1500 bytes");
    let (upload, _) = started(&app, &key).await;
    let part = |n: u32, size: usize| {
        upload
            .part(&app, reqwest::Method::POST, n)
            .body(text_of(size))
    };
    let (status, body) = host_json(part(1, 1001)).await;
    assert_host_error(status, &body, 413, "part limit of 1000 bytes");
    assert_eq!(host_json(part(1, 1000)).await.0, 200);
    let (status, body) = host_json(part(2, 501)).await;
    assert_host_error(status, &body, 413, "upload limit");
    let (_, reply) = apply(&app, &key, "&BizType=2&FileExtension=txt").await;
    let (uri, auth, _) = store_info(&reply, 0);
    let (status, body) =
        host_json(host(&app, reqwest::Method::POST, &uri, "", &auth).body(text_of(1501))).await;
    assert_host_error(status, &body, 413, "upload limit of 1500 bytes");
    assert_eq!(app.stored().await, (0, 0));
}

#[tokio::test]
async fn sessions_and_store_uris_are_checked() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let (status, body) = commit(&app, &key, "0123456789abcdef", &[]).await;
    assert_action_error(status, &body, 400, "unknown SessionKey");
    for store_key in ["..%2Fescape", "%2Fetc%2Fpasswd", "a%2F..%2F..%2Fb"] {
        let (status, body) = apply(&app, &key, &format!("&StoreKeys={store_key}")).await;
        assert_action_error(status, &body, 400, "StoreKey");
    }
    let (status, body) = host_json(
        host(
            &app,
            reqwest::Method::POST,
            "imgate/..%2F..%2Fsecret",
            "",
            "x",
        )
        .body("x"),
    )
    .await;
    assert_host_error(status, &body, 400, "StoreUri");
    let url = app.url(&format!("{ACTIONS}?Action=DeleteEverything"));
    let response = app
        .client
        .get(url)
        .bearer_auth(&key)
        .send()
        .await
        .expect("get");
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("json");
    assert_action_error(status, &body, 400, "unknown Action `DeleteEverything`");
    assert_eq!(body["ResponseMetadata"]["Action"], "DeleteEverything");
    assert_eq!(app.stored().await, (0, 0));
}

#[tokio::test]
async fn expired_sessions_refuse_uploads_and_commits() {
    let app =
        spawn_app_with(|s| s.imagex.session_ttl = imgate::config::Duration::from_secs(1)).await;
    let key = app.upload_key().await;
    let (_, reply) = apply(&app, &key, "&BizType=2&FileExtension=txt").await;
    let (uri, auth, _) = store_info(&reply, 0);
    let session = reply["Result"]["UploadAddress"]["SessionKey"]
        .as_str()
        .expect("key")
        .to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, body) =
        host_json(host(&app, reqwest::Method::POST, &uri, "", &auth).body(text_of(10))).await;
    assert_eq!(
        status, 401,
        "the upload token expired with its session: {body}"
    );
    let (status, body) = commit(&app, &key, &session, &[&uri]).await;
    assert_action_error(status, &body, 400, "expired");
    assert_eq!(app.stored().await, (0, 0));
}

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

#[tokio::test]
async fn store_keys_cannot_take_an_existing_name() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let (_, reply) = apply(&app, &key, "&StoreKeys=mine.png").await;
    let (uri, auth, _) = store_info(&reply, 0);
    let png = fixture("images/rgba.png");
    assert_eq!(
        host_json(host(&app, reqwest::Method::POST, &uri, "", &auth).body(png))
            .await
            .0,
        200
    );
    let session = reply["Result"]["UploadAddress"]["SessionKey"]
        .as_str()
        .expect("key")
        .to_owned();
    assert_eq!(commit(&app, &key, &session, &[&uri]).await.0, 200);
    let (_, other) = app
        .key_with(&[imgate::auth::Scope::Upload], None, None)
        .await;
    for taken in ["mine", "mine.jpg", "mine.png"] {
        let (status, body) = apply(&app, &other, &format!("&StoreKeys={taken}")).await;
        assert_action_error(status, &body, 400, "taken");
    }
    let (status, body) = apply(&app, &other, "&StoreKeys=x~tplv-imgate-noop.image").await;
    assert_action_error(status, &body, 400, "reserved for variants");
    let response = app
        .client
        .get(format!("{}/imgate/mine.png", app.public_base))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 200, "the first owner's object is intact");
}

#[tokio::test]
async fn repeated_completes_and_concurrent_commits_agree() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let (upload, session) = started(&app, &key).await;
    let uri = upload.uri.clone();
    let part = text_of(5000);
    let request = upload
        .part(&app, reqwest::Method::POST, 1)
        .body(part.clone());
    assert_eq!(host_json(request).await.0, 200);
    let list = format!("1:{}", crc_hex(&part));
    for _ in 0..2 {
        let complete = upload.by_id(&app, reqwest::Method::POST).body(list.clone());
        let (status, body) = host_json(complete).await;
        assert_eq!(
            (status, &body["payload"]["hash"]),
            (200, &json!(crc_hex(&part))),
            "{body}"
        );
    }
    let commits: Vec<_> = (0..4)
        .map(|_| {
            let (app_url, key, session, uri) =
                (app.url(""), key.clone(), session.clone(), uri.clone());
            let client = app.client.clone();
            tokio::spawn(async move {
                let url = format!(
                    "{app_url}/api/common/upload/apply_upload_action?Action=CommitImageUpload"
                );
                let response = client
                    .post(url)
                    .bearer_auth(key)
                    .json(&json!({"SessionKey": session, "SuccessOids": [uri]}))
                    .send()
                    .await
                    .expect("commit");
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.expect("json"))
            })
        })
        .collect();
    let mut answers = Vec::new();
    for commit in commits {
        answers.push(commit.await.expect("joined"));
    }
    assert!(
        answers
            .iter()
            .all(|(status, _)| *status == 200 || *status == 503),
        "{answers:?}"
    );
    let results: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| &b["Result"]["PluginResult"])
        .collect();
    assert!(
        !results.is_empty() && results.iter().all(|r| *r == results[0]),
        "{answers:?}"
    );
    let url = results[0][0]["ImageUrl"].as_str().expect("url");
    assert_eq!(
        app.client.get(url).send().await.expect("get").status(),
        200,
        "the committed object is there"
    );
    assert_eq!(app.stored().await, (1, 1));
}
