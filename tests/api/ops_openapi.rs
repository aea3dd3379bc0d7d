//! `/openapi.json`: a real validator (PyPI `openapi-spec-validator`) accepts the document,
//! and replies the server gives (successes and refusals, in each route family's shape)
//! satisfy the schemas the document names for them (PyPI `jsonschema`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::{
    TestApp, apply, commit, crc_hex, fixture, host, host_json, spawn_app, store_info, upload_body,
};
use crate::python::{python_with, run};

/// The Python that has the validators: `IMGATE_OPS_PYTHON`, or a virtual environment made
/// once under the target directory from `tests/ops/requirements.txt`.
fn validator_python() -> PathBuf {
    python_with(
        "IMGATE_OPS_PYTHON",
        "ops-venv",
        "tests/ops/requirements.txt",
        "import openapi_spec_validator, jsonschema",
    )
}

/// Replies gathered from the server, with the documented path and method they answer.
#[derive(Default)]
struct Samples(Vec<Value>);

impl Samples {
    async fn take(&mut self, path: &str, method: &str, response: reqwest::Response) -> Value {
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("JSON reply");
        self.0
            .push(json!({"path": path, "method": method, "status": status, "body": body}));
        body
    }

    fn push(&mut self, path: &str, method: &str, (status, body): (u16, Value)) -> Value {
        self.0
            .push(json!({"path": path, "method": method, "status": status, "body": body}));
        body
    }
}

async fn coze_replies(app: &TestApp, key: &str, samples: &mut Samples) -> String {
    for path in ["/healthz", "/readyz", "/api/upload/limits"] {
        let response = app.client.get(app.url(path)).send().await.expect("get");
        samples.take(path, "get", response).await;
    }
    let png = fixture("files/sample.png");
    let upload = "/api/bot/upload_file";
    let stored = samples
        .take(upload, "post", app.upload_file(key, "png", 1, &png).await)
        .await;
    samples
        .take(upload, "post", app.upload_file(key, "zip", 1, &png).await)
        .await;
    samples
        .take(
            upload,
            "post",
            app.upload_json(None, &upload_body("png", 1, &png)).await,
        )
        .await;
    let uri = stored["data"]["upload_uri"]
        .as_str()
        .expect("uri")
        .to_owned();
    let urls = app.refresh_urls(key, &[&uri]).await;
    samples
        .take("/api/playground_api/get_imagex_url", "post", urls)
        .await;
    let token = app
        .client
        .post(app.url("/api/playground/upload/auth_token"))
        .bearer_auth(key)
        .json(&json!({"scene": "bot_icon"}))
        .send()
        .await
        .expect("auth_token");
    samples
        .take("/api/playground/upload/auth_token", "post", token)
        .await;
    let login = app
        .client
        .post(app.url("/api/passport/web/email/login/"))
        .json(&json!({"email": "nobody@example.com", "password": "not-a-password"}))
        .send()
        .await
        .expect("login");
    samples
        .take("/api/passport/web/email/login/", "post", login)
        .await;
    uri
}

async fn imagex_replies(app: &TestApp, key: &str, samples: &mut Samples) {
    const ACTIONS: &str = "/api/common/upload/apply_upload_action";
    const HOST: &str = "/api/common/upload/{store_uri}";
    let png = fixture("files/sample.png");
    let applied = samples.push(ACTIONS, "get", apply(app, key, "&FileExtension=.png").await);
    let (uri, auth, _) = store_info(&applied, 0);
    let session = applied["Result"]["UploadAddress"]["SessionKey"]
        .as_str()
        .expect("session")
        .to_owned();
    let wrong_crc = host(app, reqwest::Method::POST, &uri, "", &auth)
        .header("content-crc32", "00000000")
        .body(png.clone());
    samples.push(HOST, "post", host_json(wrong_crc).await);
    let direct = host(app, reqwest::Method::POST, &uri, "", &auth)
        .header("content-crc32", crc_hex(&png))
        .body(png.clone());
    samples.push(HOST, "post", host_json(direct).await);
    samples.push(ACTIONS, "post", commit(app, key, &session, &[&uri]).await);
    samples.push(
        ACTIONS,
        "post",
        commit(app, key, "no-such-session", &[&uri]).await,
    );
    samples.push(ACTIONS, "get", apply(app, "pat_0", "").await);
}

#[tokio::test]
async fn the_document_is_valid_and_replies_match_their_schemas() {
    let python = tokio::task::spawn_blocking(validator_python)
        .await
        .expect("venv");
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let mut samples = Samples::default();
    let uri = coze_replies(&app, &key, &mut samples).await;
    imagex_replies(&app, &key, &mut samples).await;
    let delete = app
        .client
        .delete(app.url(&format!("/api/common/upload/object/{uri}")))
        .bearer_auth(&key)
        .send()
        .await
        .expect("delete");
    samples
        .take("/api/common/upload/object/{uri}", "delete", delete)
        .await;
    let document: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("document")
        .json()
        .await
        .expect("json");
    assert_eq!(document["openapi"], "3.1.0");

    let dir = tempfile::tempdir().expect("dir");
    let (doc_path, samples_path) = (
        dir.path().join("openapi.json"),
        dir.path().join("samples.json"),
    );
    std::fs::write(&doc_path, document.to_string()).expect("write");
    std::fs::write(&samples_path, Value::from(samples.0).to_string()).expect("write");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ops/openapi_check.py");
    let output = run(Command::new(python)
        .arg(script)
        .arg(&doc_path)
        .arg(&samples_path));
    println!("{output}");
    assert!(output.contains(" 0 failed"), "{output}");
}
