//! `GET|HEAD {path_prefix}/{uri}`: stored objects, and variants made from template URLs
//! (`{uri}~tplv-{service}-{template}.{format}`), signed in private deployments.

mod object;
mod variant;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::catalog::unix_now;
use crate::cdn::{Hot, parse_template};
use crate::error::ApiError;
use crate::metrics::{self, CdnCache};
use crate::state::AppState;
use crate::storage::ObjectKey;

/// Cache lifetime of public objects: their URIs are never reused for other bytes.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

#[derive(Debug, Deserialize)]
struct Signature {
    #[serde(rename = "x-expires")]
    expires: Option<String>,
    #[serde(rename = "x-signature")]
    signature: Option<String>,
}

pub async fn serve(
    req: HttpRequest,
    uri: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let uri = uri.into_inner();
    ObjectKey::parse(&uri).map_err(|_| ApiError::NotFound)?;
    let cache_control = authorize(&req, &uri, &state)?;
    let rules = state.template_rules();
    if let Some(variant) = parse_template(&uri, &rules) {
        let variant =
            variant.map_err(|why| ApiError::BadRequest(format!("template URL: {why}")))?;
        return variant::serve(&req, variant, &state, &cache_control).await;
    }
    let hot = find(&state, &uri).await?.ok_or(ApiError::NotFound)?;
    metrics::get().cdn.answered(cache_of(&hot));
    object::respond(&req, &hot, &state, &cache_control, |_| {}).await
}

/// An object's record, from the hot cache or else the catalog (and then kept).
async fn find(state: &AppState, uri: &str) -> Result<Option<Hot>, ApiError> {
    if let Some(hot) = state.hot.get(uri) {
        return Ok(Some(hot));
    }
    let Some(record) = state.catalog.find_object(uri).await? else {
        return Ok(None);
    };
    state.hot.put(record.clone(), None);
    Ok(Some(Hot::new(record, None)))
}

/// Where a found object's bytes come from: memory when the hot cache has them.
fn cache_of(hot: &Hot) -> CdnCache {
    if hot.body.is_some() {
        CdnCache::MemoryHit
    } else {
        CdnCache::StoreHit
    }
}

fn signature_of(req: &HttpRequest) -> Signature {
    web::Query::<Signature>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or(Signature {
            expires: None,
            signature: None,
        })
}

/// The `x-expires` of a signed URL (checked by `authorize` before anything is served).
fn signed_expiry(req: &HttpRequest) -> Option<i64> {
    signature_of(req).expires?.parse().ok()
}

/// Checks the URL signature in private deployments; answers the `Cache-Control` to use.
fn authorize(req: &HttpRequest, uri: &str, state: &AppState) -> Result<String, ApiError> {
    let Some(signer) = state.urls.signer() else {
        return Ok(IMMUTABLE.to_owned());
    };
    let query = signature_of(req);
    let now = unix_now();
    signer
        .verify(
            uri,
            query.expires.as_deref(),
            query.signature.as_deref(),
            now,
        )
        .map_err(|e| ApiError::Forbidden(e.to_string()))?;
    let expires: i64 = query
        .expires
        .as_deref()
        .and_then(|e| e.parse().ok())
        .unwrap_or(now);
    Ok(format!("private, max-age={}", (expires - now).max(0)))
}
