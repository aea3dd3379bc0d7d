//! The requests a migration test sends to either deployment: signing in, uploading (by
//! Base64 and to the ImageX upload host), fetching, and listing.

use imgate::auth::hash_password;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, apply, crc_hex, fixture, host, host_json, session_key, store_info, text_of,
    upload_body,
};

/// A web user signed in on `app`: their id and session cookie.
pub async fn signed_in(app: &TestApp, email: &str) -> (i64, String) {
    let hash = hash_password("a-long-password").expect("hash");
    let id = app.catalog.insert_user(email, &hash).await.expect("user");
    (id, login(app, email).await)
}

pub async fn login(app: &TestApp, email: &str) -> String {
    let response = app
        .client
        .post(app.url("/api/passport/web/email/login/"))
        .json(&json!({"email": email, "password": "a-long-password"}))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 200);
    let set_cookie = response.headers()["set-cookie"].to_str().expect("ascii");
    set_cookie.split(';').next().expect("cookie").to_owned()
}

/// `GET url` with `header`: the status and the body.
pub async fn get(app: &TestApp, url: &str, header: (&str, &str)) -> (u16, Vec<u8>) {
    let response = app
        .client
        .get(url)
        .header(header.0, header.1)
        .send()
        .await
        .expect("get");
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("body").to_vec())
}

/// A Base64 upload by `header` (a key or a cookie); answers `data`.
pub async fn upload(app: &TestApp, header: (&str, &str), file: &str, biz: i64) -> Value {
    let ext = file.rsplit('.').next().expect("ext");
    let response = app
        .client
        .post(app.url("/api/bot/upload_file"))
        .header(header.0, header.1)
        .json(&upload_body(ext, biz, &fixture(file)))
        .send()
        .await
        .expect("upload");
    let reply: Value = response.json().await.expect("json");
    assert_eq!(reply["code"], 0, "{reply}");
    reply["data"].clone()
}

/// The URL of an upload and those of its variants.
pub fn urls_of(data: &Value) -> Vec<String> {
    let variants = data["variants"].as_array().expect("variants");
    std::iter::once(&data["upload_url"])
        .chain(variants.iter().map(|v| &v["url"]))
        .map(|url| url.as_str().expect("url").to_owned())
        .collect()
}

/// Applies for a text file and sends it to the upload host: its StoreUri and SessionKey.
pub async fn staged_upload(app: &TestApp, key: &str) -> (String, String) {
    let text = text_of(3000);
    let (status, reply) = apply(app, key, "&BizType=2&FileExtension=txt").await;
    assert_eq!(status, 200, "{reply}");
    let (uri, auth, _) = store_info(&reply, 0);
    let put = host(app, reqwest::Method::POST, &uri, "", &auth)
        .header("content-crc32", crc_hex(&text))
        .body(text);
    let (status, body) = host_json(put).await;
    assert_eq!(status, 200, "{body}");
    (uri, session_key(&reply))
}

/// The URIs `GET /api/objects` lists for the caller.
pub async fn listing(app: &TestApp, header: (&str, &str)) -> Vec<String> {
    let (status, body) = get(app, &app.url("/api/objects"), header).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let body: Value = serde_json::from_slice(&body).expect("json");
    let objects = body["data"]["objects"].as_array().expect("objects");
    objects
        .iter()
        .map(|o| o["uri"].as_str().expect("uri").to_owned())
        .collect()
}
