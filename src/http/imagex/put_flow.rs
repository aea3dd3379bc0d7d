//! The reference document's method-2 upload: `PUT {upload_host}/{upload_path_prefix}/{name}`
//! with `Authorization: Bearer {session_token}` and the raw bytes, answered like method 1.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::auth::Scope;
use crate::biz::BizType;
use crate::error::ApiError;
use crate::http::body::read_limited;
use crate::http::identity::Caller;
use crate::http::stored::upload_reply;
use crate::ingest::{Declared, NewObject, Source};
use crate::state::AppState;

pub async fn put_file(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    caller: Caller,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.0.require(Scope::Upload)?;
    let (prefix, name) = path.into_inner();
    let biz = BizType::from_path_prefix(&prefix)
        .ok_or_else(|| ApiError::BadRequest(format!("`{prefix}` is not an upload_path_prefix")))?;
    caller.0.may_upload_to(biz)?;
    let limit = state.settings.imagex.max_file_bytes;
    // The pipeline works on the whole file in memory, so the body is read straight there.
    let max = usize::try_from(limit).unwrap_or(usize::MAX);
    let body = read_limited(&req, payload, max, |length| over_limit(length, limit)).await?;
    let records = state
        .ingest
        .store(NewObject {
            biz,
            owner: caller.0.owner(),
            declared: Declared::Name(name),
            stem: None,
            origin: None,
            source: Source::Bytes(Vec::from(body)),
        })
        .await?;
    upload_reply(&state, &records)
}

fn over_limit(length: Option<u64>, limit: u64) -> ApiError {
    let size = length.map_or_else(String::new, |n| format!(" ({n} bytes)"));
    ApiError::TooLarge(format!(
        "the body{size} is over the upload limit of {limit} bytes (imagex.max_file_bytes)"
    ))
}
