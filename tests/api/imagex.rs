//! Methods 2 and 3 over HTTP: temporary credentials, apply, a direct upload and its
//! commit, the reference document's PUT flow, CORS pre-flights, and session expiry.

use md5::Digest;
use serde_json::{Value, json};

use crate::helpers::{
    ACTIONS, Chunked, apply, commit, crc_hex, fetch, fixture, host, host_json, session_key,
    spawn_app, spawn_app_with, store_info, text_of,
};

#[tokio::test]
async fn direct_upload_is_committed_and_served() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let png = fixture("images/rgba.png");
    let (status, reply) = apply(
        &app,
        &key,
        &format!("&FileExtension=.png&FileSize={}", png.len()),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let hosts = &reply["Result"]["UploadAddress"]["UploadHosts"];
    assert_eq!(
        hosts[0],
        format!(
            "{}/api/common/upload",
            app.address.trim_start_matches("http://")
        )
    );
    let (uri, auth, _) = store_info(&reply, 0);
    assert!(uri.starts_with("imgate/") && uri.ends_with(".png"), "{uri}");
    let put = host(&app, reqwest::Method::POST, &uri, "", &auth)
        .header("content-crc32", crc_hex(&png))
        .body(png.clone());
    let (status, body) = host_json(put).await;
    assert_eq!((status, &body["success"]), (200, &json!(0)), "{body}");
    assert_eq!(body["payload"], json!({"hash": crc_hex(&png), "key": uri}));
    assert_eq!(
        app.stored().await,
        (0, 0),
        "nothing is an object before the commit"
    );

    let (status, committed) = commit(&app, &key, &session_key(&reply), &[&uri]).await;
    assert_eq!(status, 200, "{committed}");
    let result = &committed["Result"];
    assert_eq!(result["Results"][0], json!({"Uri": uri, "UriStatus": 2000}));
    let plugin = &result["PluginResult"][0];
    assert_eq!(
        (
            plugin["ImageWidth"].as_u64(),
            plugin["ImageHeight"].as_u64()
        ),
        (Some(200), Some(200))
    );
    assert_eq!(plugin["ImageFormat"], "png");
    assert_eq!(plugin["FrameCnt"], 1);
    assert_eq!(plugin["SourceUri"], uri);
    let served = fetch(&app, plugin["ImageUrl"].as_str().expect("url")).await;
    assert_eq!(
        served.len() as u64,
        plugin["ImageSize"].as_u64().expect("size")
    );
    assert_eq!(
        format!("{:x}", md5::Md5::digest(&served)),
        plugin["ImageMd5"].as_str().expect("md5")
    );

    let (status, again) = commit(&app, &key, &session_key(&reply), &[&uri]).await;
    assert_eq!(status, 200);
    assert_eq!(
        again["Result"]["PluginResult"], result["PluginResult"],
        "committing twice answers the same"
    );
}

#[tokio::test]
async fn the_reference_documents_put_flow_works_with_a_session_token() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let response = app
        .client
        .post(app.url("/api/playground/upload/auth_token"))
        .bearer_auth(&key)
        .json(&json!({"scene": "bot_icon", "data_type": "image"}))
        .send()
        .await
        .expect("auth_token");
    assert_eq!(response.status(), 200);
    let token: Value = response.json().await.expect("json");
    let data = &token["data"];
    assert_eq!(data["upload_path_prefix"], "bot-icon-image");
    assert_eq!(data["service_id"], "imgate");
    assert_eq!(data["schema"], "http");
    let auth = &data["auth"];
    assert!(
        auth["access_key_id"]
            .as_str()
            .expect("ak")
            .starts_with("AKTP")
    );
    assert!(auth["expired_time"].as_str().expect("time").len() == 19);
    let url = format!(
        "{}://{}/{}/icon.png",
        data["schema"].as_str().expect("schema"),
        data["upload_host"].as_str().expect("host"),
        data["upload_path_prefix"].as_str().expect("prefix"),
    );
    let png = fixture("images/orient-6.png");
    let session_token = auth["session_token"].as_str().expect("token");
    let response = app
        .client
        .put(&url)
        .bearer_auth(session_token)
        .body(png)
        .send()
        .await
        .expect("put");
    assert_eq!(response.status(), 200);
    let reply: Value = response.json().await.expect("json");
    assert_eq!(reply["code"], 0, "{reply}");
    assert!(
        reply["data"]["upload_uri"]
            .as_str()
            .expect("uri")
            .starts_with("BIZ_BOT_ICON/")
    );
    assert_eq!(
        (
            reply["data"]["width"].as_u64(),
            reply["data"]["height"].as_u64()
        ),
        (Some(120), Some(80))
    );
    fetch(&app, reply["data"]["upload_url"].as_str().expect("url")).await;

    // The same token applies through the ImageX actions, for its own biz type only.
    let (status, applied) = apply(&app, session_token, "&FileExtension=.png").await;
    assert_eq!(status, 200, "{applied}");
    let response = app
        .client
        .put(url.replace("bot-icon-image", "bot-dataset"))
        .bearer_auth(session_token)
        .body(fixture("files/sample.txt"))
        .send()
        .await
        .expect("put");
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn preflights_are_answered_for_allowed_origins() {
    let app =
        spawn_app_with(|s| s.imagex.cors_origins = vec!["https://studio.example.com".into()]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url(ACTIONS))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, x-date")
            .send()
    };
    let allowed = preflight("https://studio.example.com")
        .await
        .expect("options");
    assert_eq!(allowed.status(), 204);
    let h = allowed.headers();
    assert_eq!(
        h["access-control-allow-origin"],
        "https://studio.example.com"
    );
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert!(
        h["access-control-allow-headers"]
            .to_str()
            .expect("ascii")
            .contains("content-crc32")
    );
    let other = preflight("https://evil.example.com")
        .await
        .expect("options");
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn expired_sessions_and_their_parts_are_removed() {
    let app = spawn_app_with(|s| {
        s.imagex.session_ttl = imgate::config::Duration::from_secs(1);
        s.imagex.cleanup_interval = imgate::config::Duration::from_secs(1);
    })
    .await;
    let key = app.upload_key().await;
    let (_, reply) = apply(&app, &key, "&BizType=2&FileExtension=txt").await;
    let (uri, auth, _) = store_info(&reply, 0);
    let upload = Chunked::start(&app, reqwest::Method::POST, &uri, &auth).await;
    let request = upload
        .part(&app, reqwest::Method::POST, 1)
        .body(text_of(1000));
    assert_eq!(host_json(request).await.0, 200);
    assert_eq!(app.staged().await, 1);
    let mut gone = false;
    for _ in 0..100 {
        let session = app
            .catalog
            .find_upload_session(&session_key(&reply))
            .await
            .expect("catalog");
        if session.is_none() && app.staged().await == 0 {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        gone,
        "the expired session and its staged part were not removed"
    );
    assert!(
        app.catalog
            .find_upload(&uri)
            .await
            .expect("catalog")
            .is_none()
    );
}
