//! Method 1: `POST /api/bot/upload_file`, a file as Base64 inside JSON.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::body::{parse_json, read_limited};
use super::identity::Caller;
use crate::auth::Scope;
use crate::catalog::ObjectRecord;
use crate::error::ApiError;
use crate::ingest::{self, BizType, FileType, IngestError, LARGE_FILE_HINT};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
struct UploadRequest {
    file_head: FileHead,
    data: String,
}

#[derive(Debug, Deserialize)]
struct FileHead {
    file_type: String,
    #[serde(deserialize_with = "integer_or_numeric_string")]
    biz_type: i64,
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
    caller.require(Scope::Upload)?;
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
    let request: UploadRequest = parse_json(&body)?;
    drop(body);
    let head = request.file_head;
    let biz =
        BizType::from_code(head.biz_type).ok_or(IngestError::UnknownBizType(head.biz_type))?;
    caller.require_biz_type(biz)?;
    let declared = FileType::from_extension(&head.file_type)
        .ok_or_else(|| IngestError::UnknownFileType(head.file_type.clone()))?;
    let data = request.data;
    let settings = state.settings.clone();
    let cost = crate::pipeline::JobCost::estimate_base64(&data);
    let prepared = state
        .pool
        .run_costed(cost, move || {
            let bytes = ingest::decode_base64(&data, limit)?;
            drop(data);
            ingest::prepare(biz, declared, bytes, &settings.pipeline)
        })
        .await
        .map_err(IngestError::from)??;
    let records = ingest::store_object(
        state.storage.as_ref(),
        &state.catalog,
        &ingest::new_stem(biz.name()),
        biz,
        &caller.0.owner(),
        prepared,
    )
    .await?;
    upload_reply(&state, &records)
}

/// Method 1's answer (also the PUT flow's): the original's URL and URI, what it is, and its
/// variants.
pub fn upload_reply(state: &AppState, records: &[ObjectRecord]) -> Result<HttpResponse, ApiError> {
    let (record, variants) = records
        .split_first()
        .ok_or_else(|| ApiError::internal("nothing stored"))?;
    tracing::info!(uri = %record.uri, size = record.size, owner = %record.owner, "stored upload");
    let mut data = describe(state, record);
    data["upload_url"] = json!(state.urls.url_for(&record.uri));
    data["upload_uri"] = json!(record.uri);
    data["variants"] = variants.iter().map(|v| describe(state, v)).collect();
    Ok(HttpResponse::Ok().json(json!({"code": 0, "msg": "success", "data": data})))
}

/// What the reply says of one stored file.
fn describe(state: &AppState, record: &ObjectRecord) -> serde_json::Value {
    let format = FileType::from_mime(&record.content_type).map_or("", FileType::extension);
    let mut out = json!({
        "uri": record.uri,
        "url": state.urls.url_for(&record.uri),
        "format": format,
        "content_type": record.content_type,
        "size": record.size,
        "md5": record.md5,
    });
    if let (Some(width), Some(height)) = (record.width, record.height) {
        out["width"] = json!(width);
        out["height"] = json!(height);
        out["frames"] = json!(record.frames.unwrap_or(1));
    }
    out
}
