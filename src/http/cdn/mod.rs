//! `GET|HEAD {path_prefix}/{uri}`: stored objects, and variants made from template URLs
//! (`{uri}~tplv-{service}-{template}.{format}`), signed in private deployments.

mod object;
mod variant;

use std::borrow::Cow;

use actix_web::http::Method;
use actix_web::http::header::HeaderValue;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::catalog::unix_now;
use crate::cdn::{Hot, parse_template};
use crate::error::ApiError;
use crate::metrics::{self, CdnCache, RouteFamily};
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

/// The methods served under the CDN prefix; anything else is not found there.
pub const METHODS: [Method; 2] = [Method::GET, Method::HEAD];

/// Everything under `prefix`. A static prefix is matched by comparing strings, where a
/// `{uri:.+}` pattern would run a regular expression over every path: the object's URI
/// is the rest of the path.
pub fn scope(prefix: &str) -> actix_web::Scope {
    web::scope(prefix).default_service(web::to(serve))
}

/// The object URI of a request under the prefix, percent-decoded as a path parameter is.
fn uri_of(req: &HttpRequest) -> Option<Cow<'_, str>> {
    let rest = req.match_info().unprocessed().strip_prefix('/')?;
    if rest.is_empty() {
        return None;
    }
    percent_encoding::percent_decode_str(rest)
        .decode_utf8()
        .ok()
}

async fn serve(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    req.extensions_mut().insert(RouteFamily("cdn"));
    if !METHODS.contains(req.method()) {
        return Err(ApiError::NotFound);
    }
    let uri = uri_of(&req).ok_or(ApiError::NotFound)?.into_owned();
    ObjectKey::parse(&uri).map_err(|_| ApiError::NotFound)?;
    let cache_control = authorize(&req, &uri, &state)?;
    // A URI the hot cache holds is an object's or a variant's own key (variants are only
    // kept once their template URL was checked), so the template need not be read again.
    if let Some(hot) = state.hot.get(&uri) {
        metrics::get().cdn.answered(cache_of(&hot));
        let variant = hot.record.parent.is_some();
        return object::respond(&req, &hot, &state, &cache_control, |response| {
            if variant {
                response.insert_header(variant::HIT);
            }
        })
        .await;
    }
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
fn authorize(req: &HttpRequest, uri: &str, state: &AppState) -> Result<HeaderValue, ApiError> {
    let Some(signer) = state.urls.signer() else {
        return Ok(HeaderValue::from_static(IMMUTABLE));
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
    Ok(
        HeaderValue::try_from(format!("private, max-age={}", (expires - now).max(0)))
            .unwrap_or_else(|_| HeaderValue::from_static("private, no-cache")),
    )
}
