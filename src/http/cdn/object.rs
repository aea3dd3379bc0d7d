//! Answers a GET or HEAD for a stored object (an original or a variant) with validators,
//! ranges and caching headers, like a CDN origin.

use std::time::{Duration, UNIX_EPOCH};

use actix_web::body::SizedStream;
use actix_web::http::header::{self, HeaderValue, HttpDate};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use futures_util::stream;

use crate::catalog::ObjectRecord;
use crate::cdn::Hot;
use crate::cdn::{RangeRequest, none_match, parse_range};
use crate::error::ApiError;
use crate::metrics;
use crate::state::AppState;
use crate::storage::{ByteRange, ObjectKey, ResponseHeaders, ServeMode, StorageError, read_all};

/// Objects up to this size are read whole and kept in the hot cache once served.
const KEEP_IN_MEMORY: u64 = 256 * 1024;

/// Serves an object, from memory when its bytes are there; `extra` adds headers of the
/// caller's (cache status, `Vary`).
pub async fn respond(
    req: &HttpRequest,
    hot: &Hot,
    state: &AppState,
    cache_control: &HeaderValue,
    extra: impl FnOnce(&mut HttpResponseBuilder),
) -> Result<HttpResponse, ApiError> {
    let record: &ObjectRecord = &hot.record;
    let etag = hot.etag.to_str().unwrap_or_default();
    let mut response = HttpResponse::Ok();
    common_headers(&mut response, hot, cache_control);
    extra(&mut response);
    if not_modified(req, etag, record.created_at) {
        return Ok(response.status(StatusCode::NOT_MODIFIED).finish());
    }
    // The store answers ranges itself; the URL expires, so the redirect is not cached.
    if req.method() != Method::HEAD
        && let Some(location) = presigned(req, state, hot, cache_control).await?
    {
        return Ok(response
            .status(StatusCode::TEMPORARY_REDIRECT)
            .insert_header((header::LOCATION, location))
            .insert_header((header::CACHE_CONTROL, "private, no-cache"))
            .finish());
    }
    let size = u64::try_from(record.size).unwrap_or(0);
    let Some(range) = select_range(req, etag, size, &mut response) else {
        return Ok(response
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .insert_header((header::CONTENT_RANGE, format!("bytes */{size}")))
            .finish());
    };
    if req.method() == Method::HEAD {
        let length = range.map_or(size, ByteRange::length);
        let empty = stream::empty::<Result<_, StorageError>>();
        return Ok(response.body(SizedStream::new(length, empty)));
    }
    send(response, hot, state, range).await
}

/// The part of the object to send: `Some(None)` for all of it, `Some(range)` for a
/// satisfiable `Range` (the status and `Content-Range` are set), `None` when unsatisfiable.
fn select_range(
    req: &HttpRequest,
    etag: &str,
    size: u64,
    response: &mut HttpResponseBuilder,
) -> Option<Option<ByteRange>> {
    let range = match header_str(req, header::IF_RANGE) {
        Some(validator) if validator.trim() != etag => RangeRequest::Whole,
        _ => parse_range(header_str(req, header::RANGE), size),
    };
    match range {
        RangeRequest::Whole => Some(None),
        RangeRequest::Partial(r) => {
            response.status(StatusCode::PARTIAL_CONTENT).insert_header((
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{size}", r.start, r.end),
            ));
            Some(Some(r))
        }
        RangeRequest::Unsatisfiable => None,
    }
}

/// The body: from memory, or read whole and kept when small, or streamed from the store.
async fn send(
    mut response: HttpResponseBuilder,
    hot: &Hot,
    state: &AppState,
    range: Option<ByteRange>,
) -> Result<HttpResponse, ApiError> {
    let record = &hot.record;
    let size = u64::try_from(record.size).unwrap_or(0);
    metrics::get()
        .cdn
        .served(range.map_or(size, ByteRange::length));
    if let Some(bytes) = hot.body.as_ref().filter(|b| b.len() as u64 == size) {
        let part = range.map_or_else(
            || bytes.clone(),
            |r| bytes.slice(r.start as usize..=r.end as usize),
        );
        return Ok(response.body(part));
    }
    let missing = |e: StorageError| {
        if matches!(e, StorageError::NotFound(_)) {
            tracing::warn!(uri = %record.uri, "catalogued object is missing from storage");
        }
        ApiError::from(e)
    };
    let key = ObjectKey::parse(&record.uri).map_err(|_| ApiError::NotFound)?;
    if range.is_none() && size <= KEEP_IN_MEMORY {
        let bytes = read_all(state.storage.as_ref(), &key)
            .await
            .map_err(missing)?;
        state
            .hot
            .put(ObjectRecord::clone(record), Some(bytes.clone()));
        return Ok(response.body(bytes));
    }
    let length = range.map_or(size, ByteRange::length);
    let read = state.storage.get(&key, range).await.map_err(missing)?;
    Ok(response.body(SizedStream::new(length, read.body)))
}

/// In `redirect` mode, a presigned URL of the store for the object, answering with the
/// headers imgate would, and expiring no later than the signed URL it was asked by.
async fn presigned(
    req: &HttpRequest,
    state: &AppState,
    hot: &Hot,
    cache_control: &HeaderValue,
) -> Result<Option<String>, ApiError> {
    // Backends that cannot presign (local disk) answer `None`: the object is proxied.
    let s3 = &state.settings.storage.s3;
    if s3.serve != ServeMode::Redirect {
        return Ok(None);
    }
    let record = &hot.record;
    let key = ObjectKey::parse(&record.uri).map_err(|_| ApiError::NotFound)?;
    let mut ttl = s3.presign_ttl.as_secs();
    if let Some(expires) = super::signed_expiry(req) {
        let left = expires.saturating_sub(crate::catalog::unix_now());
        ttl = ttl.min(u64::try_from(left).unwrap_or(0)).max(1);
    }
    let headers = ResponseHeaders {
        content_type: record.content_type.clone(),
        content_disposition: attachment(record),
        cache_control: cache_control.to_str().ok().map(str::to_owned),
    };
    Ok(state
        .storage
        .presigned_get(&key, Duration::from_secs(ttl), &headers)
        .await?)
}

/// `Content-Disposition` of documents and archives, which are downloaded, not shown.
fn attachment(record: &ObjectRecord) -> Option<String> {
    (record.kind != "image").then(|| {
        let name = record.uri.rsplit('/').next().unwrap_or("download");
        format!("attachment; filename=\"{name}\"")
    })
}

fn common_headers(response: &mut HttpResponseBuilder, hot: &Hot, cache_control: &HeaderValue) {
    let record = &hot.record;
    response
        .insert_header((header::CONTENT_TYPE, hot.content_type.clone()))
        .insert_header((header::ETAG, hot.etag.clone()))
        .insert_header((header::LAST_MODIFIED, hot.last_modified.clone()))
        .insert_header((header::CACHE_CONTROL, cache_control.clone()))
        .insert_header((header::ACCEPT_RANGES, HeaderValue::from_static("bytes")))
        .insert_header((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ));
    if let Some(disposition) = attachment(record) {
        response.insert_header((header::CONTENT_DISPOSITION, disposition));
    }
}

/// `If-None-Match` decides when present; otherwise `If-Modified-Since`.
fn not_modified(req: &HttpRequest, etag: &str, created_at: i64) -> bool {
    if let Some(tags) = header_str(req, header::IF_NONE_MATCH) {
        return none_match(tags, etag);
    }
    header_str(req, header::IF_MODIFIED_SINCE)
        .and_then(|text| text.parse::<HttpDate>().ok())
        .and_then(|date| {
            std::time::SystemTime::from(date)
                .duration_since(UNIX_EPOCH)
                .ok()
        })
        .is_some_and(|since| created_at <= i64::try_from(since.as_secs()).unwrap_or(i64::MAX))
}

fn header_str(req: &HttpRequest, name: header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}
