//! Method 1: `POST /api/bot/upload_file`, a file as Base64 inside JSON.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::body::{parse_json, read_limited};
use super::identity::Caller;
use crate::auth::Scope;
use crate::biz::BizType;
use crate::error::ApiError;
use crate::http::stored::upload_reply;
use crate::ingest::{Declared, IngestError, LARGE_FILE_HINT, NewObject, Source};
use crate::media::FileType;
use crate::state::AppState;

/// The JSON body of the Base64 method.
#[derive(Debug, Deserialize)]
pub struct UploadRequest {
    pub file_head: FileHead,
    pub data: String,
}

#[derive(Debug, Deserialize)]
pub struct FileHead {
    pub file_type: String,
    #[serde(deserialize_with = "integer_or_numeric_string")]
    pub biz_type: i64,
}

/// Parses the body as the handler does (its envelope only: nothing is decoded or checked).
pub fn parse_request(body: &[u8]) -> Result<UploadRequest, ApiError> {
    parse_json(body)
}

/// `1` or `"1"`: some clients quote numbers.
fn integer_or_numeric_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(i64),
        Text(String),
    }
    let fail = || serde::de::Error::custom("biz_type must be an integer from 0 to 10");
    match Raw::deserialize(d).map_err(|_| fail())? {
        Raw::Number(n) => Ok(n),
        Raw::Text(text) => text.trim().parse().map_err(|_| fail()),
    }
}

/// JSON bytes that can carry `decoded_limit` bytes of Base64: 4/3 of it, line breaks every
/// 76 characters, and 64 KiB for the rest of the document and a `data:` prefix.
pub fn json_limit(decoded_limit: u64) -> usize {
    let encoded = decoded_limit.div_ceil(3) * 4;
    usize::try_from(encoded + encoded / 38 + 64 * 1024).unwrap_or(usize::MAX)
}

pub async fn upload_file(
    req: HttpRequest,
    caller: Caller,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.0.require(Scope::Upload)?;
    let limit = state.settings.uploads.base64_max_bytes;
    let json_limit = json_limit(limit);
    let body = read_limited(&req, payload, json_limit, |size| {
        let size = size.map_or_else(|| "more than that".to_owned(), |n| format!("{n} bytes"));
        ApiError::TooLarge(format!(
            "the request body ({size}) is over the Base64 upload limit of {limit} bytes decoded \
             ({json_limit} bytes of JSON){LARGE_FILE_HINT}"
        ))
    })
    .await?;
    let request = parse_request(&body)?;
    drop(body);
    let head = request.file_head;
    let biz =
        BizType::from_code(head.biz_type).ok_or(IngestError::UnknownBizType(head.biz_type))?;
    caller.0.may_upload_to(biz)?;
    let declared = FileType::from_extension(&head.file_type)
        .ok_or_else(|| IngestError::UnknownFileType(head.file_type.clone()))?;
    let records = state
        .ingest
        .store(NewObject {
            biz,
            owner: caller.0.owner(),
            declared: Declared::Type(declared),
            stem: None,
            origin: None,
            source: Source::Base64 {
                data: request.data,
                limit,
            },
        })
        .await?;
    upload_reply(&state, &records)
}
