//! Real Prometheus tools on a real scrape: Debian's `promtool check metrics` accepts what
//! `/metrics` exposes, and a Prometheus server scraping a running `imgate serve` answers a
//! query for a series imgate exported. Debian's `prometheus` package is installed when it
//! is missing and the tests run as root.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::helpers::fixture;
use crate::ops_client::Deployment;

/// `promtool` or `prometheus` from the `PATH`, installing Debian's package first if needed.
fn tool(name: &str) -> PathBuf {
    let find = || {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|path| path.is_file())
        })
    };
    if let Some(path) = find() {
        return path;
    }
    let installed = Command::new("sh")
        .args(["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        installed,
        "`{name}` is missing and `apt-get install prometheus` failed"
    );
    find().unwrap_or_else(|| panic!("`apt-get install prometheus` gave no `{name}`"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A Prometheus server, stopped when dropped.
struct Prometheus(Child);

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn promtool_accepts_the_scrape() {
    let promtool = tokio::task::spawn_blocking(|| tool("promtool"))
        .await
        .expect("tool");
    let deployment = Deployment::new();
    let (_server, base) = deployment.serve(&[]).await;
    let png = fixture("files/sample.png");
    let (_, _, stored) = deployment.upload_base64(&base, "png", &png).await;
    let url = stored["data"]["upload_url"].as_str().expect("url");
    reqwest::get(format!("{url}~tplv-imgate-resize:16:16.webp"))
        .await
        .expect("variant");
    let scrape = reqwest::get(format!("{base}/metrics"))
        .await
        .expect("scrape");
    let text = scrape.text().await.expect("text");
    let mut check = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool starts");
    use std::io::Write;
    check
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let output = check.wait_with_output().expect("promtool");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("promtool check metrics: {said}");
    assert!(
        output.status.success() && said.trim().is_empty(),
        "{said}\n{text}"
    );
}

#[tokio::test]
async fn a_prometheus_server_scrapes_imgate() {
    let prometheus = tokio::task::spawn_blocking(|| tool("prometheus"))
        .await
        .expect("tool");
    let deployment = Deployment::new();
    let (_server, base) = deployment.serve(&[]).await;
    let target = base.trim_start_matches("http://");
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: imgate\n    \
             static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .expect("config");
    let web = format!("127.0.0.1:{}", free_port());
    let _prometheus = Prometheus(
        Command::new(prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={web}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus starts"),
    );
    let query = format!("http://{web}/api/v1/query?query=imgate_build_info");
    for _ in 0..120 {
        let answer = match reqwest::get(&query).await {
            Ok(response) => response.json::<Value>().await.ok(),
            Err(_) => None,
        };
        if let Some(series) = answer
            .as_ref()
            .and_then(|a| a["data"]["result"].as_array())
            .and_then(|r| r.first())
        {
            println!("prometheus answered: {series}");
            assert_eq!(series["metric"]["job"], "imgate");
            assert_eq!(series["metric"]["version"], env!("CARGO_PKG_VERSION"));
            assert_eq!(series["value"][1], "1");
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("Prometheus never had imgate_build_info from {target}");
}
