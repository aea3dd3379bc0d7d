//! What the operating tests share: a data directory with an API key, `imgate serve` run
//! in it, the three upload methods spoken to it over HTTP, and a scrape read back.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::helpers::{Server, crc_hex, imgate, last_line, run_ok, serve_in, upload_body};

pub const ACTIONS: &str = "/api/common/upload/apply_upload_action";

/// A data directory, an API key made in it by `imgate keys create`, and a client.
pub struct Deployment {
    pub dir: TempDir,
    pub key: String,
    pub client: reqwest::Client,
}

impl Deployment {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let key = last_line(&run_ok(imgate(
            dir.path(),
            &["keys", "create", "--name", "ops"],
        )));
        Self {
            dir,
            key,
            client: reqwest::Client::new(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub async fn serve(&self, env: &[(&str, &str)]) -> (Server, String) {
        serve_in(self.dir.path(), env).await
    }

    /// A Base64 upload; answers the status, the `X-Request-Id` and the reply.
    pub async fn upload_base64(
        &self,
        base: &str,
        file_type: &str,
        bytes: &[u8],
    ) -> (u16, String, Value) {
        let response = self
            .client
            .post(format!("{base}/api/bot/upload_file"))
            .bearer_auth(&self.key)
            .json(&upload_body(file_type, 1, bytes))
            .send()
            .await
            .expect("upload");
        let status = response.status().as_u16();
        let id = response.headers()["x-request-id"]
            .to_str()
            .expect("id")
            .to_owned();
        (status, id, response.json().await.expect("json"))
    }

    /// Applies for one upload to the icon biz type; answers its StoreUri, token and SessionKey.
    pub async fn apply(&self, base: &str) -> (String, String, String) {
        let url = format!(
            "{base}{ACTIONS}?Action=ApplyImageUpload&Version=2018-08-01&FileExtension=.png&BizType=1"
        );
        let reply = ok_json(self.client.get(url).bearer_auth(&self.key)).await;
        let address = &reply["Result"]["UploadAddress"];
        let info = &address["StoreInfos"][0];
        let field = |v: &Value| v.as_str().expect("field").to_owned();
        (
            field(&info["StoreUri"]),
            field(&info["Auth"]),
            field(&address["SessionKey"]),
        )
    }

    /// A request to the upload host for `uri` with its token.
    pub fn host(&self, base: &str, uri: &str, query: &str, auth: &str) -> reqwest::RequestBuilder {
        self.client
            .post(format!("{base}/api/common/upload/{uri}{query}"))
            .header("authorization", auth)
    }

    pub fn commit(&self, base: &str, session: &str, uri: &str) -> reqwest::RequestBuilder {
        let url = format!("{base}{ACTIONS}?Action=CommitImageUpload&Version=2018-08-01");
        self.client
            .post(url)
            .bearer_auth(&self.key)
            .json(&json!({"SessionKey": session, "SuccessOids": [uri]}))
    }

    /// Apply, a direct upload of `bytes`, commit; answers the commit's reply.
    pub async fn upload_direct(&self, base: &str, bytes: &[u8]) -> Value {
        let (uri, auth, session) = self.apply(base).await;
        let direct = self
            .host(base, &uri, "", &auth)
            .header("content-crc32", crc_hex(bytes))
            .body(bytes.to_vec());
        ok_json(direct).await;
        ok_json(self.commit(base, &session, &uri)).await
    }

    /// Apply, a chunked upload of `bytes` in `parts` parts numbered from 1, complete,
    /// commit; answers the commit's reply.
    pub async fn upload_chunked(&self, base: &str, bytes: &[u8], parts: usize) -> Value {
        let (uri, auth, session) = self.apply(base).await;
        let init = ok_json(self.host(base, &uri, "?uploads", &auth)).await;
        let id = init["payload"]["uploadID"].as_str().expect("id").to_owned();
        let mut list = Vec::new();
        for (i, part) in bytes.chunks(bytes.len().div_ceil(parts)).enumerate() {
            let query = format!("?partNumber={}&uploadID={id}", i + 1);
            let request = self
                .host(base, &uri, &query, &auth)
                .header("content-crc32", crc_hex(part))
                .body(part.to_vec());
            ok_json(request).await;
            list.push(format!("{}:{}", i + 1, crc_hex(part)));
        }
        let complete = self
            .host(base, &uri, &format!("?uploadID={id}"), &auth)
            .body(list.join(","));
        ok_json(complete).await;
        ok_json(self.commit(base, &session, &uri)).await
    }
}

/// Sends `request`; it must answer 200 with JSON, which is answered.
pub async fn ok_json(request: reqwest::RequestBuilder) -> Value {
    let response = request.send().await.expect("request");
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, 200, "{body}");
    body
}

/// `GET {base}/metrics`: every sample, by its name with labels as written.
pub async fn scrape(base: &str) -> (String, BTreeMap<String, f64>) {
    let response = reqwest::get(format!("{base}/metrics"))
        .await
        .expect("scrape");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().expect("type");
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().await.expect("text");
    let samples = text
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            Some((series.to_owned(), value.parse().ok()?))
        })
        .collect();
    (text, samples)
}
