//! Reads request bodies with a byte limit that is enforced before the body arrives (from
//! `Content-Length`) and while it streams, so an oversize request is never buffered.

use actix_web::http::header;
use actix_web::{HttpRequest, web};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Reads the whole body, answering `too_large(size_if_known)` as soon as it is over `limit`.
pub async fn read_limited(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
    too_large: impl Fn(Option<u64>) -> ApiError,
) -> Result<Bytes, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(length) = declared
        && length > limit as u64
    {
        return Err(too_large(Some(length)));
    }
    let mut body = BytesMut::with_capacity(declared.map_or(8 * 1024, |n| n as usize));
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("reading the body failed: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(None));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Reads a small JSON body of at most `limit` bytes and parses it.
pub async fn read_json<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<T, ApiError> {
    let body = read_limited(req, payload, limit, |_| {
        ApiError::TooLarge(format!(
            "the request body is over the limit of {limit} bytes"
        ))
    })
    .await?;
    parse_json(&body)
}

/// Parses a JSON body, naming what is wrong in the contract's 40000 message.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            "the body is empty; expected JSON".into(),
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        let what = if e.is_data() {
            "invalid request"
        } else {
            "malformed JSON"
        };
        ApiError::BadRequest(format!("{what}: {e}"))
    })
}
