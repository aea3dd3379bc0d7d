//! The upload host (API.md 4.2): `POST|PUT /api/common/upload/{StoreUri}`. A request is
//! parsed into a [`Step`] (direct, chunked init, part, resume listing, complete), checked
//! against the object's upload token or the session owner's credential, and handed to the
//! upload session in `ingest`; bodies stream to staging.

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::caller::header;
use super::reply::{HostError, host_ok};
use crate::auth::{AuthError, Sealer};
use crate::clock::unix_now;
use crate::error::ApiError;
use crate::http::body::read_limited;
use crate::http::identity::credential_of;
use crate::ingest::session::{Body, Crc32, Upload};
use crate::state::AppState;
use crate::storage::ObjectKey;

/// What a request to the upload host asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// The whole file as the body.
    Direct,
    /// `?uploads`: start a chunked upload.
    Init,
    /// `?partNumber=N&uploadID=`: one part.
    Part { id: String, number: String },
    /// `GET ?uploadID=`: the parts received so far.
    List { id: String },
    /// `?uploadID=` with the part list; or, when the id is the StoreInfo's own UploadID
    /// (the reference document's example), the whole file.
    Complete { id: String },
}

#[derive(Debug, Default, Deserialize)]
struct HostQuery {
    uploads: Option<String>,
    #[serde(rename = "partNumber")]
    part_number: Option<String>,
    #[serde(rename = "uploadID")]
    upload_id: Option<String>,
}

impl Step {
    fn parse(req: &HttpRequest) -> Result<Self, ApiError> {
        let query = web::Query::<HostQuery>::from_query(req.query_string())
            .map(web::Query::into_inner)
            .unwrap_or_default();
        let is_get = req.method() == Method::GET;
        match (query.upload_id, query.part_number) {
            _ if query.uploads.is_some() => Ok(Step::Init),
            (Some(id), _) if is_get => Ok(Step::List { id }),
            _ if is_get => Err(ApiError::BadRequest(
                "GET needs ?uploadID= to list received parts".into(),
            )),
            (Some(id), Some(number)) => Ok(Step::Part { id, number }),
            (Some(id), None) => Ok(Step::Complete { id }),
            (None, Some(_)) => Err(ApiError::BadRequest("partNumber needs uploadID".into())),
            (None, None) => Ok(Step::Direct),
        }
    }
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
    let sessions = &state.sessions;
    let upload = sessions.find_upload(&store_uri).await?;
    authorize(&req, &upload, &state).await?;
    upload.check_open()?;
    let step = match Step::parse(&req)? {
        Step::Complete { id } if id == upload.record.upload_id => Step::Direct,
        step => step,
    };
    let payload = match step {
        Step::Direct => {
            let staged = sessions.write_direct(&upload, body(&req, payload)?).await?;
            json!({"hash": Crc32(staged.crc32).to_string(), "key": store_uri})
        }
        Step::Init => json!({"uploadID": sessions.start_chunked(&upload).await?}),
        Step::Part { id, number } => {
            let body = body(&req, payload)?;
            let part = sessions.write_part(&upload, &id, &number, body).await?;
            json!({"hash": part.crc32})
        }
        Step::List { id } => {
            let parts = sessions.list_parts(&upload, &id).await?;
            let list = parts
                .iter()
                .map(|p| json!({"partNumber": p.part_number, "crc32": p.crc32}));
            json!({"partList": list.collect::<Vec<_>>()})
        }
        Step::Complete { id } => {
            let list = small_body(&req, payload).await?;
            let settled = sessions.complete(&upload, &id, &list).await?;
            json!({"hash": settled.crc32.to_string(), "key": store_uri})
        }
    };
    Ok(host_ok(payload))
}

/// The object's own upload token, or a credential of the session's owner.
async fn authorize(req: &HttpRequest, upload: &Upload, state: &AppState) -> Result<(), ApiError> {
    let uri = upload.store_uri();
    let raw = header(req, "authorization")
        .map(str::trim)
        .unwrap_or_default();
    if Sealer::is_upload_token(raw) {
        state
            .auth
            .sealer()
            .check_upload_token(raw, uri, unix_now())?;
        crate::request_id::note_principal(upload.session.owner.clone());
        return Ok(());
    }
    let credential = credential_of(req).ok_or(AuthError::Missing)?;
    let principal = state.auth.authenticate(&credential).await?;
    crate::request_id::note_principal(principal.owner());
    let session = &upload.session;
    principal
        .may_use_session(&session.owner, session.biz_type)
        .map_err(|_| ApiError::Forbidden(format!("this credential may not upload to `{uri}`")))
}

/// The request's body as a staged upload sees it: `Content-Length` and `Content-CRC32`
/// (8 hex digits, or `Ignore` to skip the check).
fn body(req: &HttpRequest, payload: web::Payload) -> Result<Body<web::Payload>, ApiError> {
    let crc32 = match header(req, "content-crc32").map(str::trim) {
        None => None,
        Some(value) if value.eq_ignore_ascii_case("ignore") => None,
        Some(value) => Some(
            value
                .parse::<Crc32>()
                .map_err(|e| ApiError::BadRequest(e.to_string()))?,
        ),
    };
    Ok(Body {
        chunks: payload,
        declared_length: header(req, "content-length").and_then(|v| v.parse().ok()),
        crc32,
    })
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
