//! Sending one request and reading its answer: the JSON body of a success, or a
//! [`ClientError`] with the status, the server's own message, whether trying again may
//! help, and how long the server asked the client to wait.

use std::time::Duration;

use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::Value;

use super::ClientError;

/// A string field of an answer.
pub fn text(value: &Value) -> Result<String, ClientError> {
    value.as_str().map(str::to_owned).ok_or_else(|| {
        ClientError::fatal(format!("the server's answer lacks a field (got {value})"))
    })
}

/// Sends, and turns every failure into one line that says what happened.
pub async fn send(request: RequestBuilder, server: &str) -> Result<Value, ClientError> {
    let response = request.send().await.map_err(|e| network(e, server))?;
    let status = response.status();
    let wait = retry_after(&response);
    let body = read_json(response).await;
    if status.is_success() {
        return body.map_err(|e| network(e, server));
    }
    let message = body
        .ok()
        .as_ref()
        .map_or_else(|| "no details".to_owned(), server_message);
    let line = format!(
        "{} {}: {message}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    let mut error = if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        ClientError::retryable(line)
    } else {
        ClientError::fatal(line)
    };
    error.status = Some(status.as_u16());
    if matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    ) {
        error.retry_after = wait;
    }
    Err(error)
}

/// `Retry-After` in seconds. (The HTTP-date form is not used by imgate; a client that
/// meets it falls back to its own backoff.)
fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    parse_retry_after(value.to_str().ok()?)
}

fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

async fn read_json(response: Response) -> Result<Value, reqwest::Error> {
    response.json().await
}

/// The message in any of imgate's error shapes.
fn server_message(body: &Value) -> String {
    [
        &body["msg"],
        &body["ResponseMetadata"]["Error"]["Message"],
        &body["error"]["message"],
    ]
    .iter()
    .find_map(|v| v.as_str().filter(|s| !s.is_empty()))
    .map_or_else(|| body.to_string(), str::to_owned)
}

fn network(error: reqwest::Error, server: &str) -> ClientError {
    // The innermost cause says it best ("Connection refused"), not "client error (Connect)".
    let mut cause: &dyn std::error::Error = &error;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    let cause = cause.to_string();
    if error.is_connect() {
        ClientError::retryable(format!("cannot reach the server at {server}: {cause}"))
    } else if error.is_timeout() {
        ClientError::retryable(format!("the server at {server} did not answer in time"))
    } else {
        ClientError::retryable(format!("the connection to {server} failed: {cause}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_whole_seconds() {
        assert_eq!(parse_retry_after("5"), Some(Duration::from_secs(5)));
        assert_eq!(parse_retry_after(" 120 "), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn every_error_shape_gives_its_message() {
        let coze = serde_json::json!({"code": 50002, "msg": "file too large: over 5 bytes"});
        assert_eq!(server_message(&coze), "file too large: over 5 bytes");
        let imagex = serde_json::json!({"ResponseMetadata": {"Error": {"Message": "denied"}}});
        assert_eq!(server_message(&imagex), "denied");
        let host = serde_json::json!({"success": 1, "error": {"message": "bad crc"}});
        assert_eq!(server_message(&host), "bad crc");
    }
}
