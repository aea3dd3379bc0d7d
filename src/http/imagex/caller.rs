//! Who calls an ImageX route: a Volcengine V4 signature made with temporary credentials,
//! or any credential of API.md section 1.

use actix_web::HttpRequest;
use actix_web::http::header;

use crate::auth::v4::{SignatureHeader, SignedRequest};
use crate::auth::{AuthError, Principal};
use crate::error::ApiError;
use crate::http::identity::credential_of;
use crate::state::AppState;

pub fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Authenticates the request; `body` is needed for signatures that hash it.
pub async fn caller(
    req: &HttpRequest,
    body: &[u8],
    state: &AppState,
) -> Result<Principal, ApiError> {
    let signature = header(req, header::AUTHORIZATION.as_str()).and_then(SignatureHeader::parse);
    if let Some(signature) = signature {
        let headers: Vec<(String, String)> = req
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    value.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let request = SignedRequest {
            method: req.method().as_str(),
            path: req.path(),
            query: req.query_string(),
            headers: &headers,
            body,
        };
        let principal =
            state
                .auth
                .signature(&signature, &request, header(req, "x-security-token"))?;
        crate::request_id::note_principal(principal.owner());
        return Ok(principal);
    }
    let credential = credential_of(req).ok_or(AuthError::Missing)?;
    let principal = state.auth.authenticate(&credential).await?;
    crate::request_id::note_principal(principal.owner());
    Ok(principal)
}

/// `host:port` that clients reach this server at.
pub fn upload_host(req: &HttpRequest, state: &AppState) -> String {
    state
        .settings
        .imagex
        .upload_host
        .clone()
        .unwrap_or_else(|| req.connection_info().host().to_owned())
}
