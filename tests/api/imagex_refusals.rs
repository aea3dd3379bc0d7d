//! The ImageX flow's bad inputs, each with its status and the contract's shape. Nothing
//! refused leaves an object behind.

use serde_json::{Value, json};

use crate::helpers::{
    ACTIONS, apply, assert_action_error, assert_host_error, commit, crc_hex, fixture, host,
    host_json, spawn_app, spawn_app_with, started, store_info, text_of,
};

#[tokio::test]
async fn upload_host_refuses_bad_credentials() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let (_, reply) = apply(&app, &key, "&UploadNum=2&FileExtension=png").await;
    let (uri_a, auth_a, _) = store_info(&reply, 0);
    let (uri_b, _, _) = store_info(&reply, 1);
    let png = fixture("images/rgba.png");
    let no_auth = app
        .client
        .post(app.url(&format!("/api/common/upload/{uri_a}")))
        .body(png.clone());
    let (status, body) = host_json(no_auth).await;
    assert_host_error(status, &body, 401, "authentication required");
    let (status, body) = host_json(
        host(&app, reqwest::Method::POST, &uri_a, "", "UPT1.garbage.tag").body(png.clone()),
    )
    .await;
    assert_host_error(status, &body, 401, "invalid");
    let (status, body) =
        host_json(host(&app, reqwest::Method::POST, &uri_b, "", &auth_a).body(png.clone())).await;
    assert_host_error(status, &body, 403, "another object");
    let (_, other_key) = app
        .key_with(&[imgate::auth::Scope::Upload], None, None)
        .await;
    let (status, body) = host_json(
        host(
            &app,
            reqwest::Method::POST,
            &uri_a,
            "",
            &format!("Bearer {other_key}"),
        )
        .body(png),
    )
    .await;
    assert_host_error(status, &body, 403, "may not upload");
    assert_eq!(app.stored().await, (0, 0));
}

#[tokio::test]
async fn crc_mismatches_are_refused_everywhere() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let bytes = text_of(2000);
    let (_, reply) = apply(&app, &key, "&BizType=2&FileExtension=txt").await;
    let (uri, auth, _) = store_info(&reply, 0);
    let direct = host(&app, reqwest::Method::POST, &uri, "", &auth)
        .header("content-crc32", "deadbeef")
        .body(bytes.clone());
    let (status, body) = host_json(direct).await;
    assert_host_error(status, &body, 400, "CRC32 mismatch");

    let (upload, _) = started(&app, &key).await;
    let part = |crc: &str| {
        upload
            .part(&app, reqwest::Method::POST, 1)
            .header("content-crc32", crc)
            .body(bytes.clone())
    };
    let (status, body) = host_json(part("00000001")).await;
    assert_host_error(status, &body, 400, "CRC32 mismatch");
    assert_eq!(host_json(part("Ignore")).await.0, 200);
    let complete = upload.by_id(&app, reqwest::Method::POST).body("1:00000001");
    let (status, body) = host_json(complete).await;
    assert_host_error(status, &body, 400, "CRC32 mismatch for part 1");
    assert_eq!(app.stored().await, (0, 0));
}

#[tokio::test]
async fn bad_part_lists_and_ids_are_refused() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let (upload, session) = started(&app, &key).await;
    let uri = &upload.uri;
    for n in [1, 2] {
        let part = upload
            .part(&app, reqwest::Method::POST, n)
            .body(text_of(100));
        assert_eq!(host_json(part).await.0, 200);
    }
    let crc = crc_hex(&text_of(100));
    let cases = [
        (format!("1:{crc},3:{crc}"), "part 2 is missing"),
        (format!("1:{crc},1:{crc}"), "listed twice"),
        (format!("2:{crc},1:{crc}"), "out of order"),
        (
            format!("1:{crc},2:{crc},3:{crc}"),
            "part 3 was never uploaded",
        ),
    ];
    for (list, fragment) in cases {
        let complete = upload.by_id(&app, reqwest::Method::POST).body(list);
        let (status, body) = host_json(complete).await;
        assert_host_error(status, &body, 400, fragment);
    }
    let unknown = host(
        &app,
        reqwest::Method::POST,
        uri,
        "?uploadID=0123abcd",
        &upload.auth,
    )
    .body(format!("1:{crc}"));
    let (status, body) = host_json(unknown).await;
    assert_host_error(status, &body, 400, "unknown uploadID");
    let (status, body) = commit(&app, &key, &session, &[uri]).await;
    assert_action_error(status, &body, 400, "nothing has been uploaded");
    assert_eq!(app.stored().await, (0, 0));
}

#[tokio::test]
async fn every_size_limit_names_itself() {
    let app = spawn_app_with(|s| {
        s.imagex.max_part_bytes = 1000;
        s.imagex.max_file_bytes = 1500;
    })
    .await;
    let key = app.upload_key().await;
    let (status, body) = apply(&app, &key, "&FileSize=1501").await;
    assert_action_error(status, &body, 413, "upload limit of 1500 bytes");
    let (upload, _) = started(&app, &key).await;
    let part = |n: u32, size: usize| {
        upload
            .part(&app, reqwest::Method::POST, n)
            .body(text_of(size))
    };
    let (status, body) = host_json(part(1, 1001)).await;
    assert_host_error(status, &body, 413, "part limit of 1000 bytes");
    assert_eq!(host_json(part(1, 1000)).await.0, 200);
    let (status, body) = host_json(part(2, 501)).await;
    assert_host_error(status, &body, 413, "upload limit");
    let (_, reply) = apply(&app, &key, "&BizType=2&FileExtension=txt").await;
    let (uri, auth, _) = store_info(&reply, 0);
    let (status, body) =
        host_json(host(&app, reqwest::Method::POST, &uri, "", &auth).body(text_of(1501))).await;
    assert_host_error(status, &body, 413, "upload limit of 1500 bytes");
    assert_eq!(app.stored().await, (0, 0));
}

#[tokio::test]
async fn sessions_and_store_uris_are_checked() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let (status, body) = commit(&app, &key, "0123456789abcdef", &[]).await;
    assert_action_error(status, &body, 400, "unknown SessionKey");
    for store_key in ["..%2Fescape", "%2Fetc%2Fpasswd", "a%2F..%2F..%2Fb"] {
        let (status, body) = apply(&app, &key, &format!("&StoreKeys={store_key}")).await;
        assert_action_error(status, &body, 400, "StoreKey");
    }
    let (status, body) = host_json(
        host(
            &app,
            reqwest::Method::POST,
            "imgate/..%2F..%2Fsecret",
            "",
            "x",
        )
        .body("x"),
    )
    .await;
    assert_host_error(status, &body, 400, "StoreUri");
    let url = app.url(&format!("{ACTIONS}?Action=DeleteEverything"));
    let response = app
        .client
        .get(url)
        .bearer_auth(&key)
        .send()
        .await
        .expect("get");
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("json");
    assert_action_error(status, &body, 400, "unknown Action `DeleteEverything`");
    assert_eq!(body["ResponseMetadata"]["Action"], "DeleteEverything");
    assert_eq!(app.stored().await, (0, 0));
}

#[tokio::test]
async fn expired_sessions_refuse_uploads_and_commits() {
    let app =
        spawn_app_with(|s| s.imagex.session_ttl = imgate::config::Duration::from_secs(1)).await;
    let key = app.upload_key().await;
    let (_, reply) = apply(&app, &key, "&BizType=2&FileExtension=txt").await;
    let (uri, auth, _) = store_info(&reply, 0);
    let session = reply["Result"]["UploadAddress"]["SessionKey"]
        .as_str()
        .expect("key")
        .to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, body) =
        host_json(host(&app, reqwest::Method::POST, &uri, "", &auth).body(text_of(10))).await;
    assert_eq!(
        status, 401,
        "the upload token expired with its session: {body}"
    );
    let (status, body) = commit(&app, &key, &session, &[&uri]).await;
    assert_action_error(status, &body, 400, "expired");
    assert_eq!(app.stored().await, (0, 0));
}

#[tokio::test]
async fn store_keys_cannot_take_an_existing_name() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let (_, reply) = apply(&app, &key, "&StoreKeys=mine.png").await;
    let (uri, auth, _) = store_info(&reply, 0);
    let png = fixture("images/rgba.png");
    assert_eq!(
        host_json(host(&app, reqwest::Method::POST, &uri, "", &auth).body(png))
            .await
            .0,
        200
    );
    let session = reply["Result"]["UploadAddress"]["SessionKey"]
        .as_str()
        .expect("key")
        .to_owned();
    assert_eq!(commit(&app, &key, &session, &[&uri]).await.0, 200);
    let (_, other) = app
        .key_with(&[imgate::auth::Scope::Upload], None, None)
        .await;
    for taken in ["mine", "mine.jpg", "mine.png"] {
        let (status, body) = apply(&app, &other, &format!("&StoreKeys={taken}")).await;
        assert_action_error(status, &body, 400, "taken");
    }
    let (status, body) = apply(&app, &other, "&StoreKeys=x~tplv-imgate-noop.image").await;
    assert_action_error(status, &body, 400, "reserved for variants");
    let response = app
        .client
        .get(format!("{}/imgate/mine.png", app.public_base))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 200, "the first owner's object is intact");
}

#[tokio::test]
async fn repeated_completes_and_concurrent_commits_agree() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let (upload, session) = started(&app, &key).await;
    let uri = upload.uri.clone();
    let part = text_of(5000);
    let request = upload
        .part(&app, reqwest::Method::POST, 1)
        .body(part.clone());
    assert_eq!(host_json(request).await.0, 200);
    let list = format!("1:{}", crc_hex(&part));
    for _ in 0..2 {
        let complete = upload.by_id(&app, reqwest::Method::POST).body(list.clone());
        let (status, body) = host_json(complete).await;
        assert_eq!(
            (status, &body["payload"]["hash"]),
            (200, &json!(crc_hex(&part))),
            "{body}"
        );
    }
    let commits: Vec<_> = (0..4)
        .map(|_| {
            let (app_url, key, session, uri) =
                (app.url(""), key.clone(), session.clone(), uri.clone());
            let client = app.client.clone();
            tokio::spawn(async move {
                let url = format!(
                    "{app_url}/api/common/upload/apply_upload_action?Action=CommitImageUpload"
                );
                let response = client
                    .post(url)
                    .bearer_auth(key)
                    .json(&json!({"SessionKey": session, "SuccessOids": [uri]}))
                    .send()
                    .await
                    .expect("commit");
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.expect("json"))
            })
        })
        .collect();
    let mut answers = Vec::new();
    for commit in commits {
        answers.push(commit.await.expect("joined"));
    }
    assert!(
        answers
            .iter()
            .all(|(status, _)| *status == 200 || *status == 503),
        "{answers:?}"
    );
    let results: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| &b["Result"]["PluginResult"])
        .collect();
    assert!(
        !results.is_empty() && results.iter().all(|r| *r == results[0]),
        "{answers:?}"
    );
    let url = results[0][0]["ImageUrl"].as_str().expect("url");
    assert_eq!(
        app.client.get(url).send().await.expect("get").status(),
        200,
        "the committed object is there"
    );
    assert_eq!(app.stored().await, (1, 1));
}
