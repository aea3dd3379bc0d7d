//! What a caller does with stored objects besides reading them: fresh URLs
//! (`POST /api/playground_api/get_imagex_url`, Coze Studio's route for refreshing signed
//! URLs) and deletion (`DELETE /api/common/upload/object/{uri}`).

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::body::read_json;
use super::identity::Caller;
use crate::cdn::parse_template;
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::ObjectKey;

/// Most URIs one refresh may name.
const MAX_URIS: usize = 1000;

#[derive(Debug, Deserialize)]
struct UrlRequest {
    uris: Vec<String>,
}

/// Fresh URLs for objects that exist and for valid template URLs of originals that exist
/// (anything else is left out of `url_info`).
pub async fn get_imagex_url(
    req: HttpRequest,
    caller: Caller,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.0.may_refresh_urls()?;
    let request: UrlRequest = read_json(&req, payload, 256 * 1024).await?;
    if request.uris.len() > MAX_URIS {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_URIS} uris per request"
        )));
    }
    let rules = state.template_rules();
    let mut url_info = BTreeMap::new();
    for uri in request.uris {
        let object = match parse_template(&uri, &rules) {
            Some(Ok(variant)) => variant.base,
            Some(Err(_)) => continue,
            None => uri.clone(),
        };
        let found = state.catalog.find_object(&object).await?;
        if found.is_some_and(|record| caller.0.may_read(&record.owner)) {
            url_info.insert(uri.clone(), json!({"url": state.urls.url_for(&uri)}));
        }
    }
    Ok(HttpResponse::Ok()
        .json(json!({"code": 0, "msg": "success", "data": {"url_info": url_info}})))
}

/// Deletes an original and every variant of it (`Ingest::delete`), and forgets them in
/// memory.
pub async fn delete_object(
    caller: Caller,
    uri: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let uri = uri.into_inner();
    let key = ObjectKey::parse(&uri).map_err(|_| ApiError::NotFound)?;
    let record = state
        .catalog
        .find_object(&uri)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Some(parent) = &record.parent {
        return Err(ApiError::BadRequest(format!(
            "`{uri}` is a variant; delete its original `{parent}`"
        )));
    }
    caller.0.may_delete(&record.owner)?;
    state.hot.forget_object(&uri);
    let deleted = state.ingest.delete(&key).await?.ok_or(ApiError::NotFound)?;
    // A request served between the file deletes and the records' may have cached it again.
    state.hot.forget_object(&uri);
    tracing::info!(%uri, files = deleted.len(), "deleted object");
    Ok(HttpResponse::Ok().json(json!({"code": 0, "msg": "success", "data": {"deleted": deleted}})))
}
