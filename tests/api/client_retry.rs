//! `imgate upload` against a server that cannot store for a while: its object store (a real
//! S3 server) is stopped, so uploads answer 503 with `Retry-After`, and the client waits
//! that long before its one retry, by which time the store is back.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::{S3Bucket, S3Server, spawn_app_on_s3};

#[tokio::test]
async fn a_503_is_retried_after_the_wait_its_retry_after_asks_for() {
    let bucket = Arc::new(S3Bucket::new(S3Server::start()).await);
    let app = spawn_app_on_s3(Arc::clone(&bucket), |_| {}).await;
    let key = app.upload_key().await;
    let cache = tempfile::tempdir().expect("cache");
    let png = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/images/rgba.png");
    bucket.server.stop();

    let mut client = tokio::process::Command::new(env!("CARGO_BIN_EXE_imgate"))
        .args(["upload", "--server", &app.address, "--api-key", &key])
        .args(["--retries", "1", "--cache-dir"])
        .arg(cache.path())
        .arg(&png)
        .env_remove("IMGATE_API_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("imgate upload starts");
    let mut stderr = BufReader::new(client.stderr.take().expect("stderr")).lines();
    let notice = stderr
        .next_line()
        .await
        .expect("stderr reads")
        .expect("a line before the end");
    assert!(
        notice.contains("503 Service Unavailable")
            && notice.ends_with("retry 1 of 1 in 5.0 s, as the server's Retry-After asks"),
        "{notice}"
    );
    // The store comes back while the client waits; its retry finds it.
    tokio::task::spawn_blocking(move || bucket.server.resume())
        .await
        .expect("the store restarts");

    let output = client.wait_with_output().await.expect("imgate upload ends");
    let mut rest = Vec::new();
    while let Some(line) = stderr.next_line().await.expect("stderr reads") {
        rest.push(line);
    }
    assert!(output.status.success(), "{rest:?}");
    let result: Value = serde_json::from_slice(&output.stdout).expect("one JSON line");
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(
        app.client
            .get(result["url"].as_str().expect("url"))
            .send()
            .await
            .expect("get")
            .status(),
        200
    );
    assert_eq!(rest.len(), 1, "the summary: {rest:?}");
    assert!(
        rest[0].starts_with("imgate: 1 uploaded, 0 already uploaded, 0 failed; ")
            && rest[0].ends_with("; 1 retry"),
        "{rest:?}"
    );
}
