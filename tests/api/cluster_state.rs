//! Nodes of one deployment (one catalog, one store, one secret) share no truth that lives
//! in one process: they migrate the schema once, see each other's commit claims, clean up
//! expired sessions without stepping on each other, make a variant once between them,
//! forget deleted objects, and refuse to start with another secret. Run on SQLite (nodes of
//! one host) and, with `IMGATE_TEST_CATALOG=postgres`, on PostgreSQL.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{
    Chunked, Cluster, TestApp, apply, commit, commit_request, crc_hex, fixture, host, host_json,
    retry_after, session_key, spawn_cluster, store_info, suite_on_postgres, text_of,
};

/// Uploads `bytes` by the Base64 method on `node`; answers the reply's `data`.
async fn upload(node: &TestApp, key: &str, biz_type: i64, bytes: &[u8]) -> Value {
    let response = node.upload_file(key, "png", biz_type, bytes).await;
    assert_eq!(response.status(), 200);
    let reply: Value = response.json().await.expect("json");
    reply["data"].clone()
}

async fn status_of(node: &TestApp, url: &str) -> u16 {
    let path = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = &path[path.find('/').unwrap_or(0)..];
    node.client
        .get(node.url(path))
        .send()
        .await
        .expect("get")
        .status()
        .as_u16()
}

#[tokio::test]
async fn nodes_started_together_migrate_once_and_serve_each_others_uploads() {
    let cluster = spawn_cluster(3, |_| {}).await;
    for node in &cluster.nodes {
        let (status, ready) = node.get_json("/readyz").await;
        assert_eq!(status, 200, "{ready}");
    }
    let key = cluster.nodes[0].upload_key().await;
    let png = fixture("images/rgba.png");
    let data = upload(&cluster.nodes[1], &key, 1, &png).await;
    let url = data["upload_url"].as_str().expect("url");
    for node in &cluster.nodes {
        assert_eq!(status_of(node, url).await, 200, "{url}");
    }
}

#[tokio::test]
async fn a_node_with_another_secret_refuses_to_start_and_says_why() {
    let cluster = spawn_cluster(1, |_| {}).await;
    let refused = cluster
        .try_node(|s| s.auth.secret = Some("a secret of its own".into()))
        .await
        .expect_err("another secret must not start");
    assert!(
        refused.contains("auth.secret differs") && refused.contains("every node"),
        "{refused}"
    );
    cluster
        .try_node(|_| {})
        .await
        .expect("the cluster's secret starts");
}

/// A chunked upload whose apply, part, complete and commits each run on another node.
#[tokio::test]
async fn a_commit_claim_holds_across_nodes() {
    let cluster = spawn_cluster(3, |_| {}).await;
    let [a, b, c] = [&cluster.nodes[0], &cluster.nodes[1], &cluster.nodes[2]];
    let key = a.upload_key().await;
    let (_, reply) = apply(a, &key, "&BizType=2&FileExtension=txt").await;
    let (uri, auth, _) = store_info(&reply, 0);
    let upload = Chunked::start(b, Method::POST, &uri, &auth).await;
    let body = text_of(300_000);
    let part = upload
        .part(c, Method::POST, 1)
        .header("content-crc32", crc_hex(&body))
        .body(body.clone());
    assert_eq!(host_json(part).await.0, 200);
    let complete = upload
        .by_id(a, Method::POST)
        .body(format!("1:{}", crc_hex(&body)));
    assert_eq!(host_json(complete).await.0, 200);

    let session = session_key(&reply);
    let commits = [a, b, c].map(|node| commit_request(node, &key, &session, &[&uri]).send());
    let mut answers = Vec::new();
    for response in join_all(commits).await {
        let response = response.expect("commit");
        let status = response.status().as_u16();
        if status == 503 {
            assert!(retry_after(&response).is_some(), "a 503 says when to retry");
        }
        answers.push((status, response.json::<Value>().await.expect("json")));
    }
    assert!(
        answers
            .iter()
            .all(|(status, _)| *status == 200 || *status == 503),
        "{answers:?}"
    );
    let stored: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, body)| &body["Result"]["PluginResult"][0]["ImageUri"])
        .collect();
    assert!(!stored.is_empty(), "{answers:?}");
    assert!(stored.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
    let (status, again) = commit(c, &key, &session, &[&uri]).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(&again["Result"]["PluginResult"][0]["ImageUri"], stored[0]);
    assert_eq!(a.catalog.count_objects().await.expect("count"), 1);
}

/// Three nodes claim expired sessions at once: every expired session goes to exactly one,
/// a live one to none, and neither does an expired one whose commit is in progress.
#[tokio::test]
async fn each_expired_session_is_claimed_by_one_node() {
    let cluster = spawn_cluster(3, |s| {
        s.imagex.session_ttl = "1s".parse().expect("ttl");
        s.imagex.cleanup_interval = "1h".parse().expect("interval");
    })
    .await;
    // A node whose sessions live an hour, to make one that must not be claimed. (Each
    // node's cleaner runs when it starts, so it starts before any session expires.)
    let lasting = cluster
        .add(|s| s.imagex.session_ttl = "1h".parse().expect("ttl"))
        .await;
    let a = &cluster.nodes[0];
    let key = a.upload_key().await;
    let mut expired = Vec::new();
    for _ in 0..24 {
        let (_, reply) = apply(a, &key, "&BizType=2&FileExtension=txt").await;
        expired.push(session_key(&reply));
    }
    // One of them has a file uploaded whose commit holds a claim.
    let (_, busy) = apply(a, &key, "&BizType=2&FileExtension=txt").await;
    let (uri, auth, _) = store_info(&busy, 0);
    let file = text_of(1000);
    let put = host(a, Method::POST, &uri, "", &auth)
        .header("content-crc32", crc_hex(&file))
        .body(file);
    assert_eq!(host_json(put).await.0, 200);
    let far = imgate::catalog::unix_now() + 600;
    assert!(
        a.catalog
            .claim_upload(&uri, "a-commit", far)
            .await
            .expect("claim")
    );
    wait_until_past(imgate::catalog::unix_now() + 1).await;

    let (_, reply) = apply(&lasting, &key, "&BizType=2&FileExtension=txt").await;
    let live = session_key(&reply);
    let claims = cluster.nodes.iter().enumerate().map(|(i, node)| {
        let catalog = node.catalog.clone();
        async move {
            catalog
                .claim_expired_sessions(&format!("node-{i}"), far, 1000)
                .await
                .expect("claim")
        }
    });
    let claimed: Vec<String> = join_all(claims)
        .await
        .into_iter()
        .flatten()
        .map(|s| s.session_key)
        .collect();
    let mut unique = claimed.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), claimed.len(), "a session claimed twice");
    for session in &expired {
        assert!(claimed.contains(session), "{session} was not claimed");
    }
    assert!(
        !claimed.contains(&session_key(&busy)),
        "a session whose commit holds a claim was taken"
    );
    assert!(!claimed.contains(&live), "a live session was taken");
}

async fn wait_until_past(unix: i64) {
    while imgate::catalog::unix_now() <= unix {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The cleaner on every node: expired sessions and their staged bytes go, once, and a
/// committed upload of the same deployment stays.
#[tokio::test]
async fn cleaners_on_every_node_remove_expired_sessions_and_nothing_else() {
    let cluster = spawn_cluster(3, |s| {
        s.imagex.session_ttl = "2s".parse().expect("ttl");
        s.imagex.cleanup_interval = "1s".parse().expect("interval");
    })
    .await;
    let a = &cluster.nodes[0];
    let key = a.upload_key().await;
    let png = fixture("images/rgba.png");
    let kept = upload(&cluster.nodes[2], &key, 1, &png).await;
    for i in 0..9 {
        let (_, reply) = apply(a, &key, "&BizType=2&FileExtension=txt").await;
        let (uri, auth, _) = store_info(&reply, 0);
        let upload = Chunked::start(&cluster.nodes[i % 3], Method::POST, &uri, &auth).await;
        let part = text_of(2000);
        let request = upload
            .part(&cluster.nodes[(i + 1) % 3], Method::POST, 1)
            .header("content-crc32", crc_hex(&part))
            .body(part);
        assert_eq!(host_json(request).await.0, 200);
    }
    assert_eq!(a.staged().await, 9);
    let start = Instant::now();
    while a.staged().await > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the cleaners did not run"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let url = kept["upload_url"].as_str().expect("url");
    for node in &cluster.nodes {
        assert_eq!(status_of(node, url).await, 200);
    }
}

/// The same variant asked of every node at once: every request answered with the same
/// bytes, and one record.
#[tokio::test]
async fn a_variant_asked_of_every_node_at_once_is_made_once() {
    let cluster = spawn_cluster(3, |_| {}).await;
    let key = cluster.nodes[0].upload_key().await;
    let data = upload(&cluster.nodes[0], &key, 1, &fixture("images/rgba.png")).await;
    let uri = data["uri"].as_str().expect("uri");
    let gets = cluster.nodes.iter().cycle().take(12).map(|node| {
        let url = format!("{}/{uri}~tplv-imgate-resize:64:64.webp", node.public_base);
        async move {
            let response = node.client.get(url).send().await.expect("get");
            let status = response.status().as_u16();
            (status, response.bytes().await.expect("bytes"))
        }
    });
    let answers = join_all(gets).await;
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{}", String::from_utf8_lossy(body));
        assert_eq!(body, &answers[0].1, "every node answers the same bytes");
    }
    for node in &cluster.nodes {
        node.settled().await;
    }
    let variants = cluster.nodes[1]
        .catalog
        .variants_of(uri)
        .await
        .expect("variants");
    let made: Vec<&String> = variants
        .iter()
        .filter(|v| v.contains("resize:64:64"))
        .collect();
    assert_eq!(made.len(), 1, "{variants:?}");
}

/// A deletion on one node: on PostgreSQL the others hear of it (their cache would keep the
/// object for an hour otherwise); on SQLite, nodes of one host forget it with the cache's
/// lifetime.
#[tokio::test]
async fn a_deletion_on_one_node_is_seen_by_every_node() {
    let on_postgres = suite_on_postgres();
    let cluster: Cluster = spawn_cluster(3, move |s| {
        s.cdn.memory_cache_ttl = if on_postgres { "1h" } else { "1s" }.parse().expect("ttl");
    })
    .await;
    let admin = cluster.nodes[0]
        .key_with(
            &[imgate::auth::Scope::Upload, imgate::auth::Scope::Admin],
            None,
            None,
        )
        .await
        .1;
    let data = upload(&cluster.nodes[0], &admin, 1, &fixture("images/rgba.png")).await;
    let url = data["upload_url"].as_str().expect("url").to_owned();
    let uri = data["uri"].as_str().expect("uri").to_owned();
    for node in &cluster.nodes {
        // Twice: the second answer comes from the node's memory.
        assert_eq!(status_of(node, &url).await, 200);
        assert_eq!(status_of(node, &url).await, 200);
    }
    let deleted = cluster.nodes[0]
        .client
        .delete(cluster.nodes[0].url(&format!("/api/common/upload/object/{uri}")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), 200);
    let start = Instant::now();
    for node in &cluster.nodes[1..] {
        while status_of(node, &url).await != 404 {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "a node still serves a deleted object"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    eprintln!("deletion seen by every node after {:?}", start.elapsed());
}
