//! A template URL: served from storage when the variant exists (`X-Imgate-Cache: hit`),
//! otherwise made once from the original under a per-key lock (`miss`) while concurrent
//! requests for it wait, answered, and stored after under its deterministic key (see
//! `ingest::Deferred`): a variant can always be made again, so its first request does not
//! wait for the store.

use std::time::Instant;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};

use super::object::respond;
use super::{cache_of, find};
use crate::catalog::ObjectRecord;
use crate::cdn::{AutoFormat, FormatChoice, Hot, VariantRequest, negotiate};
use crate::error::ApiError;
use crate::ingest::VariantSpec;
use crate::media::FileType;
use crate::metrics::{self, CdnCache};
use crate::state::AppState;

const CACHE_HEADER: HeaderName = HeaderName::from_static("x-imgate-cache");

/// The header of a variant answered from what was already made.
pub const HIT: (HeaderName, HeaderValue) = (CACHE_HEADER, HeaderValue::from_static("hit"));

pub async fn serve(
    req: &HttpRequest,
    variant: VariantRequest,
    state: &AppState,
    cache_control: &HeaderValue,
) -> Result<HttpResponse, ApiError> {
    let base = find(state, &variant.base)
        .await?
        .ok_or(ApiError::NotFound)?
        .record;
    if base.kind != "image" || base.parent.is_some() {
        return Err(ApiError::BadRequest(format!(
            "`{}` is not an original image; template URLs make variants of images",
            base.uri
        )));
    }
    let (format, negotiated) = output_format(req, &variant, &base, state)?;
    let key = variant.key(&state.settings.imagex.service_id, format);
    let (hot, cache) = match find(state, &key).await? {
        Some(hot) => (hot, "hit"),
        None => {
            let lock = state.flights.lock_for(&key);
            let _made_once = lock.lock().await;
            match find(state, &key).await? {
                Some(hot) => (hot, "hit"),
                None => (make(state, &base, &variant, &key, format).await?, "miss"),
            }
        }
    };
    metrics::get().cdn.answered(match cache {
        "miss" => CdnCache::VariantMade,
        _ => cache_of(&hot),
    });
    respond(req, &hot, state, cache_control, |response| {
        response.insert_header((CACHE_HEADER, HeaderValue::from_static(cache)));
        if negotiated {
            response.insert_header((header::VARY, HeaderValue::from_static("Accept")));
        }
    })
    .await
}

/// The format to answer in, and whether it was negotiated from `Accept`. AVIF is only made
/// up to `cdn.avif_max_pixels`: beyond, `.avif` is refused and `.auto` takes its next format.
fn output_format(
    req: &HttpRequest,
    variant: &VariantRequest,
    base: &ObjectRecord,
    state: &AppState,
) -> Result<(FileType, bool), ApiError> {
    let most_pixels = variant.operation.most_pixels(base.dimensions());
    let avif_limit = state.settings.cdn.avif_max_pixels;
    let stored = FileType::from_mime(&base.content_type).unwrap_or(FileType::Png);
    Ok(match variant.format {
        FormatChoice::Exactly(FileType::Avif) if most_pixels > avif_limit => {
            return Err(ApiError::BadRequest(format!(
                "template URL: an AVIF variant may have at most {avif_limit} pixels \
                 (cdn.avif_max_pixels), and this one could have {most_pixels}; ask for a \
                 smaller size, or for webp"
            )));
        }
        FormatChoice::Exactly(format) => (format, false),
        FormatChoice::Stored => (encodable(stored), false),
        FormatChoice::Negotiated => {
            let accept = req.headers().get(header::ACCEPT);
            let affordable = (state.settings.cdn.auto_formats.iter().copied())
                .filter(|f| *f != AutoFormat::Avif || most_pixels <= avif_limit);
            let chosen = negotiate(accept.and_then(|v| v.to_str().ok()), affordable);
            (chosen.unwrap_or_else(|| encodable(stored)), true)
        }
    })
}

/// GIF variants are written as PNG.
fn encodable(stored: FileType) -> FileType {
    if stored == FileType::Gif {
        FileType::Png
    } else {
        stored
    }
}

async fn make(
    state: &AppState,
    base: &ObjectRecord,
    variant: &VariantRequest,
    key: &str,
    format: FileType,
) -> Result<Hot, ApiError> {
    let spec = VariantSpec {
        operation: variant.operation,
        format,
        quality: state.settings.cdn.variant_quality,
    };
    let start = Instant::now();
    let made = state.ingest.make_variant(base, key, spec).await?;
    metrics::get()
        .cdn
        .rendered_in(metrics::seconds_since(start));
    let hot = Hot::new(made.record.clone(), Some(made.body.clone()));
    state.hot.keep(hot.clone());
    let ingest = state.ingest.clone();
    state.deferred.spawn(
        "a variant was answered but not stored; it is made again when next asked for",
        async move { ingest.store_variant(made).await.map(drop) },
    );
    Ok(hot)
}
