//! The console's object APIs as scripts use them: the caller's objects (`/api/objects`),
//! paged by cursor and filtered, one object and a checked URL of it, and deletion. Whose
//! objects each caller sees is the point of most of these tests.

use imgate::auth::{Scope, hash_password};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, fixture, spawn_app, spawn_app_with, upload_body};

/// A web user, signed in: answers their id and the `Cookie` header of their session.
pub async fn signed_in(app: &TestApp, email: &str) -> (i64, String) {
    let hash = hash_password("a-long-password").expect("hash");
    let id = app.catalog.insert_user(email, &hash).await.expect("user");
    let response = app
        .client
        .post(app.url("/api/passport/web/email/login/"))
        .json(&json!({"email": email, "password": "a-long-password"}))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 200);
    let set_cookie = response.headers()["set-cookie"].to_str().expect("ascii");
    let cookie = set_cookie.split(';').next().expect("cookie").to_owned();
    (id, cookie)
}

/// `method path` with the session cookie (and a JSON body when given): status and body.
pub async fn as_user(
    app: &TestApp,
    cookie: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, app.url(path))
        .header("cookie", cookie);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub async fn get(app: &TestApp, cookie: &str, path: &str) -> (u16, Value) {
    as_user(app, cookie, reqwest::Method::GET, path, None).await
}

pub async fn bearer_get(app: &TestApp, key: &str, path: &str) -> (u16, Value) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(key)
        .send()
        .await
        .expect("get");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

/// Uploads the sample PNG to `biz` with the cookie; answers its URI.
pub async fn upload_as(app: &TestApp, cookie: &str, biz: i64) -> String {
    let body = upload_body("png", biz, &fixture("files/sample.png"));
    let (status, reply) = as_user(
        app,
        cookie,
        reqwest::Method::POST,
        "/api/bot/upload_file",
        Some(body),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    reply["data"]["upload_uri"]
        .as_str()
        .expect("uri")
        .to_owned()
}

/// Makes a key through `POST /api/keys`; answers its id and secret.
pub async fn make_key(app: &TestApp, cookie: &str, body: Value) -> (i64, String) {
    let (status, reply) =
        as_user(app, cookie, reqwest::Method::POST, "/api/keys", Some(body)).await;
    assert_eq!(status, 200, "{reply}");
    let id = reply["data"]["key"]["id"].as_i64().expect("id");
    (
        id,
        reply["data"]["secret"].as_str().expect("secret").to_owned(),
    )
}

fn uris(page: &Value) -> Vec<String> {
    page["data"]["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| o["uri"].as_str().expect("uri").to_owned())
        .collect()
}

#[tokio::test]
async fn a_library_pages_through_its_users_and_their_keys_uploads_only() {
    let app = spawn_app().await;
    let (_, ann) = signed_in(&app, "ann@example.com").await;
    let (_, bob) = signed_in(&app, "bob@example.com").await;
    let mut own = Vec::new();
    for biz in [1, 2, 2, 0, 2] {
        own.push(upload_as(&app, &ann, biz).await);
    }
    let (_, key) = make_key(&app, &ann, json!({"name": "script"})).await;
    let by_key = app
        .upload_file_json(&key, "png", 2, &fixture("files/sample.png"))
        .await;
    own.push(
        by_key["data"]["upload_uri"]
            .as_str()
            .expect("uri")
            .to_owned(),
    );
    let bobs = upload_as(&app, &bob, 2).await;

    let mut listed = Vec::new();
    let mut path = "/api/objects?limit=2".to_owned();
    loop {
        let (status, page) = get(&app, &ann, &path).await;
        assert_eq!(status, 200, "{page}");
        listed.extend(uris(&page));
        match page["data"]["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/objects?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    let mut expected = own.clone();
    expected.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(sorted, expected, "Ann's five and her key's one, each once");
    assert!(!listed.contains(&bobs));
    let (_, dataset) = get(&app, &ann, "/api/objects?biz_type=2").await;
    assert_eq!(uris(&dataset).len(), 4, "{dataset}");
    let first = &dataset["data"]["objects"][0];
    for field in [
        "url",
        "thumbnail_url",
        "content_type",
        "created_at",
        "owner",
    ] {
        assert!(!first[field].is_null(), "{field} in {first}");
    }
    assert_eq!(
        (first["width"].as_i64(), first["format"].as_str()),
        (Some(64), Some("png"))
    );
    let (_, bobs_page) = get(&app, &bob, "/api/objects").await;
    assert_eq!(uris(&bobs_page), vec![bobs]);
}

#[tokio::test]
async fn listing_parameters_say_what_is_wrong() {
    let app = spawn_app().await;
    let (_, ann) = signed_in(&app, "ann@example.com").await;
    for (query, says) in [
        ("limit=0", "limit must be 1 to 200"),
        ("limit=201", "limit must be 1 to 200"),
        ("biz_type=11", "biz_type `11` is not a biz type code"),
        ("cursor=not-a-cursor", "not one this server handed out"),
    ] {
        let response = app
            .client
            .get(app.url(&format!("/api/objects?{query}")))
            .header("cookie", &ann)
            .send()
            .await
            .expect("get");
        let message = assert_error(response, 400, 40000).await;
        assert!(message.contains(says), "{query}: {message}");
    }
    let anonymous = app
        .client
        .get(app.url("/api/objects"))
        .send()
        .await
        .expect("get");
    assert_error(anonymous, 401, 40001).await;
}

#[tokio::test]
async fn others_objects_are_not_found_and_cannot_be_deleted() {
    let app = spawn_app().await;
    let (_, ann) = signed_in(&app, "ann@example.com").await;
    let (_, bob) = signed_in(&app, "bob@example.com").await;
    let uri = upload_as(&app, &ann, 1).await;
    let (status, detail) = get(&app, &ann, &format!("/api/objects/{uri}")).await;
    assert_eq!(status, 200, "{detail}");
    let variants = app.catalog.variants_of(&uri).await.expect("variants");
    assert!(!variants.is_empty());
    assert_eq!(
        detail["data"]["variants"]
            .as_array()
            .expect("variants")
            .len(),
        variants.len()
    );
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let (status, _) = as_user(&app, &bob, method, &format!("/api/objects/{uri}"), None).await;
        assert_eq!(status, 404);
    }
    let (status, _) = get(&app, &bob, &format!("/api/objects/url?uri={uri}")).await;
    assert_eq!(status, 404);
    // Ann deletes what her key uploaded, and everything of it goes.
    let (_, key) = make_key(&app, &ann, json!({"name": "script"})).await;
    let by_key = app
        .upload_file_json(&key, "png", 1, &fixture("files/sample.png"))
        .await;
    let key_uri = by_key["data"]["upload_uri"].as_str().expect("uri");
    let key_url = by_key["data"]["upload_url"].as_str().expect("url");
    let (status, deleted) = as_user(
        &app,
        &ann,
        reqwest::Method::DELETE,
        &format!("/api/objects/{key_uri}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{deleted}");
    let gone = deleted["data"]["deleted"].as_array().expect("list").len();
    assert_eq!(gone, variants.len() + 1, "{deleted}");
    assert_eq!(
        app.client.get(key_url).send().await.expect("get").status(),
        404
    );
    let (status, _) = get(&app, &ann, &format!("/api/objects/{key_uri}")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn template_urls_are_checked_and_signed_in_private_deployments() {
    let app = spawn_app_with(|s| s.cdn.private = true).await;
    let (_, ann) = signed_in(&app, "ann@example.com").await;
    let uri = upload_as(&app, &ann, 2).await;
    let template = format!("{uri}~tplv-imgate-crop:32:32.webp");
    let (status, reply) = get(&app, &ann, &format!("/api/objects/url?uri={template}")).await;
    assert_eq!(status, 200, "{reply}");
    let url = reply["data"]["url"].as_str().expect("url");
    assert!(url.contains("x-signature="), "{url}");
    let variant = app.client.get(url).send().await.expect("variant");
    assert_eq!(variant.status(), 200);
    assert_eq!(variant.headers()["content-type"], "image/webp");
    let too_big = format!("{uri}~tplv-imgate-crop:5000:32.webp");
    let response = app
        .client
        .get(app.url(&format!("/api/objects/url?uri={too_big}")))
        .header("cookie", &ann)
        .send()
        .await
        .expect("get");
    let message = assert_error(response, 400, 40000).await;
    assert!(message.contains("4096"), "{message}");
    let (_, page) = get(&app, &ann, "/api/objects").await;
    let listed = &page["data"]["objects"][0];
    for field in ["url", "thumbnail_url"] {
        let url = listed[field].as_str().expect("url");
        assert!(url.contains("x-signature="), "{field}: {url}");
    }
}

#[tokio::test]
async fn operator_keys_list_by_scope() {
    let app = spawn_app().await;
    let (_, ann) = signed_in(&app, "ann@example.com").await;
    let anns = upload_as(&app, &ann, 0).await;
    let (_, reader) = app.key_with(&[Scope::Read], None, None).await;
    let (_, uploader) = app.key_with(&[Scope::Upload], None, None).await;
    let own = app
        .upload_file_json(&uploader, "png", 0, &fixture("files/sample.png"))
        .await;
    let own = own["data"]["upload_uri"].as_str().expect("uri").to_owned();
    let (_, everyone) = bearer_get(&app, &reader, "/api/objects").await;
    assert_eq!(uris(&everyone).len(), 2, "{everyone}");
    let (_, just_its_own) = bearer_get(&app, &uploader, "/api/objects").await;
    assert_eq!(uris(&just_its_own), vec![own]);
    let (status, _) = bearer_get(&app, &uploader, &format!("/api/objects/{anns}")).await;
    assert_eq!(status, 404);
}
