//! `GET /api/upload/limits`, and the client choosing its method from it: a server with a
//! lower Base64 limit is sent its files by the ImageX flow without a 413 first, and a
//! server without the route is assumed to have the defaults.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{fixture, imgate, last_line, run_ok, spawn_app_with, text_of};

#[tokio::test]
async fn limits_answer_the_servers_settings_without_a_credential() {
    let app = spawn_app_with(|s| {
        s.uploads.base64_max_bytes = 1000;
        s.imagex.max_file_bytes = 2_000_000;
        s.imagex.max_part_bytes = 300_000;
        s.imagex.max_parts = 12;
    })
    .await;
    let (status, body) = app.get_json("/api/upload/limits").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["code"], &body["msg"]),
        (&Value::from(0), &Value::from("success"))
    );
    let data = &body["data"];
    assert_eq!(data["base64"]["max_bytes"], 1000, "{data}");
    assert_eq!(data["imagex"]["max_file_bytes"], 2_000_000, "{data}");
    assert_eq!(data["imagex"]["max_part_bytes"], 300_000, "{data}");
    assert_eq!(data["imagex"]["max_parts"], 12, "{data}");
    let biz_types = data["biz_types"].as_array().expect("biz_types");
    assert_eq!(biz_types.len(), 11, "{data}");
    let icon = &biz_types[1];
    assert_eq!(icon["code"], 1);
    assert_eq!(icon["name"], "BIZ_BOT_ICON");
    assert_eq!(icon["accepts"], serde_json::json!(["image"]));
    assert_eq!(
        icon["file_types"],
        serde_json::json!(["jpg", "png", "gif", "webp"])
    );
    assert_eq!(icon["profile"], "icon");
    let dataset = &biz_types[2];
    assert_eq!(dataset["name"], "BIZ_BOT_DATASET");
    assert_eq!(
        dataset["accepts"],
        serde_json::json!(["image", "document", "archive"])
    );
    assert_eq!(dataset["profile"], "image");
    let space = &biz_types[5];
    assert_eq!(space["accepts"], serde_json::json!(["image", "document"]));
    assert!(
        space["file_types"]
            .as_array()
            .is_some_and(|t| t.contains(&Value::from("pdf")) && !t.contains(&Value::from("zip"))),
        "{space}"
    );
}

/// Requests the server logged: `(method, path, status)` from its request log lines.
fn requests(log: &str) -> Vec<(String, String, u16)> {
    let field = |line: &str, name: &str| {
        line.split_whitespace()
            .find_map(|word| word.strip_prefix(&format!("{name}=")))
            .map(str::to_owned)
    };
    log.lines()
        .filter_map(|line| {
            let status = field(line, "status")?.parse().ok()?;
            Some((field(line, "method")?, field(line, "path")?, status))
        })
        .collect()
}

/// An `imgate serve` process, stopped when dropped.
struct Serving(std::process::Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `imgate serve` in `cwd` with a Base64 limit of 1000 bytes and its request log in a
/// file; answers the process, its URL and the log's path.
async fn logged_server(cwd: &Path) -> (Serving, String, PathBuf) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let log = cwd.join("server.log");
    let server = Serving(
        imgate(cwd, &["serve"])
            .env("IMGATE__SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env("IMGATE__UPLOADS__BASE64_MAX_BYTES", "1000")
            .env("IMGATE_LOG", "imgate=debug")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("serve starts"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        let up = client.get(format!("{base}/healthz")).send().await;
        if up.is_ok_and(|r| r.status() == 200) {
            return (server, base, log);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("imgate serve did not come up");
}

#[tokio::test]
async fn a_lower_base64_limit_is_used_without_a_413_first() {
    let cwd = tempfile::tempdir().expect("cwd");
    let key = last_line(&run_ok(imgate(
        cwd.path(),
        &["keys", "create", "--name", "t"],
    )));
    let (_server, base, log) = logged_server(cwd.path()).await;
    let files = cwd.path().join("files");
    std::fs::create_dir(&files).expect("mkdir");
    std::fs::write(files.join("small.txt"), text_of(1000)).expect("write");
    std::fs::write(files.join("icon.png"), fixture("images/rgba.png")).expect("write");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_imgate"))
        .args([
            "upload",
            "--server",
            &base,
            "--api-key",
            &key,
            "--biz-type",
            "2",
        ])
        .arg("--cache-dir")
        .arg(cwd.path().join("cache"))
        .arg(&files)
        .env_remove("IMGATE_API_KEY")
        .output()
        .await
        .expect("imgate upload runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let mut methods: Vec<(String, String)> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON"))
        .map(|r| {
            let file = r["file"].as_str().expect("file");
            let name = file.rsplit('/').next().unwrap_or(file).to_owned();
            (name, r["method"].as_str().expect("method").to_owned())
        })
        .collect();
    methods.sort();
    assert_eq!(
        methods,
        [
            ("icon.png".to_owned(), "imagex".to_owned()),
            ("small.txt".to_owned(), "base64".to_owned())
        ],
        "at the limit by Base64, over it by ImageX"
    );
    let seen = requests(&std::fs::read_to_string(&log).expect("log"));
    let count = |method: &str, path: &str| {
        seen.iter()
            .filter(|(m, p, s)| m == method && p == path && *s == 200)
            .count()
    };
    assert_eq!(count("GET", "/api/upload/limits"), 1, "{seen:?}");
    assert_eq!(count("POST", "/api/bot/upload_file"), 1, "{seen:?}");
    assert!(
        !seen.iter().any(|(_, _, status)| *status == 413),
        "{seen:?}"
    );
    assert!(
        seen.iter().all(|(_, _, status)| *status == 200),
        "nothing refused: {seen:?}"
    );
}

/// A way to the server at `target` that makes it look as a server before the limits route:
/// a request for it reaches the server under another path, which the server answers with
/// its own 404. Everything else passes unchanged. Answers the address and how many
/// requests for the route it turned away.
async fn server_without_limits(target: &str) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    let target = target.trim_start_matches("http://").to_owned();
    let hidden = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hidden);
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let (target, counter) = (target.clone(), Arc::clone(&counter));
            tokio::spawn(async move {
                let Ok(mut server) = TcpStream::connect(&target).await else {
                    return;
                };
                // The first request of a connection: its request line decides.
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.contains(&b'\n') {
                    match client.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                const ROUTE: &[u8] = b"GET /api/upload/limits ";
                if head.starts_with(ROUTE) {
                    counter.fetch_add(1, Ordering::SeqCst);
                    head.splice(..ROUTE.len() - 1, b"GET /api/upload/no-such-route".to_vec());
                }
                if server.write_all(&head).await.is_ok() {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });
    (address, hidden)
}

#[tokio::test]
async fn a_server_without_the_limits_route_gets_the_defaults_and_the_413_fallback() {
    let app = spawn_app_with(|s| s.uploads.base64_max_bytes = 1000).await;
    let key = app.upload_key().await;
    let (older, hidden) = server_without_limits(&app.address).await;
    let cache = tempfile::tempdir().expect("cache");
    let png = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/images/rgba.png");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_imgate"))
        .args([
            "upload",
            "--server",
            &older,
            "--api-key",
            &key,
            "--cache-dir",
        ])
        .arg(cache.path())
        .arg(&png)
        .env_remove("IMGATE_API_KEY")
        .output()
        .await
        .expect("imgate upload runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(hidden.load(Ordering::SeqCst), 1, "the client asked once");
    let result: Value = serde_json::from_slice(&output.stdout).expect("one JSON line");
    // By the defaults the 9.6 KiB file goes by Base64; the server refuses it, and ImageX
    // carries it.
    assert_eq!(
        (&result["ok"], &result["method"]),
        (&Value::Bool(true), &Value::from("imagex")),
        "{result}"
    );
    assert!(
        stderr.ends_with("; no retries\n"),
        "a 413 is not retried: {stderr}"
    );
}
