//! Method 1, `POST /api/bot/upload_file`: the happy path for every biz type, and each bad
//! input of the contract with its code and nothing stored.

use std::io::{Read, Write};
use std::net::TcpStream;

use base64::Engine;
use imgate::biz::BizType;
use md5::Digest;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, fixture, spawn_app, spawn_app_with};

/// Uploads, checks the reply's shape, and that `upload_url` serves the same bytes.
async fn upload_and_fetch(
    app: &TestApp,
    key: &str,
    file_type: &str,
    biz: i64,
    bytes: &[u8],
) -> Value {
    let response = app.upload_file(key, file_type, biz, bytes).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["code"], 0, "{body}");
    assert_eq!(body["msg"], "success");
    let data = &body["data"];
    let uri = data["upload_uri"].as_str().expect("upload_uri");
    let biz_name = BizType::from_code(biz).expect("biz").name();
    let (prefix, file) = uri.split_once('/').expect("uri has a biz segment");
    assert_eq!(prefix, biz_name);
    let (id, _ext) = file.split_once('.').expect("uri has an extension");
    assert_eq!(id.len(), 32, "id is 128 random bits: {uri}");
    assert_eq!(data["upload_url"], format!("{}/{uri}", app.public_base));
    let served = app
        .client
        .get(data["upload_url"].as_str().expect("url"))
        .send()
        .await
        .expect("download");
    assert_eq!(served.status(), 200);
    let served = served.bytes().await.expect("bytes");
    assert_eq!(served.len() as u64, data["size"].as_u64().expect("size"));
    assert_eq!(
        format!("{:x}", md5::Md5::digest(&served)),
        data["md5"].as_str().expect("md5")
    );
    if data["width"].is_null() {
        assert_eq!(served.as_ref(), bytes, "documents are stored unchanged");
    }
    data.clone()
}

#[tokio::test]
async fn every_biz_type_takes_an_image() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let png = fixture("files/sample.png");
    for biz in BizType::all() {
        let data = upload_and_fetch(&app, &key, "png", i64::from(biz.code()), &png).await;
        assert_eq!(data["format"], "png");
        assert_eq!(
            (data["width"].as_u64(), data["height"].as_u64()),
            (Some(64), Some(48))
        );
        let variants = data["variants"].as_array().expect("variants").len();
        assert_eq!(variants, if biz.is_icon() { 8 } else { 0 }, "{biz}");
    }
    // 11 originals; the 7 icon types add 4 sizes x 2 formats each.
    assert_eq!(app.stored().await, (11 + 7 * 8, 11 + 7 * 8));
}

#[tokio::test]
async fn each_image_format_is_stored_as_what_its_bytes_are() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    for (file, ext) in [
        ("sample.jpg", "jpg"),
        ("sample.gif", "gif"),
        ("sample.webp", "webp"),
    ] {
        let data = upload_and_fetch(&app, &key, ext, 1, &fixture(&format!("files/{file}"))).await;
        assert!(
            data["upload_uri"]
                .as_str()
                .expect("uri")
                .ends_with(&format!(".{ext}"))
        );
    }
    // A PNG declared as jpg is still an image: it is kept, under its real type.
    let data = upload_and_fetch(&app, &key, "JPG", 1, &fixture("files/sample.png")).await;
    assert!(
        data["upload_uri"].as_str().expect("uri").ends_with(".png"),
        "{data}"
    );
}

#[tokio::test]
async fn the_dataset_takes_documents_and_archives() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    for ext in ["pdf", "docx", "txt", "zip", "tar", "gz"] {
        let data =
            upload_and_fetch(&app, &key, ext, 2, &fixture(&format!("files/sample.{ext}"))).await;
        assert_eq!(data["format"], ext);
    }
}

#[tokio::test]
async fn base64_variants_clients_send_are_accepted() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let png = fixture("files/sample.png");
    let standard = base64::engine::general_purpose::STANDARD.encode(&png);
    let unpadded = standard.trim_end_matches('=').to_owned();
    let wrapped: String = standard
        .as_bytes()
        .chunks(76)
        .map(|line| format!("{}\r\n", String::from_utf8_lossy(line)))
        .collect();
    let data_url = format!("data:image/png;base64,{standard}");
    for data in [unpadded, wrapped, data_url] {
        let body = json!({"file_head": {"file_type": "png", "biz_type": 1}, "data": data});
        let response = app.upload_json(Some(&key), &body).await;
        assert_eq!(response.status(), 200);
    }
}

#[tokio::test]
async fn malformed_requests_are_40000_and_store_nothing() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let cases = [
        (
            r#"{"file_head": {"file_type": "png", "biz_type": 1}, "data": "#,
            "malformed JSON",
        ),
        (r#"{"data": "aGVsbG8="}"#, "file_head"),
        (
            r#"{"file_head": {"file_type": "png", "biz_type": 1}}"#,
            "data",
        ),
        (
            r#"{"file_head": {"file_type": "png", "biz_type": 1}, "data": "!!!not base64!!!"}"#,
            "base64",
        ),
        (
            r#"{"file_head": {"file_type": "png", "biz_type": 1}, "data": ""}"#,
            "empty",
        ),
        (
            r#"{"file_head": {"file_type": "png", "biz_type": 42}, "data": "aGVsbG8="}"#,
            "biz_type 42",
        ),
        (
            r#"{"file_head": {"file_type": "png", "biz_type": "one"}, "data": "aGVsbG8="}"#,
            "biz_type",
        ),
        ("", "empty"),
    ];
    for (body, expected) in cases {
        let response = app
            .client
            .post(app.url("/api/bot/upload_file"))
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("sent");
        let msg = assert_error(response, 400, 40000).await;
        assert!(
            msg.starts_with("bad request: ") && msg.contains(expected),
            "{body} -> {msg}"
        );
    }
    assert_eq!(app.stored().await, (0, 0));
}

#[tokio::test]
async fn one_byte_over_the_limit_is_413_naming_the_limit_and_method_2() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let limit = 5 * 1024 * 1024;
    let mut bytes = fixture("files/sample.txt");
    bytes.resize(limit + 1, b'a');
    let msg = assert_error(app.upload_file(&key, "txt", 2, &bytes).await, 413, 50002).await;
    assert!(
        msg.contains(&limit.to_string()) && msg.contains("method 2"),
        "{msg}"
    );
    bytes.truncate(limit);
    assert_eq!(app.upload_file(&key, "txt", 2, &bytes).await.status(), 200);
    assert_eq!(app.stored().await, (1, 1));
}

#[tokio::test]
async fn the_limit_is_configurable() {
    let app = spawn_app_with(|s| s.uploads.base64_max_bytes = 100).await;
    let key = app.upload_key().await;
    let msg = assert_error(
        app.upload_file(&key, "txt", 2, &[b'x'; 101]).await,
        413,
        50002,
    )
    .await;
    assert!(msg.contains("limit of 100 bytes"), "{msg}");
}

#[tokio::test]
async fn content_that_is_not_allowed_is_50001_with_the_reason() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let cases = [
        ("pdf", 1, fixture("files/sample.pdf"), "images only"),
        ("png", 1, fixture("bad/elf.png"), "ELF executable"),
        ("png", 2, fixture("bad/script.png"), "shell script"),
        ("jpg", 1, fixture("bad/html.jpg"), "HTML"),
        ("png", 1, fixture("bad/svg.png"), "SVG"),
        (
            "zip",
            5,
            fixture("files/sample.zip"),
            "images and documents",
        ),
        ("exe", 2, b"MZ\x90\x00".to_vec(), "not supported"),
    ];
    for (file_type, biz, bytes, reason) in cases {
        let response = app.upload_file(&key, file_type, biz, &bytes).await;
        let msg = assert_error(response, 415, 50001).await;
        assert!(
            msg.starts_with("upload failed: ") && msg.contains(reason),
            "{file_type}: {msg}"
        );
    }
    assert_eq!(app.stored().await, (0, 0));
}

/// A 50 MB body is refused from its `Content-Length`, before the body is sent.
#[tokio::test]
async fn a_50_mb_body_is_refused_before_it_is_read() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let host = app.address.trim_start_matches("http://").to_owned();
    let reply = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(&host).expect("connect");
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .expect("timeout");
        let head = format!(
            "POST /api/bot/upload_file HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\
             Content-Type: application/json\r\nContent-Length: 52428800\r\n\r\n{{\"data\": \""
        );
        stream.write_all(head.as_bytes()).expect("write head");
        let mut reply = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            reply.extend_from_slice(&buf[..n]);
            if reply.windows(4).any(|w| w == b"\r\n\r\n") && reply.ends_with(b"}") {
                break;
            }
        }
        String::from_utf8_lossy(&reply).into_owned()
    })
    .await
    .expect("raw client");
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(
        reply.contains("\"code\":50002") && reply.contains("52428800"),
        "{reply}"
    );
    assert_eq!(app.stored().await, (0, 0));
}

/// Each file in `fixtures/bad/`, uploaded as a bot icon of its extension's type, with the
/// code and a fragment of the message it must get.
const BAD_FIXTURES: [(&str, u16, u64, &str); 17] = [
    ("empty.png", 400, 40000, "data is empty"),
    (
        "html.jpg",
        415,
        50001,
        "declared jpg but the bytes are an HTML document",
    ),
    ("elf.png", 415, 50001, "an ELF executable"),
    ("script.png", 415, 50001, "a shell script"),
    ("svg.png", 415, 50001, "an SVG image"),
    ("truncated.jpg", 422, 50001, "JPEG is truncated"),
    ("truncated.png", 422, 50001, "cannot be decoded"),
    ("not-an-image.jpg", 422, 50001, "cannot be decoded: JPEG"),
    (
        "polyglot.jpg",
        422,
        50001,
        "a ZIP archive (a polyglot file)",
    ),
    (
        "huge-header.png",
        422,
        50001,
        "image is 100000x100000, over the 16384 pixel side limit",
    ),
    (
        "bomb.png",
        422,
        50001,
        "image is 16000x16000 (256000000 pixels), over the 50000000 pixel limit",
    ),
    (
        "bomb.gif",
        422,
        50001,
        "image is 30000x30000, over the 16384 pixel side limit",
    ),
    (
        "too-many-frames.gif",
        422,
        50001,
        "animation has 400 frames, over the 300 frame limit",
    ),
    (
        "no-scan-data.jpg",
        422,
        50001,
        "JPEG is truncated: scan 1 has no image data",
    ),
    (
        "many-scans.jpg",
        422,
        50001,
        "JPEG has 1000 scans, over the 100 scan limit (setting pipeline.limits.max_scans)",
    ),
    (
        "animation-pixels.gif",
        422,
        50001,
        "animation has 40 frames of 4000x4000 (640000000 pixels), over the 500000000 animation \
         pixel limit (setting pipeline.limits.max_animation_pixels)",
    ),
    (
        "gif-frame-larger-than-screen.gif",
        422,
        50001,
        "decoding needs more memory than the header says, over the 536870912 byte decode \
         memory limit (setting pipeline.limits.max_decode_bytes)",
    ),
];

#[tokio::test]
async fn every_bad_fixture_is_refused_with_its_code() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bad");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures/bad")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name != "README.md")
        .collect();
    on_disk.sort();
    let mut expected: Vec<String> = BAD_FIXTURES
        .iter()
        .map(|(name, ..)| name.to_string())
        .collect();
    expected.sort();
    assert_eq!(on_disk, expected, "every bad fixture needs an expectation");
    for (name, status, code, fragment) in BAD_FIXTURES {
        let ext = name.rsplit('.').next().expect("extension");
        let response = app
            .upload_file(&key, ext, 1, &fixture(&format!("bad/{name}")))
            .await;
        let msg = assert_error(response, status, code).await;
        assert!(msg.contains(fragment), "{name}: {msg}");
    }
    assert_eq!(app.stored().await, (0, 0));
}
