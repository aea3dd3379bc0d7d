//! Chunked uploads over HTTP: parts numbered from 0 (the SDKs) and from 1 (tt-uploader),
//! parts kept across a restart, and the complete list that settles the file.

use serde_json::json;

use crate::helpers::{
    Chunked, TestApp, apply, chunked, commit, crc_hex, fetch, host, host_json, session_key,
    spawn_app, store_info, text_of,
};

/// 12 MiB in 5 MiB parts numbered from `first`, sent with `method`.
async fn twelve_mib_chunked(first: usize, method: reqwest::Method) {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let bytes = text_of(12 * 1024 * 1024);
    chunked(&app, &key, &bytes, 5 * 1024 * 1024, first, method).await;
}

#[tokio::test]
async fn twelve_mib_chunked_from_one_like_tt_uploader() {
    twelve_mib_chunked(1, reqwest::Method::POST).await;
}

#[tokio::test]
async fn twelve_mib_chunked_from_zero_like_the_sdks() {
    twelve_mib_chunked(0, reqwest::Method::PUT).await;
}

#[tokio::test]
async fn parts_survive_a_restart() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let bytes = text_of(3 * 1024 * 1024);
    let (_, reply) = apply(&app, &key, "&BizType=2&FileExtension=txt").await;
    let (uri, auth, _) = store_info(&reply, 0);
    let upload = Chunked::start(&app, reqwest::Method::POST, &uri, &auth).await;
    let (first, second) = bytes.split_at(2 * 1024 * 1024);
    let part = |app: &TestApp, n: usize, data: &[u8]| {
        upload
            .part(app, reqwest::Method::POST, n)
            .header("content-crc32", crc_hex(data))
            .body(data.to_vec())
    };
    assert_eq!(host_json(part(&app, 1, first)).await.0, 200);

    let app = app.restart().await;

    let (_, resumed) = host_json(upload.by_id(&app, reqwest::Method::GET)).await;
    assert_eq!(
        resumed["payload"]["partList"],
        json!([{"partNumber": 1, "crc32": crc_hex(first)}])
    );
    assert_eq!(host_json(part(&app, 2, second)).await.0, 200);
    let list = format!("1:{},2:{}", crc_hex(first), crc_hex(second));
    let (status, done) = host_json(upload.by_id(&app, reqwest::Method::POST).body(list)).await;
    assert_eq!(status, 200, "{done}");
    let (status, committed) = commit(&app, &key, &session_key(&reply), &[&uri]).await;
    assert_eq!(status, 200, "{committed}");
    let url = committed["Result"]["PluginResult"][0]["ImageUrl"]
        .as_str()
        .expect("url");
    assert_eq!(fetch(&app, url).await, bytes);
}

/// The complete list settles the file: unlisted parts are dropped, later parts refused,
/// and a commit that finds other bytes than the complete confirmed refuses them; the
/// client may still send the file whole instead.
#[tokio::test]
async fn the_complete_list_settles_the_file() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let (_, reply) = apply(&app, &key, "&BizType=2&FileExtension=txt").await;
    let (uri, auth, _) = store_info(&reply, 0);
    let upload = Chunked::start(&app, reqwest::Method::POST, &uri, &auth).await;
    let parts = [
        text_of(3000),
        b"second part\n".repeat(100),
        b"unlisted\n".to_vec(),
    ];
    let send_part = |number: usize| {
        upload
            .part(&app, reqwest::Method::POST, number)
            .body(parts[number - 1].clone())
    };
    for number in 1..=3 {
        assert_eq!(host_json(send_part(number)).await.0, 200);
    }
    let list = format!("1:{},2:{}", crc_hex(&parts[0]), crc_hex(&parts[1]));
    let complete = upload.by_id(&app, reqwest::Method::POST);
    let (status, done) = host_json(complete.body(list)).await;
    let file = [parts[0].clone(), parts[1].clone()].concat();
    assert_eq!(
        (status, &done["payload"]["hash"]),
        (200, &json!(crc_hex(&file))),
        "{done}"
    );
    assert_eq!(app.staged().await, 2, "the unlisted part is dropped");
    let (status, late) = host_json(send_part(2)).await;
    assert_eq!(status, 400, "{late}");
    assert!(late.to_string().contains("can no longer change"), "{late}");

    // A part that got past that check while the complete ran.
    let upload_id = app
        .catalog
        .find_upload(&uri)
        .await
        .expect("catalog")
        .expect("upload")
        .upload_id;
    let part = imgate::storage::ObjectKey::parse(&format!("{upload_id}/part-2")).expect("key");
    app.backends()
        .await
        .staging
        .put(
            &part,
            imgate::storage::stream_of(bytes::Bytes::from_static(b"late")),
        )
        .await
        .expect("overwrite a part");
    let (status, refused) = commit(&app, &key, &session_key(&reply), &[&uri]).await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused
            .to_string()
            .contains("changed after the upload was completed"),
        "{refused}"
    );
    assert_eq!(app.stored().await, (0, 0));

    let whole = host(
        &app,
        reqwest::Method::PUT,
        &uri,
        &format!("?uploadID={upload_id}"),
        &auth,
    )
    .body(file.clone());
    let (status, direct) = host_json(whole).await;
    assert_eq!(status, 200, "{direct}");
    assert_eq!(
        app.staged().await,
        1,
        "the direct upload replaces the parts"
    );
    let (status, committed) = commit(&app, &key, &session_key(&reply), &[&uri]).await;
    assert_eq!(status, 200, "{committed}");
    let url = committed["Result"]["PluginResult"][0]["ImageUrl"]
        .as_str()
        .expect("url");
    assert_eq!(fetch(&app, url).await, file);
}
