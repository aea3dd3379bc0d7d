//! How the Coze-style upload routes (method 1 and the reference document's PUT flow)
//! answer a stored upload: the original's URL and URI, what it is, and its variants.

use actix_web::HttpResponse;
use serde_json::{Value, json};

use crate::catalog::ObjectRecord;
use crate::error::ApiError;
use crate::media::FileType;
use crate::state::AppState;

/// `{"code": 0, "msg": "success", "data": {"upload_url", "upload_uri", ..., "variants"}}`.
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
fn describe(state: &AppState, record: &ObjectRecord) -> Value {
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
