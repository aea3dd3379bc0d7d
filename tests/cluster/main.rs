//! imgate as a cluster, on 127.0.0.1: three nodes on a PostgreSQL catalog and a 3-node
//! Garage store (replication factor 3), behind nginx, brought up by `scripts/cluster.sh`
//! for each test. Every step of an upload may land on another node, and one node may die.

#[path = "../support/python.rs"]
mod python;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use imgate::auth::Sealer;
use imgate::clock::unix_now;
use md5::{Digest, Md5};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use python::{SdkCredentials, run, sdk_upload};

const ACTIONS: &str = "/api/common/upload/apply_upload_action";

struct Cluster {
    dir: TempDir,
    env: HashMap<String, String>,
    key: String,
    client: reqwest::Client,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/cluster.sh")
}

impl Cluster {
    fn up() -> Self {
        let dir = tempfile::tempdir().expect("cluster dir");
        run(Command::new("bash")
            .arg(script())
            .arg("up")
            .arg(dir.path())
            .arg(env!("CARGO_BIN_EXE_imgate")));
        let text = std::fs::read_to_string(dir.path().join("cluster.env")).expect("env");
        let env: HashMap<String, String> = text
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let created = run(Command::new(env!("CARGO_BIN_EXE_imgate"))
            .args(["keys", "create", "--name", "cluster", "--scope", "upload"])
            .arg("--data-dir")
            .arg(dir.path().join("cli"))
            .env("IMGATE__CATALOG__URL", &env["PG_URL"])
            .env("IMGATE__AUTH__SECRET", &env["SECRET"]));
        let key = created.lines().last().expect("key").trim().to_owned();
        Self {
            dir,
            env,
            key,
            client: reqwest::Client::new(),
        }
    }

    /// The address of node `n` (1-3), or of nginx for 0.
    fn base(&self, n: usize) -> String {
        match n {
            0 => self.env["NGINX_URL"].clone(),
            n => format!("http://127.0.0.1:{}", self.env[&format!("NODE{n}_PORT")]),
        }
    }

    fn url(&self, n: usize, path: &str) -> String {
        format!("{}{path}", self.base(n))
    }

    fn kill(&self, n: usize) {
        let pid =
            std::fs::read_to_string(self.dir.path().join(format!("node{n}/pid"))).expect("pid");
        run(Command::new("kill").args(["-9", pid.trim()]));
    }

    async fn apply(&self, n: usize, extra: &str) -> Value {
        let url = self.url(
            n,
            &format!(
                "{ACTIONS}?Action=ApplyImageUpload&Version=2018-08-01&ServiceId=imgate{extra}"
            ),
        );
        let response = self.client.get(url).bearer_auth(&self.key).send().await;
        let reply: Value = response.expect("apply").json().await.expect("json");
        assert!(reply["Result"].is_object(), "{reply}");
        reply
    }

    /// A request to the upload host of node `n` for the StoreInfo `info`.
    fn host(
        &self,
        n: usize,
        method: reqwest::Method,
        info: &Value,
        query: &str,
    ) -> reqwest::RequestBuilder {
        let uri = info["StoreUri"].as_str().expect("uri");
        self.client
            .request(
                method,
                self.url(n, &format!("/api/common/upload/{uri}{query}")),
            )
            .header("authorization", info["Auth"].as_str().expect("auth"))
    }

    /// Starts a chunked upload of `info` on node `n`; answers its uploadID.
    async fn start_chunked(&self, n: usize, info: &Value) -> String {
        let init = self
            .host(n, reqwest::Method::POST, info, "?uploads")
            .send()
            .await;
        let init: Value = init.expect("init").json().await.expect("json");
        init["payload"]["uploadID"]
            .as_str()
            .expect("uploadID")
            .to_owned()
    }

    /// Sends `file` in 1 MiB parts numbered from 1, part `i` (from 0) to node `node(i)`;
    /// answers the part list for the complete.
    async fn send_parts(
        &self,
        info: &Value,
        id: &str,
        file: &[u8],
        node: impl Fn(usize) -> usize,
    ) -> Vec<String> {
        let mut list = Vec::new();
        for (i, part) in file.chunks(1024 * 1024).enumerate() {
            let (number, n) = (i + 1, node(i));
            let query = format!("?partNumber={number}&uploadID={id}");
            let sent = self
                .host(n, reqwest::Method::POST, info, &query)
                .header("content-crc32", crc_hex(part))
                .body(part.to_vec())
                .send()
                .await
                .expect("part");
            assert_eq!(sent.status(), 200, "part {number} on node {n}");
            list.push(format!("{number}:{}", crc_hex(part)));
        }
        list
    }

    /// Completes the chunked upload `id` on node `n` with the part `list`.
    async fn complete(&self, n: usize, info: &Value, id: &str, list: &[String]) {
        let complete = self
            .host(n, reqwest::Method::POST, info, &format!("?uploadID={id}"))
            .body(list.join(","))
            .send()
            .await
            .expect("complete");
        assert_eq!(complete.status(), 200);
    }

    async fn commit(&self, n: usize, reply: &Value) -> Value {
        let address = &reply["Result"]["UploadAddress"];
        let url = self.url(
            n,
            &format!("{ACTIONS}?Action=CommitImageUpload&Version=2018-08-01&ServiceId=imgate"),
        );
        let body = json!({
            "SessionKey": address["SessionKey"],
            "SuccessOids": [address["StoreInfos"][0]["StoreUri"]],
        });
        let response = self
            .client
            .post(url)
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .await;
        let response = response.expect("commit");
        assert_eq!(response.status(), 200);
        response.json().await.expect("json")
    }

    /// Base64-uploads `bytes`; answers the reply's `data`.
    async fn upload(&self, n: usize, bytes: &[u8]) -> Value {
        use base64::Engine;
        let body = json!({
            "file_head": {"file_type": "png", "biz_type": 1},
            "data": base64::engine::general_purpose::STANDARD.encode(bytes),
        });
        let response = self
            .client
            .post(self.url(n, "/api/bot/upload_file"))
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .await
            .expect("upload");
        assert_eq!(response.status(), 200);
        let reply: Value = response.json().await.expect("json");
        reply["data"].clone()
    }

    async fn get(&self, url: &str) -> (u16, Vec<u8>) {
        let response = self.client.get(url).send().await.expect("get");
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("body").to_vec())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("down")
            .arg(self.dir.path())
            .status();
    }
}

fn fixture(relative: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(relative),
    )
    .expect("fixture")
}

fn text_of(size: usize) -> Vec<u8> {
    let line = b"imgate cluster test line, plain UTF-8 text.\n";
    line.iter().copied().cycle().take(size).collect()
}

fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

fn crc_hex(bytes: &[u8]) -> String {
    format!("{:08x}", crc32fast::hash(bytes))
}

fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    &rest[rest.find('/').unwrap_or(0)..]
}

#[tokio::test]
async fn each_step_of_a_chunked_upload_on_another_node() {
    let cluster = tokio::task::spawn_blocking(Cluster::up).await.expect("up");
    let file = text_of(3 * 1024 * 1024 + 17);
    let reply = cluster.apply(1, "&BizType=2&FileExtension=txt").await;
    let info = &reply["Result"]["UploadAddress"]["StoreInfos"][0];
    let id = cluster.start_chunked(2, info).await;
    let list = cluster
        .send_parts(info, &id, &file, |i| 1 + (i + 2) % 3)
        .await;
    cluster.complete(1, info, &id, &list).await;
    let committed = cluster.commit(2, &reply).await;
    let url = committed["Result"]["PluginResult"][0]["ImageUrl"]
        .as_str()
        .expect("url")
        .to_owned();
    for n in 0..=3 {
        let (status, body) = cluster.get(&cluster.url(n, path_of(&url))).await;
        assert_eq!(status, 200, "node {n}");
        assert_eq!(md5_hex(&body), md5_hex(&file), "node {n}");
    }
}

#[tokio::test]
async fn the_volcengine_sdk_uploads_through_nginx() {
    let cluster = tokio::task::spawn_blocking(Cluster::up).await.expect("up");
    let creds = Sealer::new(cluster.env["SECRET"].as_bytes()).issue_credentials(
        "user:1",
        1,
        unix_now() + 600,
    );
    let image = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/images/photo-progressive.jpg");
    let host = format!("127.0.0.1:{}", cluster.env["NGINX_TLS_PORT"]);
    let ca = PathBuf::from(&cluster.env["NGINX_CA"]);
    let line = tokio::task::spawn_blocking(move || {
        let creds = SdkCredentials {
            access_key_id: &creds.access_key_id,
            secret_access_key: &creds.secret_access_key,
            session_token: &creds.session_token,
        };
        sdk_upload(&host, &ca, &image, &creds)
    })
    .await
    .expect("joined");
    let reply: Value = serde_json::from_str(&line)
        .unwrap_or_else(|_| panic!("no JSON from the SDK script: {line}"));
    assert_eq!(reply["ok"], true, "{reply}");
}

#[tokio::test]
async fn variants_asked_of_every_node_at_once_are_the_same() {
    let cluster = tokio::task::spawn_blocking(Cluster::up).await.expect("up");
    let data = cluster.upload(1, &fixture("images/rgba.png")).await;
    let url = data["upload_url"].as_str().expect("url");
    let variant = format!("{}~tplv-imgate-resize:48:48.webp", path_of(url));
    let gets = (0..12).map(|i| {
        let (cluster, url) = (&cluster, cluster.url(i % 4, &variant));
        async move { cluster.get(&url).await }
    });
    let answers = join_all(gets).await;
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{}", String::from_utf8_lossy(body));
        assert_eq!(body, &answers[0].1, "every node answers the same bytes");
    }
}

#[tokio::test]
async fn a_deletion_on_one_node_is_a_404_on_every_node() {
    let cluster = tokio::task::spawn_blocking(Cluster::up).await.expect("up");
    let data = cluster.upload(1, &fixture("images/rgba.png")).await;
    let (url, uri) = (
        data["upload_url"].as_str().expect("url"),
        data["uri"].as_str().expect("uri"),
    );
    for n in 1..=3 {
        for _ in 0..2 {
            assert_eq!(cluster.get(&cluster.url(n, path_of(url))).await.0, 200);
        }
    }
    let deleted = cluster
        .client
        .delete(cluster.url(2, &format!("/api/common/upload/object/{uri}")))
        .bearer_auth(&cluster.key)
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), 200);
    let start = Instant::now();
    for n in 1..=3 {
        while cluster.get(&cluster.url(n, path_of(url))).await.0 != 404 {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "node {n} still serves it"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    eprintln!("every node answered 404 after {:?}", start.elapsed());
}

/// Node 1 dies (`kill -9`) while a part is on its way to it: the client sends the part
/// again through nginx, which passes it to a live node, and the upload finishes whole.
#[tokio::test]
async fn a_node_killed_mid_part_loses_nothing() {
    let cluster = tokio::task::spawn_blocking(Cluster::up).await.expect("up");
    let file = text_of(2 * 1024 * 1024);
    let reply = cluster.apply(0, "&BizType=2&FileExtension=txt").await;
    let info = reply["Result"]["UploadAddress"]["StoreInfos"][0].clone();
    let id = cluster.start_chunked(0, &info).await;
    let part = file[..1024 * 1024].to_vec();
    let query = format!("?partNumber=1&uploadID={id}");

    // Half of part 1 to node 1, then it dies before the rest arrives.
    let port = &cluster.env["NODE1_PORT"];
    let mut socket = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}"))
        .await
        .expect("connect");
    let head = format!(
        "POST /api/common/upload/{}{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Authorization: {}\r\nContent-CRC32: {}\r\nContent-Length: {}\r\n\r\n",
        info["StoreUri"].as_str().expect("uri"),
        info["Auth"].as_str().expect("auth"),
        crc_hex(&part),
        part.len()
    );
    socket.write_all(head.as_bytes()).await.expect("head");
    socket
        .write_all(&part[..part.len() / 2])
        .await
        .expect("half");
    tokio::time::sleep(Duration::from_millis(300)).await;
    cluster.kill(1);
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer).await;
    assert!(
        !String::from_utf8_lossy(&answer).contains(" 200 "),
        "a part cut in half must not be taken"
    );
    let list = cluster.send_parts(&info, &id, &file, |_| 0).await;
    cluster.complete(0, &info, &id, &list).await;
    let committed = cluster.commit(0, &reply).await;
    let url = committed["Result"]["PluginResult"][0]["ImageUrl"]
        .as_str()
        .expect("url");
    let (status, body) = cluster.get(&cluster.url(0, path_of(url))).await;
    assert_eq!(status, 200);
    assert_eq!(md5_hex(&body), md5_hex(&file));
}

/// `imgate upload` of 200 files through nginx, 8 at a time; run again, every file is
/// answered from the client's cache.
#[tokio::test]
async fn the_client_uploads_two_hundred_files_through_nginx() {
    let cluster = tokio::task::spawn_blocking(Cluster::up).await.expect("up");
    let files = tempfile::tempdir().expect("files");
    for i in 0..200 {
        let text = format!("file {i}\n").repeat(50 + i);
        std::fs::write(files.path().join(format!("f{i:03}.txt")), text).expect("write");
    }
    let cache = tempfile::tempdir().expect("cache");
    let upload = |cluster: &Cluster| {
        let output = Command::new(env!("CARGO_BIN_EXE_imgate"))
            .args(["upload", "--biz-type", "2", "--concurrency", "8", "--json"])
            .arg("--server")
            .arg(&cluster.env["NGINX_URL"])
            .arg("--api-key")
            .arg(&cluster.key)
            .arg("--cache-dir")
            .arg(cache.path())
            .arg(files.path())
            .output()
            .expect("imgate upload");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).expect("a JSON line"))
            .collect::<Vec<_>>()
    };
    let first = upload(&cluster);
    assert_eq!(first.len(), 200);
    assert!(first.iter().all(|r| r["ok"] == true), "{first:?}");
    let second = upload(&cluster);
    assert_eq!(second.len(), 200);
    assert!(
        second
            .iter()
            .all(|r| r["ok"] == true && r["cached"] == true),
        "{second:?}"
    );
}
