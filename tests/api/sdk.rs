//! The real Volcengine Python SDK (PyPI `volcengine`) uploads through imgate over https,
//! with temporary credentials: apply, upload and commit as the SDK does them.

use std::path::Path;
use std::process::Command;

use imgate::auth::{Sealer, load_or_create_secret};
use imgate::clock::unix_now;
use imgate::config::TlsSettings;
use serde_json::Value;

use crate::helpers::spawn_app_with;
use crate::python::{SdkCredentials, run, sdk_upload};

/// A self-signed certificate for 127.0.0.1 and localhost.
fn certificate(dir: &Path) -> TlsSettings {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    run(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .args([
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert));
    TlsSettings { cert, key }
}

#[tokio::test]
async fn the_volcengine_python_sdk_uploads_over_https() {
    let certs = tempfile::tempdir().expect("dir");
    let tls = certificate(certs.path());
    let ca = tls.cert.clone();
    let ca_for_curl = ca.clone();
    let app = spawn_app_with(|s| s.server.tls = Some(tls)).await;
    let secret = load_or_create_secret(None, app.data_dir.path()).expect("secret");
    let creds = Sealer::new(&secret).issue_credentials("user:1", 1, unix_now() + 600);
    let image = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/images/photo-progressive.jpg");
    let host = app.address.trim_start_matches("https://").to_owned();
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
    let text = reply.to_string();
    let uri = text
        .split('"')
        .find(|part| part.starts_with("imgate/") && part.ends_with(".jpg"))
        .unwrap_or_else(|| panic!("no stored ImageUri in {reply}"))
        .to_owned();
    let record = app
        .catalog
        .find_object(&uri)
        .await
        .expect("catalog")
        .expect("the object is recorded");
    assert_eq!((record.width, record.height), (Some(640), Some(480)));
    let stored = app.backends().await.objects;
    let key = imgate::storage::ObjectKey::parse(&uri).expect("key");
    let bytes = imgate::storage::read_all(stored.as_ref(), &key)
        .await
        .expect("stored bytes");
    assert_eq!(bytes.len() as i64, record.size);

    let url = format!("{}/{uri}", app.public_base);
    // Off the test's thread: the server's catalog connections may be driven by it.
    let fetch_url = url.clone();
    let served = tokio::task::spawn_blocking(move || {
        run(Command::new("curl")
            .args([
                "--silent",
                "--show-error",
                "--output",
                "/dev/null",
                "--write-out",
                "%{http_code} %{size_download}",
                "--cacert",
            ])
            .arg(&ca_for_curl)
            .arg(&fetch_url))
    })
    .await
    .expect("joined");
    assert_eq!(served, format!("200 {}", record.size), "{url} over https");
}
