//! The upload host (API.md 4.2): `POST|PUT /api/common/upload/{StoreUri}` for a direct
//! upload, a chunked init (`?uploads`), a part (`?partNumber=N&uploadID=`), a complete
//! (`?uploadID=` with the part list), and `GET ?uploadID=` to resume. Bodies stream to the
//! staging store; nothing becomes an object before the commit.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::caller::header;
use super::reply::{HostError, host_ok};
use crate::auth::{AuthError, Sealer};
use crate::catalog::{UploadRecord, UploadSession};
use crate::clock::unix_now;
use crate::error::ApiError;
use crate::http::body::read_limited;
use crate::http::identity::credential_of;
use crate::random::random_hex;
use crate::state::AppState;
use crate::storage::ObjectKey;

mod parts;

#[derive(Debug, Default, Deserialize)]
struct HostQuery {
    uploads: Option<String>,
    #[serde(rename = "partNumber")]
    part_number: Option<String>,
    #[serde(rename = "uploadID")]
    upload_id: Option<String>,
}

/// What each step works on: the upload, and the application.
struct Target<'a> {
    upload: UploadRecord,
    state: &'a AppState,
}

pub async fn upload_host(
    req: HttpRequest,
    tail: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HostError> {
    let store_uri = percent_decode(&tail);
    ObjectKey::parse(&store_uri)
        .map_err(|e| ApiError::BadRequest(format!("StoreUri: {}", e.why)))?;
    let upload = state
        .catalog
        .find_upload(&store_uri)
        .await?
        .ok_or(ApiError::NotFound)?;
    let session = state
        .catalog
        .find_upload_session(&upload.session_key)
        .await?
        .ok_or(ApiError::NotFound)?;
    authorize(&req, &store_uri, &session, &state).await?;
    if session.expires_at <= unix_now() {
        return Err(
            ApiError::BadRequest("the upload session has expired; apply again".into()).into(),
        );
    }
    if upload.state == "committed" || upload.state == "committing" {
        return Err(ApiError::BadRequest(format!("`{store_uri}` is already committed")).into());
    }
    let query = web::Query::<HostQuery>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    let target = Target {
        upload,
        state: &state,
    };
    let is_get = req.method() == actix_web::http::Method::GET;
    match (&query.upload_id, &query.part_number) {
        _ if query.uploads.is_some() => init(target).await,
        (Some(id), _) if is_get => parts::resume(target, id).await,
        _ if is_get => {
            Err(ApiError::BadRequest("GET needs ?uploadID= to list received parts".into()).into())
        }
        (Some(id), Some(number)) => parts::part(target, &req, id, number, payload).await,
        (Some(id), None) if *id == target.upload.upload_id => direct(target, &req, payload).await,
        (Some(id), None) => parts::complete(target, &req, id, payload).await,
        (None, Some(_)) => Err(ApiError::BadRequest("partNumber needs uploadID".into()).into()),
        (None, None) => direct(target, &req, payload).await,
    }
}

/// The object's own upload token, or a credential of the session's owner.
async fn authorize(
    req: &HttpRequest,
    uri: &str,
    session: &UploadSession,
    state: &AppState,
) -> Result<(), ApiError> {
    let raw = header(req, "authorization")
        .map(str::trim)
        .unwrap_or_default();
    if Sealer::is_upload_token(raw) {
        return Ok(state
            .auth
            .sealer()
            .check_upload_token(raw, uri, unix_now())?);
    }
    let credential = credential_of(req).ok_or(AuthError::Missing)?;
    let principal = state.auth.authenticate(&credential).await?;
    principal
        .may_use_session(&session.owner, session.biz_type)
        .map_err(|_| ApiError::Forbidden(format!("this credential may not upload to `{uri}`")))
}

/// `Content-CRC32`: 8 hex digits, or `Ignore`; `None` when absent or ignored.
fn expected_crc(req: &HttpRequest) -> Result<Option<u32>, ApiError> {
    match header(req, "content-crc32").map(str::trim) {
        None => Ok(None),
        Some(value) if value.eq_ignore_ascii_case("ignore") => Ok(None),
        Some(value) => parse_crc(value).map(Some),
    }
}

fn parse_crc(value: &str) -> Result<u32, ApiError> {
    u32::from_str_radix(value, 16)
        .ok()
        .filter(|_| !value.is_empty() && value.len() <= 8)
        .ok_or_else(|| ApiError::BadRequest(format!("`{value}` is not a CRC32 (8 hex digits)")))
}

fn hex_crc(crc: u32) -> String {
    format!("{crc:08x}")
}

/// Refuses from `Content-Length` alone what is certainly over `limit`.
fn check_length(req: &HttpRequest, limit: u64, limit_name: &str) -> Result<(), ApiError> {
    let declared = header(req, "content-length").and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(length) if length > limit => Err(ApiError::TooLarge(format!(
            "the body ({length} bytes) is over the {limit_name} of {limit} bytes"
        ))),
        _ => Ok(()),
    }
}

async fn direct(
    target: Target<'_>,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, HostError> {
    let upload = &target.upload;
    let limit = target.state.settings.imagex.max_file_bytes;
    check_length(req, limit, "upload limit")?;
    let crc = expected_crc(req)?;
    let staged = target
        .state
        .staging
        .write(
            &upload.upload_id,
            None,
            payload,
            (limit, "upload limit"),
            crc,
        )
        .await?;
    if upload.chunked_id.is_some() {
        // A client that began a chunked upload may still send the file whole.
        target.state.catalog.drop_chunked(&upload.store_uri).await?;
        target.state.staging.remove_parts(&upload.upload_id).await?;
    }
    target
        .state
        .catalog
        .mark_uploaded(
            &upload.store_uri,
            staged.size as i64,
            &hex_crc(staged.crc32),
        )
        .await?;
    Ok(host_ok(
        json!({"hash": hex_crc(staged.crc32), "key": upload.store_uri}),
    ))
}

async fn init(target: Target<'_>) -> Result<HttpResponse, HostError> {
    let upload = &target.upload;
    if let Some(existing) = &upload.chunked_id {
        return Ok(host_ok(json!({"uploadID": existing})));
    }
    let id = random_hex(16);
    if !target
        .state
        .catalog
        .start_chunked(&upload.store_uri, &id)
        .await?
    {
        return Err(
            ApiError::BadRequest("this upload cannot start a chunked upload now".into()).into(),
        );
    }
    Ok(host_ok(json!({"uploadID": id})))
}

/// Decodes `%XX` escapes (a StoreUri may arrive percent-encoded after its first segment).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(value)) => {
                out.push(value);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads a small body (the complete list).
async fn small_body(req: &HttpRequest, payload: web::Payload) -> Result<String, ApiError> {
    const LIMIT: usize = 1024 * 1024;
    let body = read_limited(req, payload, LIMIT, |_| {
        ApiError::TooLarge(format!("the part list is over {LIMIT} bytes"))
    })
    .await?;
    String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::BadRequest("the part list is not text".into()))
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn store_uris_are_percent_decoded() {
        assert_eq!(percent_decode("svc%2Fabc.jpg"), "svc/abc.jpg");
        assert_eq!(percent_decode("svc/a%2e%2e"), "svc/a..");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
