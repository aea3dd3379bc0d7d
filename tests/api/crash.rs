//! `kill -9` of the real server in the middle of work: during a part, during a commit
//! (after claiming, after storing), between the writes of an icon and its variants, and
//! between a variant's answer and its record.
//! After a restart the upload finishes with the source's bytes, nothing half-written is
//! served, and the sweeper leaves no file that no record owns.

use std::path::{Path, PathBuf};
use std::time::Duration;

use imgate::catalog::{Catalog, UploadState};
use md5::Digest;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::io::AsyncWriteExt;

use crate::helpers::{
    Server, count_files, crc_hex, fixture, imgate, last_line, run_ok, serve_in, text_of,
    upload_body,
};

const ACTIONS: &str = "/api/common/upload/apply_upload_action";

/// Settings of a restarted server that sweeps leftovers within seconds.
const SWEEP_SOON: [(&str, &str); 4] = [
    ("IMGATE__IMAGEX__SESSION_TTL", "1s"),
    ("IMGATE__STORAGE__SWEEP_AFTER", "1s"),
    ("IMGATE__STORAGE__SWEEP_INTERVAL", "1s"),
    ("IMGATE__IMAGEX__COMMIT_LEASE", "1s"),
];

/// A data directory, an API key made in it by `imgate keys create`, and a client.
struct Deployment {
    dir: TempDir,
    key: String,
    client: reqwest::Client,
}

impl Deployment {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let key = last_line(&run_ok(imgate(
            dir.path(),
            &["keys", "create", "--name", "t"],
        )));
        Self {
            dir,
            key,
            client: reqwest::Client::new(),
        }
    }

    async fn serve(&self, env: &[(&str, &str)]) -> (Server, String) {
        serve_in(self.dir.path(), env).await
    }

    fn data(&self, sub: &str) -> PathBuf {
        self.dir.path().join("data").join(sub)
    }

    async fn catalog(&self) -> Catalog {
        let url = format!("sqlite://{}", self.data("imgate.db").display());
        Catalog::connect(&url, 1).await.expect("catalog")
    }

    /// Applies for one upload; answers its StoreUri, token and SessionKey.
    async fn apply(&self, base: &str, extra: &str) -> (String, String, String) {
        let url = format!("{base}{ACTIONS}?Action=ApplyImageUpload&Version=2018-08-01{extra}");
        let reply = self.json(self.client.get(url).bearer_auth(&self.key)).await;
        let info = &reply["Result"]["UploadAddress"]["StoreInfos"][0];
        let field = |v: &Value| v.as_str().expect("field").to_owned();
        let session = &reply["Result"]["UploadAddress"]["SessionKey"];
        (
            field(&info["StoreUri"]),
            field(&info["Auth"]),
            field(session),
        )
    }

    fn host(&self, base: &str, uri: &str, query: &str, auth: &str) -> reqwest::RequestBuilder {
        self.client
            .post(format!("{base}/api/common/upload/{uri}{query}"))
            .header("authorization", auth)
    }

    fn commit(&self, base: &str, session: &str, uri: &str) -> reqwest::RequestBuilder {
        let url = format!("{base}{ACTIONS}?Action=CommitImageUpload&Version=2018-08-01");
        self.client
            .post(url)
            .bearer_auth(&self.key)
            .json(&json!({"SessionKey": session, "SuccessOids": [uri]}))
    }

    async fn json(&self, request: reqwest::RequestBuilder) -> Value {
        let response = request.send().await.expect("request");
        let status = response.status();
        let body: Value = response.json().await.expect("json");
        assert!(status.is_success(), "{status}: {body}");
        body
    }

    /// Commits until the server stops answering 503 (a lapsed lease takes a moment).
    async fn commit_until_done(&self, base: &str, session: &str, uri: &str) -> Value {
        for _ in 0..60 {
            let response = self
                .commit(base, session, uri)
                .send()
                .await
                .expect("commit");
            if response.status() != 503 {
                return self.json_of(response).await;
            }
            assert!(response.headers().contains_key("retry-after"));
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("the commit never finished");
    }

    async fn json_of(&self, response: reqwest::Response) -> Value {
        let status = response.status();
        let body: Value = response.json().await.expect("json");
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Objects recorded, and files in the object store (temporary ones too).
    async fn stored(&self) -> (i64, usize) {
        let rows = self.catalog().await.count_objects().await.expect("count");
        (rows, count_files(&self.data("objects")))
    }
}

async fn fetch(url: &str) -> Vec<u8> {
    let response = reqwest::get(url).await.expect("get");
    assert_eq!(response.status(), 200, "{url}");
    response.bytes().await.expect("bytes").to_vec()
}

/// Waits until `done` holds, checking every 200 ms for 15 s.
async fn eventually(what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..75 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{what} never happened");
}

/// Kills the server while a commit of a photo is paused at `point`, restarts it, and
/// commits again: the retry takes over the lapsed claim and answers the stored photo.
async fn commit_survives_a_kill_at(point: &str) {
    let deployment = Deployment::new();
    let lease = [("IMGATE__IMAGEX__COMMIT_LEASE", "1s")];
    let (server, base) = deployment
        .serve(&[lease[0], ("IMGATE_PAUSE_AT", point)])
        .await;
    let photo = fixture("images/photo-progressive.jpg");
    let (uri, auth, session) = deployment
        .apply(&base, "&FileExtension=.jpg&BizType=1")
        .await;
    let direct = deployment
        .host(&base, &uri, "", &auth)
        .header("content-crc32", crc_hex(&photo))
        .body(photo.clone());
    deployment.json(direct).await;
    let hanging = tokio::spawn(deployment.commit(&base, &session, &uri).send());
    server.wait_for_log(&format!("paused at {point}")).await;
    server.kill();
    assert!(
        hanging.await.expect("joined").is_err(),
        "the commit got no answer"
    );
    let claimed = deployment
        .catalog()
        .await
        .find_upload(&uri)
        .await
        .expect("find");
    assert_eq!(claimed.map(|u| u.state), Some(UploadState::Committing));

    let (_server, base) = deployment.serve(&lease).await;
    let reply = deployment.commit_until_done(&base, &session, &uri).await;
    assert_eq!(reply["Result"]["Results"][0]["UriStatus"], 2000, "{reply}");
    let plugin = &reply["Result"]["PluginResult"][0];
    let served = fetch(plugin["ImageUrl"].as_str().expect("url")).await;
    assert_eq!(
        plugin["ImageMd5"],
        json!(format!("{:x}", md5::Md5::digest(&served))),
        "the answer describes the bytes served"
    );
    let again = deployment.commit_until_done(&base, &session, &uri).await;
    assert_eq!(
        again["Result"]["PluginResult"],
        reply["Result"]["PluginResult"]
    );
    let (rows, files) = deployment.stored().await;
    assert!(rows > 1, "the icon and its variants are recorded");
    assert_eq!(
        rows as usize, files,
        "every stored file has its record, once"
    );
}

#[tokio::test]
async fn a_commit_killed_after_claiming_finishes_after_a_restart() {
    commit_survives_a_kill_at("commit:claimed").await;
}

#[tokio::test]
async fn a_commit_killed_after_storing_finishes_after_a_restart() {
    commit_survives_a_kill_at("commit:stored").await;
}

#[tokio::test]
async fn an_icon_killed_between_its_writes_leaves_nothing_after_the_sweep() {
    let deployment = Deployment::new();
    let (server, base) = deployment
        .serve(&[("IMGATE_PAUSE_AT", "store:between-writes")])
        .await;
    let png = fixture("files/sample.png");
    let upload = deployment
        .client
        .post(format!("{base}/api/bot/upload_file"))
        .bearer_auth(&deployment.key)
        .json(&upload_body("png", 1, &png))
        .send();
    let hanging = tokio::spawn(upload);
    server.wait_for_log("paused at store:between-writes").await;
    server.kill();
    assert!(
        hanging.await.expect("joined").is_err(),
        "the upload got no answer"
    );
    let (rows, files) = deployment.stored().await;
    assert_eq!(
        (rows, files),
        (0, 1),
        "the original was written, nothing recorded"
    );

    let (server, base) = deployment.serve(&SWEEP_SOON).await;
    eventually("the sweep", async || deployment.stored().await == (0, 0)).await;
    assert!(
        server
            .log()
            .contains("removed an object stored without a record")
    );
    let request = deployment
        .client
        .post(format!("{base}/api/bot/upload_file"))
        .bearer_auth(&deployment.key)
        .json(&upload_body("png", 1, &png));
    let reply = deployment.json(request).await;
    fetch(reply["data"]["upload_url"].as_str().expect("url")).await;
    let (rows, files) = deployment.stored().await;
    assert!(
        rows > 1 && rows as usize == files,
        "{rows} records, {files} files"
    );
}

/// A variant is answered before it is stored. Killed between its file and its record, the
/// server lost only the variant: after a restart the sweeper removes the unrecorded file,
/// and the next request makes the same bytes again and stores them.
#[tokio::test]
async fn a_variant_killed_before_its_record_is_made_again_after_a_restart() {
    let deployment = Deployment::new();
    let (server, base) = deployment
        .serve(&[("IMGATE_PAUSE_AT", "variant:written")])
        .await;
    let request = deployment
        .client
        .post(format!("{base}/api/bot/upload_file"))
        .bearer_auth(&deployment.key)
        .json(&upload_body(
            "jpg",
            2,
            &fixture("images/photo-progressive.jpg"),
        ));
    let reply = deployment.json(request).await;
    let url = format!(
        "{}~tplv-imgate-resize:128:128.webp",
        reply["data"]["upload_url"].as_str().expect("url")
    );
    let (rows, files) = deployment.stored().await;
    assert_eq!(rows as usize, files, "the original and its upload variants");

    let first = deployment.client.get(&url).send().await.expect("get");
    assert_eq!(first.status(), 200, "answered while its store is paused");
    assert_eq!(first.headers()["x-imgate-cache"], "miss");
    let made = first.bytes().await.expect("body");
    server.wait_for_log("paused at variant:written").await;
    server.kill();
    assert_eq!(
        deployment.stored().await,
        (rows, files + 1),
        "the variant's file was written, its record was not"
    );

    let (server, base) = deployment.serve(&SWEEP_SOON).await;
    eventually("the sweep", async || {
        deployment.stored().await == (rows, files)
    })
    .await;
    assert!(
        server
            .log()
            .contains("removed an object stored without a record")
    );
    let url = url.replace(&url[..url.find("/imgate/").expect("cdn path")], &base);
    let again = deployment.client.get(&url).send().await.expect("get");
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["x-imgate-cache"], "miss", "made again");
    assert_eq!(again.bytes().await.expect("body"), made, "the same bytes");
    eventually("the variant's store", async || {
        deployment.stored().await == (rows + 1, files + 1)
    })
    .await;
    let cached = deployment.client.get(&url).send().await.expect("get");
    assert_eq!(cached.headers()["x-imgate-cache"], "hit");
    assert_eq!(cached.bytes().await.expect("body"), made);
}

/// Sends the head of a part and `sent` bytes of its body, and keeps the connection open.
async fn start_part(
    base: &str,
    path_and_query: &str,
    auth: &str,
    size: usize,
    sent: &[u8],
) -> tokio::net::TcpStream {
    let address = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let head = format!(
        "POST {path_and_query} HTTP/1.1\r\nHost: {address}\r\nAuthorization: {auth}\r\n\
         Content-Length: {size}\r\nContent-Type: application/octet-stream\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    stream.write_all(sent).await.expect("body");
    stream.flush().await.expect("flush");
    stream
}

fn temporary_files(dir: &Path) -> usize {
    count_files(&dir.join(".tmp"))
}

#[tokio::test]
async fn a_part_killed_mid_body_is_missing_after_a_restart_and_sent_again() {
    let deployment = Deployment::new();
    let (server, base) = deployment.serve(&[]).await;
    let text = text_of(3 * 256 * 1024);
    let parts: Vec<&[u8]> = text.chunks(256 * 1024).collect();
    let (uri, auth, session) = deployment
        .apply(&base, "&FileExtension=txt&BizType=2")
        .await;
    let init = deployment
        .json(deployment.host(&base, &uri, "?uploads", &auth))
        .await;
    let id = init["payload"]["uploadID"]
        .as_str()
        .expect("uploadID")
        .to_owned();
    let part = |n: usize| format!("?partNumber={n}&uploadID={id}");
    deployment
        .json(
            deployment
                .host(&base, &uri, &part(1), &auth)
                .body(parts[0].to_vec()),
        )
        .await;
    let path = format!("/api/common/upload/{uri}{}", part(2));
    let _open = start_part(&base, &path, &auth, parts[1].len(), &parts[1][..1000]).await;
    let staging = deployment.data("staging");
    eventually("the part's temporary file", async || {
        temporary_files(&staging) == 1
    })
    .await;
    server.kill();

    let (_server, base) = deployment
        .serve(&[
            ("IMGATE__STORAGE__SWEEP_AFTER", "1s"),
            ("IMGATE__STORAGE__SWEEP_INTERVAL", "1s"),
        ])
        .await;
    let resumed = deployment
        .json(
            deployment
                .client
                .get(format!("{base}/api/common/upload/{uri}?uploadID={id}"))
                .header("authorization", &auth),
        )
        .await;
    assert_eq!(
        resumed["payload"]["partList"],
        json!([{"partNumber": 1, "crc32": crc_hex(parts[0])}]),
        "the interrupted part is not listed"
    );
    eventually("the sweep of the half-written part", async || {
        temporary_files(&staging) == 0
    })
    .await;
    let mut list = vec![format!("1:{}", crc_hex(parts[0]))];
    for (i, bytes) in parts.iter().enumerate().skip(1) {
        let request = deployment
            .host(&base, &uri, &part(i + 1), &auth)
            .body(bytes.to_vec());
        deployment.json(request).await;
        list.push(format!("{}:{}", i + 1, crc_hex(bytes)));
    }
    let complete = deployment
        .host(&base, &uri, &format!("?uploadID={id}"), &auth)
        .body(list.join(","));
    assert_eq!(
        deployment.json(complete).await["payload"]["hash"],
        json!(crc_hex(&text))
    );
    let reply = deployment.commit_until_done(&base, &session, &uri).await;
    let plugin = &reply["Result"]["PluginResult"][0];
    let served = fetch(plugin["ImageUrl"].as_str().expect("url")).await;
    assert_eq!(served, text, "the object is the source, byte for byte");
}
