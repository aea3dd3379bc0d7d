//! Methods 2 and 3 over HTTP: temporary credentials, apply, direct and chunked uploads
//! (numbered from 0 and from 1), resume, commit, and the reference document's PUT flow.

use serde_json::{Value, json};

use crate::helpers::{TestApp, fixture, spawn_app, spawn_app_with};

const ACTIONS: &str = "/api/common/upload/apply_upload_action";

/// A crc32 as the upload host wants it.
pub fn crc_hex(bytes: &[u8]) -> String {
    format!("{:08x}", crc32fast::hash(bytes))
}

/// `ApplyImageUpload` with an API key; answers the whole reply.
pub async fn apply(app: &TestApp, key: &str, extra: &str) -> (u16, Value) {
    let url = app.url(&format!(
        "{ACTIONS}?Action=ApplyImageUpload&Version=2018-08-01&ServiceId=imgate{extra}"
    ));
    let response = app
        .client
        .get(url)
        .bearer_auth(key)
        .send()
        .await
        .expect("apply");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

pub fn store_info(reply: &Value, i: usize) -> (String, String, String) {
    let info = &reply["Result"]["UploadAddress"]["StoreInfos"][i];
    let field = |name: &str| info[name].as_str().expect(name).to_owned();
    (field("StoreUri"), field("Auth"), field("UploadID"))
}

/// A request to the upload host for `uri` with the StoreInfo's token.
pub fn host(
    app: &TestApp,
    method: reqwest::Method,
    uri: &str,
    query: &str,
    auth: &str,
) -> reqwest::RequestBuilder {
    app.client
        .request(method, app.url(&format!("/api/common/upload/{uri}{query}")))
        .header("authorization", auth)
}

pub async fn host_json(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("upload host");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

/// A chunked upload on the upload host: its StoreUri, token and uploadID.
pub struct Chunked {
    pub uri: String,
    pub auth: String,
    pub id: String,
}

impl Chunked {
    /// Starts a chunked upload of `uri` (`?uploads`) with `method`.
    pub async fn start(app: &TestApp, method: reqwest::Method, uri: &str, auth: &str) -> Self {
        let (status, init) = host_json(host(app, method, uri, "?uploads", auth)).await;
        assert_eq!(status, 200, "{init}");
        let id = init["payload"]["uploadID"]
            .as_str()
            .expect("uploadID")
            .to_owned();
        Self {
            uri: uri.to_owned(),
            auth: auth.to_owned(),
            id,
        }
    }

    /// Part `number` (`?partNumber=&uploadID=`); the body is the caller's.
    pub fn part(
        &self,
        app: &TestApp,
        method: reqwest::Method,
        number: impl std::fmt::Display,
    ) -> reqwest::RequestBuilder {
        let query = format!("?partNumber={number}&uploadID={}", self.id);
        host(app, method, &self.uri, &query, &self.auth)
    }

    /// `?uploadID=`: the complete (POST or PUT, with the part list) or the resume (GET).
    pub fn by_id(&self, app: &TestApp, method: reqwest::Method) -> reqwest::RequestBuilder {
        let query = format!("?uploadID={}", self.id);
        host(app, method, &self.uri, &query, &self.auth)
    }
}

pub async fn commit(app: &TestApp, key: &str, session_key: &str, oids: &[&str]) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(&format!(
            "{ACTIONS}?Action=CommitImageUpload&Version=2018-08-01&ServiceId=imgate"
        )))
        .bearer_auth(key)
        .json(&json!({"SessionKey": session_key, "SuccessOids": oids}))
        .send()
        .await
        .expect("commit");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

fn session_key(reply: &Value) -> String {
    reply["Result"]["UploadAddress"]["SessionKey"]
        .as_str()
        .expect("SessionKey")
        .to_owned()
}

/// A text file of `size` bytes (the dataset biz type takes it unchanged).
pub fn text_of(size: usize) -> Vec<u8> {
    let line = b"imgate chunked upload test line, plain UTF-8 text.\n";
    line.iter().copied().cycle().take(size).collect()
}

async fn fetch(app: &TestApp, url: &str) -> Vec<u8> {
    let response = app.client.get(url).send().await.expect("get");
    assert_eq!(response.status(), 200, "{url}");
    response.bytes().await.expect("bytes").to_vec()
}

#[tokio::test]
async fn direct_upload_is_committed_and_served() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let png = fixture("images/rgba.png");
    let (status, reply) = apply(
        &app,
        &key,
        &format!("&FileExtension=.png&FileSize={}", png.len()),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let hosts = &reply["Result"]["UploadAddress"]["UploadHosts"];
    assert_eq!(
        hosts[0],
        format!(
            "{}/api/common/upload",
            app.address.trim_start_matches("http://")
        )
    );
    let (uri, auth, _) = store_info(&reply, 0);
    assert!(uri.starts_with("imgate/") && uri.ends_with(".png"), "{uri}");
    let put = host(&app, reqwest::Method::POST, &uri, "", &auth)
        .header("content-crc32", crc_hex(&png))
        .body(png.clone());
    let (status, body) = host_json(put).await;
    assert_eq!((status, &body["success"]), (200, &json!(0)), "{body}");
    assert_eq!(body["payload"], json!({"hash": crc_hex(&png), "key": uri}));
    assert_eq!(
        app.stored().await,
        (0, 0),
        "nothing is an object before the commit"
    );

    let (status, committed) = commit(&app, &key, &session_key(&reply), &[&uri]).await;
    assert_eq!(status, 200, "{committed}");
    let result = &committed["Result"];
    assert_eq!(result["Results"][0], json!({"Uri": uri, "UriStatus": 2000}));
    let plugin = &result["PluginResult"][0];
    assert_eq!(
        (
            plugin["ImageWidth"].as_u64(),
            plugin["ImageHeight"].as_u64()
        ),
        (Some(200), Some(200))
    );
    assert_eq!(plugin["ImageFormat"], "png");
    assert_eq!(plugin["FrameCnt"], 1);
    assert_eq!(plugin["SourceUri"], uri);
    let served = fetch(&app, plugin["ImageUrl"].as_str().expect("url")).await;
    assert_eq!(
        served.len() as u64,
        plugin["ImageSize"].as_u64().expect("size")
    );
    assert_eq!(
        format!("{:x}", md5::Md5::digest(&served)),
        plugin["ImageMd5"].as_str().expect("md5")
    );

    let (status, again) = commit(&app, &key, &session_key(&reply), &[&uri]).await;
    assert_eq!(status, 200);
    assert_eq!(
        again["Result"]["PluginResult"], result["PluginResult"],
        "committing twice answers the same"
    );
}

/// Uploads `bytes` in parts of `part_size`, numbered from `first`, the way tt-uploader
/// (POST, from 1) or the SDKs (PUT, from 0) do, then completes and commits.
pub async fn chunked(
    app: &TestApp,
    key: &str,
    bytes: &[u8],
    part_size: usize,
    first: usize,
    method: reqwest::Method,
) {
    let (_, reply) = apply(app, key, "&BizType=2&FileExtension=txt").await;
    let (uri, auth, _) = store_info(&reply, 0);
    let upload = Chunked::start(app, method.clone(), &uri, &auth).await;
    let mut list = Vec::new();
    for (i, part) in bytes.chunks(part_size).enumerate() {
        let number = first + i;
        let request = upload
            .part(app, method.clone(), number)
            .header("content-crc32", crc_hex(part))
            .header("x-storage-mode", "gateway")
            .body(part.to_vec());
        let (status, body) = host_json(request).await;
        assert_eq!(
            (status, &body["payload"]["hash"]),
            (200, &json!(crc_hex(part))),
            "{body}"
        );
        list.push(format!("{number}:{}", crc_hex(part)));
    }
    assert_eq!(app.staged().await, list.len(), "one staged file a part");
    if app.s3.is_some() {
        assert!(
            !app.settings.staging_root().exists(),
            "on S3, parts never touch the local disk"
        );
    }
    let (_, resumed) = host_json(upload.by_id(app, reqwest::Method::GET)).await;
    assert_eq!(
        resumed["payload"]["partList"]
            .as_array()
            .expect("parts")
            .len(),
        list.len()
    );
    let request = upload
        .by_id(app, method)
        .header("content-type", "text/plain")
        .body(list.join(","));
    let (status, done) = host_json(request).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["payload"], json!({"hash": crc_hex(bytes), "key": uri}));
    let (status, committed) = commit(app, key, &session_key(&reply), &[&uri]).await;
    assert_eq!(status, 200, "{committed}");
    let url = committed["Result"]["PluginResult"][0]["ImageUrl"]
        .as_str()
        .expect("url");
    assert_eq!(
        fetch(app, url).await,
        bytes,
        "the served file is the uploaded one"
    );
    assert_eq!(app.staged().await, 0, "the commit removes the parts");
}

/// 12 MiB in 5 MiB parts numbered from `first`, sent with `method`.
async fn twelve_mib_chunked(first: usize, method: reqwest::Method) {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let bytes = text_of(12 * 1024 * 1024);
    chunked(&app, &key, &bytes, 5 * 1024 * 1024, first, method).await;
}

#[tokio::test]
async fn twelve_mib_chunked_from_one_like_tt_uploader() {
    twelve_mib_chunked(1, reqwest::Method::POST).await;
}

#[tokio::test]
async fn twelve_mib_chunked_from_zero_like_the_sdks() {
    twelve_mib_chunked(0, reqwest::Method::PUT).await;
}

#[tokio::test]
async fn parts_survive_a_restart() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let bytes = text_of(3 * 1024 * 1024);
    let (_, reply) = apply(&app, &key, "&BizType=2&FileExtension=txt").await;
    let (uri, auth, _) = store_info(&reply, 0);
    let upload = Chunked::start(&app, reqwest::Method::POST, &uri, &auth).await;
    let (first, second) = bytes.split_at(2 * 1024 * 1024);
    let part = |app: &TestApp, n: usize, data: &[u8]| {
        upload
            .part(app, reqwest::Method::POST, n)
            .header("content-crc32", crc_hex(data))
            .body(data.to_vec())
    };
    assert_eq!(host_json(part(&app, 1, first)).await.0, 200);

    let app = app.restart().await;

    let (_, resumed) = host_json(upload.by_id(&app, reqwest::Method::GET)).await;
    assert_eq!(
        resumed["payload"]["partList"],
        json!([{"partNumber": 1, "crc32": crc_hex(first)}])
    );
    assert_eq!(host_json(part(&app, 2, second)).await.0, 200);
    let list = format!("1:{},2:{}", crc_hex(first), crc_hex(second));
    let (status, done) = host_json(upload.by_id(&app, reqwest::Method::POST).body(list)).await;
    assert_eq!(status, 200, "{done}");
    let (status, committed) = commit(&app, &key, &session_key(&reply), &[&uri]).await;
    assert_eq!(status, 200, "{committed}");
    let url = committed["Result"]["PluginResult"][0]["ImageUrl"]
        .as_str()
        .expect("url");
    assert_eq!(fetch(&app, url).await, bytes);
}

#[tokio::test]
async fn the_reference_documents_put_flow_works_with_a_session_token() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let response = app
        .client
        .post(app.url("/api/playground/upload/auth_token"))
        .bearer_auth(&key)
        .json(&json!({"scene": "bot_icon", "data_type": "image"}))
        .send()
        .await
        .expect("auth_token");
    assert_eq!(response.status(), 200);
    let token: Value = response.json().await.expect("json");
    let data = &token["data"];
    assert_eq!(data["upload_path_prefix"], "bot-icon-image");
    assert_eq!(data["service_id"], "imgate");
    assert_eq!(data["schema"], "http");
    let auth = &data["auth"];
    assert!(
        auth["access_key_id"]
            .as_str()
            .expect("ak")
            .starts_with("AKTP")
    );
    assert!(auth["expired_time"].as_str().expect("time").len() == 19);
    let url = format!(
        "{}://{}/{}/icon.png",
        data["schema"].as_str().expect("schema"),
        data["upload_host"].as_str().expect("host"),
        data["upload_path_prefix"].as_str().expect("prefix"),
    );
    let png = fixture("images/orient-6.png");
    let session_token = auth["session_token"].as_str().expect("token");
    let response = app
        .client
        .put(&url)
        .bearer_auth(session_token)
        .body(png)
        .send()
        .await
        .expect("put");
    assert_eq!(response.status(), 200);
    let reply: Value = response.json().await.expect("json");
    assert_eq!(reply["code"], 0, "{reply}");
    assert!(
        reply["data"]["upload_uri"]
            .as_str()
            .expect("uri")
            .starts_with("BIZ_BOT_ICON/")
    );
    assert_eq!(
        (
            reply["data"]["width"].as_u64(),
            reply["data"]["height"].as_u64()
        ),
        (Some(120), Some(80))
    );
    fetch(&app, reply["data"]["upload_url"].as_str().expect("url")).await;

    // The same token applies through the ImageX actions, for its own biz type only.
    let (status, applied) = apply(&app, session_token, "&FileExtension=.png").await;
    assert_eq!(status, 200, "{applied}");
    let response = app
        .client
        .put(url.replace("bot-icon-image", "bot-dataset"))
        .bearer_auth(session_token)
        .body(fixture("files/sample.txt"))
        .send()
        .await
        .expect("put");
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn preflights_are_answered_for_allowed_origins() {
    let app =
        spawn_app_with(|s| s.imagex.cors_origins = vec!["https://studio.example.com".into()]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url(ACTIONS))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, x-date")
            .send()
    };
    let allowed = preflight("https://studio.example.com")
        .await
        .expect("options");
    assert_eq!(allowed.status(), 204);
    let h = allowed.headers();
    assert_eq!(
        h["access-control-allow-origin"],
        "https://studio.example.com"
    );
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert!(
        h["access-control-allow-headers"]
            .to_str()
            .expect("ascii")
            .contains("content-crc32")
    );
    let other = preflight("https://evil.example.com")
        .await
        .expect("options");
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn expired_sessions_and_their_parts_are_removed() {
    let app = spawn_app_with(|s| {
        s.imagex.session_ttl = imgate::config::Duration::from_secs(1);
        s.imagex.cleanup_interval = imgate::config::Duration::from_secs(1);
    })
    .await;
    let key = app.upload_key().await;
    let (_, reply) = apply(&app, &key, "&BizType=2&FileExtension=txt").await;
    let (uri, auth, _) = store_info(&reply, 0);
    let upload = Chunked::start(&app, reqwest::Method::POST, &uri, &auth).await;
    let request = upload
        .part(&app, reqwest::Method::POST, 1)
        .body(text_of(1000));
    assert_eq!(host_json(request).await.0, 200);
    assert_eq!(app.staged().await, 1);
    let mut gone = false;
    for _ in 0..100 {
        let session = app
            .catalog
            .find_upload_session(&session_key(&reply))
            .await
            .expect("catalog");
        if session.is_none() && app.staged().await == 0 {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        gone,
        "the expired session and its staged part were not removed"
    );
    assert!(
        app.catalog
            .find_upload(&uri)
            .await
            .expect("catalog")
            .is_none()
    );
}

use md5::Digest;

/// The complete list settles the file: unlisted parts are dropped, later parts refused,
/// and a commit that finds other bytes than the complete confirmed refuses them; the
/// client may still send the file whole instead.
#[tokio::test]
async fn the_complete_list_settles_the_file() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let (_, reply) = apply(&app, &key, "&BizType=2&FileExtension=txt").await;
    let (uri, auth, _) = store_info(&reply, 0);
    let upload = Chunked::start(&app, reqwest::Method::POST, &uri, &auth).await;
    let parts = [
        text_of(3000),
        b"second part\n".repeat(100),
        b"unlisted\n".to_vec(),
    ];
    let send_part = |number: usize| {
        upload
            .part(&app, reqwest::Method::POST, number)
            .body(parts[number - 1].clone())
    };
    for number in 1..=3 {
        assert_eq!(host_json(send_part(number)).await.0, 200);
    }
    let list = format!("1:{},2:{}", crc_hex(&parts[0]), crc_hex(&parts[1]));
    let complete = upload.by_id(&app, reqwest::Method::POST);
    let (status, done) = host_json(complete.body(list)).await;
    let file = [parts[0].clone(), parts[1].clone()].concat();
    assert_eq!(
        (status, &done["payload"]["hash"]),
        (200, &json!(crc_hex(&file))),
        "{done}"
    );
    assert_eq!(app.staged().await, 2, "the unlisted part is dropped");
    let (status, late) = host_json(send_part(2)).await;
    assert_eq!(status, 400, "{late}");
    assert!(late.to_string().contains("can no longer change"), "{late}");

    // A part that got past that check while the complete ran.
    let upload_id = app
        .catalog
        .find_upload(&uri)
        .await
        .expect("catalog")
        .expect("upload")
        .upload_id;
    let part = imgate::storage::ObjectKey::parse(&format!("{upload_id}/part-2")).expect("key");
    app.backends()
        .await
        .staging
        .put(
            &part,
            imgate::storage::stream_of(bytes::Bytes::from_static(b"late")),
        )
        .await
        .expect("overwrite a part");
    let (status, refused) = commit(&app, &key, &session_key(&reply), &[&uri]).await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused
            .to_string()
            .contains("changed after the upload was completed"),
        "{refused}"
    );
    assert_eq!(app.stored().await, (0, 0));

    let whole = host(
        &app,
        reqwest::Method::PUT,
        &uri,
        &format!("?uploadID={upload_id}"),
        &auth,
    )
    .body(file.clone());
    let (status, direct) = host_json(whole).await;
    assert_eq!(status, 200, "{direct}");
    assert_eq!(
        app.staged().await,
        1,
        "the direct upload replaces the parts"
    );
    let (status, committed) = commit(&app, &key, &session_key(&reply), &[&uri]).await;
    assert_eq!(status, 200, "{committed}");
    let url = committed["Result"]["PluginResult"][0]["ImageUrl"]
        .as_str()
        .expect("url");
    assert_eq!(fetch(&app, url).await, file);
}
