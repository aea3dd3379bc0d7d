//! The reference document's method-2 upload: `PUT {upload_host}/{upload_path_prefix}/{name}`
//! with `Authorization: Bearer {session_token}` and the raw bytes, answered like method 1.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::auth::Scope;
use crate::biz::BizType;
use crate::error::ApiError;
use crate::http::body::read_limited;
use crate::http::bot_upload::upload_reply;
use crate::http::identity::Caller;
use crate::ingest;
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
    let bytes = Vec::from(body);
    let declared = ingest::declared_type(&name, &bytes)?;
    let prepared = state.prepare(biz, declared, bytes).await?;
    let stem = ingest::new_stem(biz.name());
    let records = ingest::store_object(
        state.storage.as_ref(),
        &state.catalog,
        &stem,
        biz,
        &caller.0.owner(),
        prepared,
    )
    .await?;
    upload_reply(&state, &records)
}

fn over_limit(length: Option<u64>, limit: u64) -> ApiError {
    let size = length.map_or_else(String::new, |n| format!(" ({n} bytes)"));
    ApiError::TooLarge(format!(
        "the body{size} is over the upload limit of {limit} bytes (imagex.max_file_bytes)"
    ))
}
