//! The `imgate` binary: key and user commands beside a running server, and `serve` with
//! nothing configured but the port.

use std::process::Stdio;

use serde_json::json;

use crate::helpers::{
    assert_error, fixture, last_line, run_ok, serve_in, spawn_app, upload_with_new_key,
};

#[tokio::test]
async fn key_commands_work_beside_a_running_server() {
    let app = spawn_app().await;
    let created = run_ok(app.imgate(&[
        "keys",
        "create",
        "--name",
        "ci-bot",
        "--scope",
        "upload",
        "--biz-type",
        "1",
        "--expires-in",
        "30d",
    ]));
    let key = last_line(&created);
    assert!(key.starts_with("pat_") && key.len() == 68, "{created}");
    let png = fixture("files/sample.png");
    assert_eq!(app.upload_file(&key, "png", 1, &png).await.status(), 200);
    assert_eq!(app.upload_file(&key, "png", 3, &png).await.status(), 403);

    let listed = run_ok(app.imgate(&["keys", "list"]));
    assert!(
        listed.contains("ci-bot") && listed.contains("active"),
        "{listed}"
    );
    assert!(
        !listed.contains(&key[12..]),
        "the list shows the secret: {listed}"
    );

    let id = created.split_whitespace().nth(2).expect("id").to_owned();
    run_ok(app.imgate(&["keys", "revoke", &id]));
    let msg = assert_error(app.upload_file(&key, "png", 1, &png).await, 401, 40002).await;
    assert!(msg.contains("revoked"), "{msg}");
    let again = app.imgate(&["keys", "revoke", &id]).output().expect("runs");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("no active key"));
}

#[tokio::test]
async fn users_create_takes_the_password_from_env_or_stdin() {
    let app = spawn_app().await;
    run_ok(
        app.imgate(&["users", "create", "--email", "env@example.com"])
            .env("IMGATE_PASSWORD", "from-the-environment"),
    );
    let mut child = app
        .imgate(&["users", "create", "--email", "stdin@example.com"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"typed-on-stdin\n")
        .expect("write");
    assert!(child.wait().expect("wait").success());

    for (email, password) in [
        ("env@example.com", "from-the-environment"),
        ("stdin@example.com", "typed-on-stdin"),
    ] {
        let response = app
            .client
            .post(app.url("/api/passport/web/email/login/"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("login");
        assert_eq!(response.status(), 200, "{email}");
    }
    let short = app
        .imgate(&["users", "create", "--email", "x@example.com"])
        .env("IMGATE_PASSWORD", "short")
        .output()
        .expect("runs");
    assert!(!short.status.success());
}

/// The README's first command: `imgate serve` in an empty directory, defaults only.
#[tokio::test]
async fn serve_runs_with_embedded_defaults() {
    let cwd = tempfile::tempdir().expect("cwd");
    let (_server, base) = serve_in(cwd.path(), &[]).await;
    let client = reqwest::Client::new();
    assert!(cwd.path().join("data/imgate.db").exists());

    let (png, reply) = upload_with_new_key(cwd.path(), &base).await;
    let url = reply["data"]["upload_url"].as_str().expect("url");
    assert!(
        url.starts_with(&format!("{base}/imgate/BIZ_BOT_ICON/")),
        "{url}"
    );
    let served = client
        .get(url)
        .send()
        .await
        .expect("download")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(served.as_ref(), png.as_slice());
}
