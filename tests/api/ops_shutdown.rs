//! Graceful shutdown of the real server: SIGTERM while a large part is still arriving and
//! while a commit runs. Both finish and are stored; `/readyz` answers 503 while the node
//! drains; then a new connection gets no answer; the process exits 0 within the grace.

use std::time::Duration;

use md5::Digest;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Server, count_files, crc_hex, fixture, text_of};
use crate::ops_client::{Deployment, ok_json};

const GRACE: (&str, &str) = ("IMGATE__SERVER__SHUTDOWN_GRACE", "20s");
/// Longer than the grace, which the process must exit within.
const EXIT_WITHIN: Duration = Duration::from_secs(25);

/// Sends a request on `stream` and reads its answer: the status and the body.
async fn exchange(stream: &mut TcpStream, head: &str, body: &[u8]) -> (u16, String) {
    stream.write_all(head.as_bytes()).await.expect("head");
    stream.write_all(body).await.expect("body");
    read_response(stream).await
}

/// Reads one HTTP/1.1 response with a `Content-Length`.
async fn read_response(stream: &mut TcpStream) -> (u16, String) {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.expect("read");
        assert!(
            n > 0,
            "the connection closed: {}",
            String::from_utf8_lossy(&bytes)
        );
        bytes.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            continue;
        };
        let length = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().to_owned())
            })
            .and_then(|v| v.parse::<usize>().ok())
            .expect("content-length");
        if body.len() >= length {
            let status = head
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .expect("status");
            return (status, body[..length].to_owned());
        }
    }
}

fn get(path: &str, address: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n\r\n")
}

/// A new connection after the signal must get no answer: refused, or never served.
async fn no_answer_for_a_new_request(base: &str) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("client");
    let answer = client.get(format!("{base}/healthz")).send().await;
    assert!(
        answer.is_err(),
        "a request after SIGTERM was served: {answer:?}"
    );
}

async fn exits_cleanly(mut server: Server) {
    let status = server.exit_status(EXIT_WITHIN).await;
    assert!(
        status.success(),
        "exit {status:?}; it wrote:\n{}",
        server.log()
    );
    assert!(server.log().contains("imgate stopped"), "{}", server.log());
}

#[tokio::test]
async fn a_large_part_in_flight_at_sigterm_is_received_and_stored() {
    let deployment = Deployment::new();
    let (server, base) = deployment
        .serve(&[GRACE, ("IMGATE__SERVER__DRAIN_DELAY", "3s")])
        .await;
    let address = base.trim_start_matches("http://").to_owned();
    let text = text_of(6 * 1024 * 1024);
    let (uri, auth, session) = apply_text(&deployment, &base).await;
    let init = ok_json(deployment.host(&base, &uri, "?uploads", &auth)).await;
    let id = init["payload"]["uploadID"].as_str().expect("id").to_owned();
    let mut part = TcpStream::connect(&address).await.expect("connect");
    let head = format!(
        "POST /api/common/upload/{uri}?partNumber=1&uploadID={id} HTTP/1.1\r\nHost: {address}\r\n\
         Authorization: {auth}\r\nContent-CRC32: {}\r\nContent-Length: {}\r\n\r\n",
        crc_hex(&text),
        text.len()
    );
    let (sent, rest) = text.split_at(1024 * 1024);
    part.write_all(head.as_bytes()).await.expect("head");
    part.write_all(sent).await.expect("body");
    let staging = deployment.path().join("data/staging/.tmp");
    for _ in 0..100 {
        if count_files(&staging) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count_files(&staging), 1, "the part is being staged");

    server.terminate();
    server.wait_for_log("draining").await;
    let mut probe = TcpStream::connect(&address).await.expect("connect");
    let (status, body) = exchange(&mut probe, &get("/readyz", &address), b"").await;
    assert_eq!((status, body.contains("draining")), (503, true), "{body}");
    server.wait_for_log("refusing new connections").await;
    no_answer_for_a_new_request(&base).await;
    part.write_all(rest).await.expect("the rest of the body");
    let (status, body) = read_response(&mut part).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&crc_hex(&text)), "{body}");
    drop((part, probe));
    exits_cleanly(server).await;

    let (_server, base) = deployment.serve(&[]).await;
    let complete = deployment
        .host(&base, &uri, &format!("?uploadID={id}"), &auth)
        .body(format!("1:{}", crc_hex(&text)));
    ok_json(complete).await;
    let reply = ok_json(deployment.commit(&base, &session, &uri)).await;
    let url = reply["Result"]["PluginResult"][0]["ImageUrl"]
        .as_str()
        .expect("url");
    let served = reqwest::get(url)
        .await
        .expect("get")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(
        served.as_ref(),
        text.as_slice(),
        "the part's bytes are the object"
    );
}

/// Applies for a text file of the dataset biz type.
async fn apply_text(deployment: &Deployment, base: &str) -> (String, String, String) {
    let url = format!(
        "{base}{}?Action=ApplyImageUpload&Version=2018-08-01&FileExtension=txt&BizType=2",
        crate::ops_client::ACTIONS
    );
    let reply = ok_json(deployment.client.get(url).bearer_auth(&deployment.key)).await;
    let address = &reply["Result"]["UploadAddress"];
    let field = |v: &Value| v.as_str().expect("field").to_owned();
    (
        field(&address["StoreInfos"][0]["StoreUri"]),
        field(&address["StoreInfos"][0]["Auth"]),
        field(&address["SessionKey"]),
    )
}

#[tokio::test]
async fn a_commit_running_at_sigterm_finishes_and_is_stored() {
    let deployment = Deployment::new();
    let slow = [
        GRACE,
        ("IMGATE_PAUSE_AT", "commit:claimed"),
        ("IMGATE_PAUSE_MS", "3000"),
    ];
    let (server, base) = deployment.serve(&slow).await;
    let photo = fixture("images/photo-progressive.jpg");
    let (uri, auth, session) = deployment.apply(&base).await;
    let direct = deployment
        .host(&base, &uri, "", &auth)
        .header("content-crc32", crc_hex(&photo))
        .body(photo.clone());
    ok_json(direct).await;
    let commit = tokio::spawn(deployment.commit(&base, &session, &uri).send());
    server.wait_for_log("paused at commit:claimed").await;

    server.terminate();
    server.wait_for_log("refusing new connections").await;
    no_answer_for_a_new_request(&base).await;
    let response = commit
        .await
        .expect("joined")
        .expect("the commit is answered");
    assert_eq!(response.status(), 200);
    let reply: Value = response.json().await.expect("json");
    assert_eq!(reply["Result"]["Results"][0]["UriStatus"], 2000, "{reply}");
    exits_cleanly(server).await;

    let (_server, base) = deployment.serve(&[]).await;
    let plugin = &reply["Result"]["PluginResult"][0];
    let url = format!(
        "{base}/imgate/{}",
        plugin["ImageUri"].as_str().expect("uri")
    );
    let served = reqwest::get(url)
        .await
        .expect("get")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(
        plugin["ImageMd5"],
        serde_json::json!(format!("{:x}", md5::Md5::digest(&served))),
        "the stored photo is served after the restart"
    );
}
