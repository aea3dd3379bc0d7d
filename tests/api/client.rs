//! `imgate upload` against a real server: a mixed directory at concurrency 4, a second run
//! that sends nothing, an interrupted chunked upload resumed by a second run, and clear
//! one-line errors.

use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::text_of;
use crate::helpers::{TestApp, fixture, spawn_app};

/// Runs `imgate upload` with `args` and answers its output.
async fn upload(server: &str, key: &str, cache: &Path, args: &[&str]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_imgate"));
    command
        .arg("upload")
        .args(["--server", server, "--api-key", key, "--cache-dir"])
        .arg(cache)
        .args(args)
        .env_remove("IMGATE_API_KEY")
        .env_remove("IMGATE_SERVER");
    command.output().await.expect("imgate upload runs")
}

fn lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn mixed_directory() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("icon.png"), fixture("images/rgba.png")).expect("write");
    std::fs::write(
        dir.path().join("photo.jpg"),
        fixture("images/photo-progressive.jpg"),
    )
    .expect("write");
    std::fs::create_dir(dir.path().join("docs")).expect("mkdir");
    std::fs::write(
        dir.path().join("docs/six-mib.txt"),
        text_of(6 * 1024 * 1024),
    )
    .expect("write");
    std::fs::write(
        dir.path().join("docs/twelve-mib.txt"),
        text_of(12 * 1024 * 1024),
    )
    .expect("write");
    std::fs::write(dir.path().join("fake.jpg"), fixture("bad/html.jpg")).expect("write");
    dir
}

async fn fetch_ok(app: &TestApp, url: &str) -> usize {
    let response = app.client.get(url).send().await.expect("get");
    assert_eq!(response.status(), 200, "{url}");
    response.bytes().await.expect("bytes").len()
}

#[tokio::test]
async fn a_mixed_directory_uploads_once() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let dir = mixed_directory();
    let cache = tempfile::tempdir().expect("cache");
    let path = dir.path().to_str().expect("utf-8");
    let first = upload(
        &app.address,
        &key,
        cache.path(),
        &["--biz-type", "2", "--concurrency", "4", path],
    )
    .await;
    assert!(
        !first.status.success(),
        "a failed file makes the exit status non-zero"
    );
    let results = lines(&first);
    assert_eq!(results.len(), 5, "{results:?}");
    let by_name = |name: &str| {
        results
            .iter()
            .find(|r| r["file"].as_str().is_some_and(|f| f.ends_with(name)))
            .expect(name)
    };
    for (name, method) in [
        ("icon.png", "base64"),
        ("photo.jpg", "base64"),
        ("six-mib.txt", "imagex"),
        ("twelve-mib.txt", "imagex-chunked"),
    ] {
        let result = by_name(name);
        assert_eq!(result["ok"], true, "{result}");
        assert_eq!(result["method"], method, "{name}");
        assert!(fetch_ok(&app, result["url"].as_str().expect("url")).await > 0);
    }
    let bad = by_name("fake.jpg");
    assert_eq!(bad["ok"], false);
    assert!(
        bad["error"].as_str().expect("error").contains("HTML"),
        "{bad}"
    );
    assert!(
        stderr(&first).contains("4 uploaded, 0 already uploaded, 1 failed"),
        "{}",
        stderr(&first)
    );
    let stored = app.stored().await;

    let second = upload(&app.address, &key, cache.path(), &["--biz-type", "2", path]).await;
    let again = lines(&second);
    assert!(
        again
            .iter()
            .filter(|r| r["ok"] == true)
            .all(|r| r["cached"] == true),
        "{again:?}"
    );
    assert!(
        stderr(&second).contains("0 uploaded, 4 already uploaded, 1 failed"),
        "{}",
        stderr(&second)
    );
    assert_eq!(app.stored().await, stored, "the second run stored nothing");

    let only_png = upload(
        &app.address,
        &key,
        cache.path(),
        &["--biz-type", "2", "--glob", "*.png", "--no-cache", path],
    )
    .await;
    assert!(only_png.status.success(), "{}", stderr(&only_png));
    let forced = lines(&only_png);
    assert_eq!(
        (forced.len(), &forced[0]["cached"]),
        (1, &Value::Bool(false))
    );
}

/// A TCP proxy in front of the server that counts the bytes clients send and, once
/// `cut_after` of them have passed, drops every connection and refuses new ones (the
/// network going down) until it is `restore`d.
struct Proxy {
    address: String,
    sent: Arc<AtomicU64>,
    down: Arc<AtomicBool>,
    cut_after: Arc<AtomicU64>,
}

impl Proxy {
    fn restore(&self) {
        self.sent.store(0, Ordering::SeqCst);
        self.cut_after.store(u64::MAX, Ordering::SeqCst);
        self.down.store(false, Ordering::SeqCst);
    }
}

async fn proxy(target: String, cut_after: u64) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    let sent = Arc::new(AtomicU64::new(0));
    let down = Arc::new(AtomicBool::new(false));
    let cut = Arc::new(AtomicU64::new(cut_after));
    let proxy = Proxy {
        address,
        sent: Arc::clone(&sent),
        down: Arc::clone(&down),
        cut_after: Arc::clone(&cut),
    };
    let counter = Arc::clone(&sent);
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            if down.load(Ordering::SeqCst) {
                continue;
            }
            let (target, sent, down, cut) = (
                target.clone(),
                Arc::clone(&counter),
                Arc::clone(&down),
                Arc::clone(&cut),
            );
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(&target).await else {
                    return;
                };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let upstream = async {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n) = client_read.read(&mut buf).await {
                        if n == 0 || down.load(Ordering::SeqCst) {
                            break;
                        }
                        if sent.fetch_add(n as u64, Ordering::SeqCst) + n as u64
                            > cut.load(Ordering::SeqCst)
                        {
                            down.store(true, Ordering::SeqCst);
                            break;
                        }
                        if server_write.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                };
                let downstream = tokio::io::copy(&mut server_read, &mut client_write);
                tokio::select! { _ = upstream => {}, _ = downstream => {} }
            });
        }
    });
    proxy
}

#[tokio::test]
async fn an_interrupted_chunked_upload_resumes_without_resending_parts() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("big.txt");
    let size = 16 * 1024 * 1024;
    std::fs::write(&file, text_of(size)).expect("write");
    let file = file.to_str().expect("utf-8");
    let cache = tempfile::tempdir().expect("cache");
    let target = app.address.trim_start_matches("http://").to_owned();
    let args = [
        "--biz-type",
        "2",
        "--part-concurrency",
        "1",
        "--retries",
        "1",
        file,
    ];

    let network = proxy(target, 11 * 1024 * 1024).await;
    let first = upload(&network.address, &key, cache.path(), &args).await;
    assert!(!first.status.success(), "the cut run fails");
    let failed = lines(&first);
    assert_eq!(failed[0]["ok"], false, "{failed:?}");
    assert!(!failed[0]["error"].as_str().unwrap_or_default().is_empty());

    network.restore();
    let second = upload(&network.address, &key, cache.path(), &args).await;
    assert!(second.status.success(), "{}", stderr(&second));
    let done = lines(&second);
    assert_eq!(done[0]["ok"], true, "{done:?}");
    assert_eq!(
        done[0]["resumed_parts"], 2,
        "parts 1 and 2 reached the server before the cut"
    );
    let resent = network.sent.load(Ordering::SeqCst);
    assert!(
        resent < (size - 2 * 5 * 1024 * 1024 + 1024 * 1024) as u64,
        "sent {resent} bytes: received parts went again"
    );
    let served = fetch_ok(&app, done[0]["url"].as_str().expect("url")).await;
    assert_eq!(served, size);
}

#[tokio::test]
async fn auto_falls_back_to_imagex_when_base64_is_refused_as_too_large() {
    let app = crate::helpers::spawn_app_with(|s| s.uploads.base64_max_bytes = 1000).await;
    let key = app.upload_key().await;
    let cache = tempfile::tempdir().expect("cache");
    let png = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/images/rgba.png");
    let output = upload(
        &app.address,
        &key,
        cache.path(),
        &[png.to_str().expect("utf-8")],
    )
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let result = &lines(&output)[0];
    assert_eq!(
        (&result["ok"], &result["method"]),
        (&Value::Bool(true), &Value::from("imagex")),
        "{result}"
    );
    fetch_ok(&app, result["url"].as_str().expect("url")).await;
}

#[tokio::test]
async fn failures_are_one_clear_line() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let cache = tempfile::tempdir().expect("cache");
    let png = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/images/rgba.png");
    let png = png.to_str().expect("utf-8");

    let down = upload(
        "http://127.0.0.1:9",
        &key,
        cache.path(),
        &["--retries", "0", png],
    )
    .await;
    assert!(!down.status.success());
    let error = lines(&down)[0]["error"].as_str().expect("error").to_owned();
    assert!(
        error.contains("cannot reach the server at http://127.0.0.1:9"),
        "{error}"
    );

    let wrong = upload(
        &app.address,
        &format!("pat_{}", "0".repeat(64)),
        cache.path(),
        &[png],
    )
    .await;
    let error = lines(&wrong)[0]["error"]
        .as_str()
        .expect("error")
        .to_owned();
    assert!(
        error.starts_with("401") && error.contains("invalid api key"),
        "{error}"
    );

    let big = tempfile::tempdir().expect("dir");
    let file = big.path().join("huge.txt");
    std::fs::write(&file, text_of(6 * 1024 * 1024)).expect("write");
    let small_server =
        crate::helpers::spawn_app_with(|s| s.imagex.max_file_bytes = 1024 * 1024).await;
    let small_key = small_server.upload_key().await;
    let too_large = upload(
        &small_server.address,
        &small_key,
        cache.path(),
        &["--biz-type", "2", file.to_str().expect("utf-8")],
    )
    .await;
    let error = lines(&too_large)[0]["error"]
        .as_str()
        .expect("error")
        .to_owned();
    assert!(
        error.starts_with("413") && error.contains("1048576"),
        "{error}"
    );

    for output in [&down, &wrong, &too_large] {
        let text = stderr(output);
        assert!(
            !text.contains("panicked") && !text.contains("RUST_BACKTRACE"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 2, "a summary and the failure: {text}");
    }
    let no_key = tokio::process::Command::new(env!("CARGO_BIN_EXE_imgate"))
        .args(["upload", "--server", &app.address, png])
        .env_remove("IMGATE_API_KEY")
        .current_dir(cache.path())
        .output()
        .await
        .expect("runs");
    assert!(!no_key.status.success());
    assert!(
        stderr(&no_key).contains("no API key"),
        "{}",
        stderr(&no_key)
    );
}
