//! Speaking the ImageX flow to a test server: apply, the upload host (direct, chunked,
//! resume, complete), commit, and the shapes its refusals take.

use serde_json::{Value, json};

use super::TestApp;

pub const ACTIONS: &str = "/api/common/upload/apply_upload_action";

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

/// `CommitImageUpload` of `oids` with an API key, not yet sent.
pub fn commit_request(
    app: &TestApp,
    key: &str,
    session_key: &str,
    oids: &[&str],
) -> reqwest::RequestBuilder {
    app.client
        .post(app.url(&format!(
            "{ACTIONS}?Action=CommitImageUpload&Version=2018-08-01&ServiceId=imgate"
        )))
        .bearer_auth(key)
        .json(&json!({"SessionKey": session_key, "SuccessOids": oids}))
}

pub async fn commit(app: &TestApp, key: &str, session_key: &str, oids: &[&str]) -> (u16, Value) {
    let response = commit_request(app, key, session_key, oids)
        .send()
        .await
        .expect("commit");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

/// The `Retry-After` a response carries.
pub fn retry_after(response: &reqwest::Response) -> Option<&str> {
    response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
}

pub fn session_key(reply: &Value) -> String {
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

pub async fn fetch(app: &TestApp, url: &str) -> Vec<u8> {
    let response = app.client.get(url).send().await.expect("get");
    assert_eq!(response.status(), 200, "{url}");
    response.bytes().await.expect("bytes").to_vec()
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

/// The upload host's failure shape, with the status asked for.
pub fn assert_host_error(status: u16, body: &Value, want_status: u16, fragment: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_ne!(body["success"], 0, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(fragment), "{fragment:?} not in {body}");
}

/// The actions' failure shape.
pub fn assert_action_error(status: u16, body: &Value, want_status: u16, fragment: &str) {
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
pub async fn started(app: &TestApp, key: &str) -> (Chunked, String) {
    let (_, reply) = apply(app, key, "&BizType=2&FileExtension=txt").await;
    let (uri, auth, _) = store_info(&reply, 0);
    let upload = Chunked::start(app, reqwest::Method::POST, &uri, &auth).await;
    let session = reply["Result"]["UploadAddress"]["SessionKey"]
        .as_str()
        .expect("key")
        .to_owned();
    (upload, session)
}
