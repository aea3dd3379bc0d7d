//! `IMGATE_LOG_FORMAT=json`: every line the real server logs is a JSON object; each
//! request has one line with its id, route family, status, latency, bytes and caller;
//! refusals carry the request id; the API key used never appears.

use serde_json::Value;

use crate::helpers::fixture;
use crate::ops_client::Deployment;

/// The log's lines, each parsed as JSON.
fn json_lines(log: &str) -> Vec<Value> {
    log.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

fn request_line<'a>(lines: &'a [Value], request_id: &str) -> &'a Value {
    let mut found = lines
        .iter()
        .filter(|l| l["message"] == "request" && l["request_id"] == request_id);
    let line = found
        .next()
        .unwrap_or_else(|| panic!("no request line for {request_id}"));
    assert!(found.next().is_none(), "one line per request");
    line
}

#[tokio::test]
async fn json_logs_say_what_each_request_was_and_never_the_key() {
    let deployment = Deployment::new();
    let (mut server, base) = deployment.serve(&[("IMGATE_LOG_FORMAT", "json")]).await;
    let png = fixture("files/sample.png");
    let (status, stored_id, _) = deployment.upload_base64(&base, "png", &png).await;
    assert_eq!(status, 200);
    let (status, refused_id, _) = deployment.upload_base64(&base, "zip", &png).await;
    assert_eq!(status, 415);
    // The key with its last character changed (to another one, or it would still be valid).
    let (head, last) = deployment.key.split_at(deployment.key.len() - 1);
    let wrong = format!("{head}{}", if last == "0" { "1" } else { "0" });
    let denied = deployment
        .client
        .post(format!("{base}/api/bot/upload_file"))
        .bearer_auth(&wrong)
        .body("{}")
        .send()
        .await
        .expect("send");
    assert_eq!(denied.status(), 401);
    server.terminate();
    let exit = server.exit_status(std::time::Duration::from_secs(30)).await;
    assert!(exit.success());

    let log = server.log();
    let lines = json_lines(&log);
    let stored = request_line(&lines, &stored_id);
    assert_eq!(stored["route"], "bot_upload");
    assert_eq!(stored["method"], "POST");
    assert_eq!(stored["path"], "/api/bot/upload_file");
    assert_eq!(stored["status"], 200);
    assert!(
        stored["latency_ms"].as_f64().is_some_and(|ms| ms > 0.0),
        "{stored}"
    );
    assert!(
        stored["bytes_in"]
            .as_u64()
            .is_some_and(|n| n > png.len() as u64),
        "{stored}"
    );
    assert!(
        stored["bytes_out"].as_u64().is_some_and(|n| n > 0),
        "{stored}"
    );
    let principal = stored["principal"].as_str().expect("principal");
    assert!(principal.starts_with("key:"), "{stored}");
    assert!(
        stored["timestamp"].is_string() && stored["level"] == "INFO",
        "{stored}"
    );
    let refused = request_line(&lines, &refused_id);
    assert_eq!(refused["status"], 415);
    assert!(
        lines.iter().any(|l| l["message"] == "request refused"
            && l["request_id"] == refused_id.as_str()
            && l["code"] == 50001),
        "the refusal is logged with its request id:\n{log}"
    );
    for secret in [
        deployment.key.as_str(),
        wrong.as_str(),
        &deployment.key[4..20],
    ] {
        assert!(!log.contains(secret), "the log names a key");
    }
}
