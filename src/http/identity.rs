//! Finds the caller's credential on a request and authenticates it, as an extractor that
//! runs before any body is read.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use crate::auth::{AuthError, Credential, Principal};
use crate::error::ApiError;
use crate::state::AppState;

/// Cookie names for web sessions: Coze Studio's, then the reference document's.
pub const SESSION_COOKIES: [&str; 2] = ["session_key", "session_token"];

/// `Authorization` first (any scheme other than Bearer is kept whole, to be refused as
/// malformed), then the session cookies.
pub fn credential_of(req: &HttpRequest) -> Option<Credential> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let text = value.to_str().unwrap_or_default().trim();
        let token = match text.split_once(' ') {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
            _ => text,
        };
        return Some(Credential::Bearer(token.to_owned()));
    }
    SESSION_COOKIES
        .iter()
        .find_map(|name| req.cookie(name))
        .map(|cookie| Credential::SessionCookie(cookie.value().to_owned()))
}

/// An authenticated caller; what it may do is asked of the [`Principal`] (`auth::access`).
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let credential = credential_of(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let credential = credential.ok_or(AuthError::Missing)?;
            let principal = state.auth.authenticate(&credential).await?;
            crate::request_id::note_principal(principal.owner());
            Ok(Caller(principal))
        })
    }
}
