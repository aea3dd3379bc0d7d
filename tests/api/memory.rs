//! Memory that does not grow with file size: the pipeline's memory budget admits jobs as
//! their estimate fits, refuses one larger than the whole budget by name, and documents
//! are committed by streaming (their type told from the whole stream, not the head).

use md5::Digest;
use serde_json::json;

use crate::helpers::{
    apply, commit, crc_hex, fetch, fixture, host, host_json, session_key, spawn_app_with,
    store_info,
};

const MIB: u64 = 1024 * 1024;

#[tokio::test]
async fn an_image_larger_than_the_whole_budget_is_refused_naming_it() {
    let app = spawn_app_with(|s| s.pipeline.memory_budget = 32 * MIB).await;
    let key = app.upload_key().await;
    let photo = fixture("images/photo-12mp.jpg");
    let response = app.upload_file(&key, "jpg", 2, &photo).await;
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["code"], 50001, "{body}");
    let msg = body["msg"].as_str().expect("msg");
    assert!(msg.contains("pipeline.memory_budget"), "{msg}");
    assert!(
        msg.contains(&(32 * MIB).to_string()),
        "the budget's value: {msg}"
    );

    let (_, reply) = apply(&app, &key, "&BizType=2&FileExtension=.jpg").await;
    let (uri, auth, _) = store_info(&reply, 0);
    let direct = host(&app, reqwest::Method::POST, &uri, "", &auth).body(photo.clone());
    assert_eq!(host_json(direct).await.0, 200);
    let (status, committed) = commit(&app, &key, &session_key(&reply), &[&uri]).await;
    assert_eq!(status, 422, "{committed}");
    assert_eq!(committed["ResponseMetadata"]["Error"]["CodeN"], 50001);
    assert_eq!(app.stored().await, (0, 0), "nothing refused is stored");
}

#[tokio::test]
async fn uploads_over_the_budget_wait_for_room_instead_of_failing() {
    // Room for one 12 MP decode at a time: the others wait in the queue, holding nothing.
    let app = spawn_app_with(|s| s.pipeline.memory_budget = 120 * MIB).await;
    let key = app.upload_key().await;
    let photo = fixture("images/photo-12mp.jpg");
    let uploads = (0..3).map(|_| app.upload_file(&key, "jpg", 1, &photo));
    for response in futures_util::future::join_all(uploads).await {
        let status = response.status();
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!((status.as_u16(), &body["code"]), (200, &json!(0)), "{body}");
    }
    let (rows, files) = app.stored().await;
    assert_eq!(rows as usize, files);
}

/// A ZIP whose `word/` entry comes after 200 KiB of others: a document (docx) by its
/// whole stream, although its head alone looks like an archive.
fn late_docx() -> Vec<u8> {
    let entry = |name: &str, data: &[u8]| {
        let name_len = u16::try_from(name.len()).expect("short").to_le_bytes();
        let mut header = b"PK\x03\x04".to_vec();
        header.extend_from_slice(&[0; 22]);
        header.extend_from_slice(&name_len);
        header.extend_from_slice(&[0, 0]);
        header.extend_from_slice(name.as_bytes());
        header.extend_from_slice(data);
        header
    };
    let filler = vec![b'x'; 200 * 1024];
    [
        entry("[Content_Types].xml", &filler),
        entry("word/document.xml", b"<w/>"),
    ]
    .concat()
}

#[tokio::test]
async fn a_streamed_commit_knows_a_document_by_its_whole_stream() {
    let app = spawn_app_with(|_| {}).await;
    let key = app.upload_key().await;
    let docx = late_docx();
    let (_, reply) = apply(&app, &key, "&BizType=2&FileExtension=.zip").await;
    let (uri, auth, _) = store_info(&reply, 0);
    let direct = host(&app, reqwest::Method::POST, &uri, "", &auth)
        .header("content-crc32", crc_hex(&docx))
        .body(docx.clone());
    assert_eq!(host_json(direct).await.0, 200);
    let (status, committed) = commit(&app, &key, &session_key(&reply), &[&uri]).await;
    assert_eq!(status, 200, "{committed}");
    let plugin = &committed["Result"]["PluginResult"][0];
    assert_eq!(plugin["ImageFormat"], "docx", "{plugin}");
    assert!(plugin["ImageUri"].as_str().expect("uri").ends_with(".docx"));
    let served = fetch(&app, plugin["ImageUrl"].as_str().expect("url")).await;
    assert_eq!(served, docx, "stored byte for byte");
    assert_eq!(
        plugin["ImageMd5"],
        json!(format!("{:x}", md5::Md5::digest(&docx))),
        "the md5 is of the whole stream"
    );
}
