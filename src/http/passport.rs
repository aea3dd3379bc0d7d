//! Web sessions: `POST /api/passport/web/email/login/` and `POST /api/passport/web/logout/`.

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::body::read_json;
use super::identity::SESSION_COOKIES;
use crate::auth::verify_password;
use crate::catalog::unix_now;
use crate::error::ApiError;
use crate::state::AppState;

/// Largest login body accepted, in bytes.
const LOGIN_BODY_LIMIT: usize = 16 * 1024;

#[derive(Debug, Deserialize)]
struct Login {
    email: String,
    password: String,
}

pub async fn login(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let login: Login = read_json(&req, payload, LOGIN_BODY_LIMIT).await?;
    let user = state.catalog.find_user_by_email(login.email.trim()).await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let password = login.password;
    let verified = web::block(move || stored.is_some_and(|hash| verify_password(&password, &hash)))
        .await
        .map_err(ApiError::internal)?;
    let Some(user) = user.filter(|_| verified) else {
        return Err(ApiError::InvalidCredential("invalid email or password"));
    };
    let ttl = state.settings.auth.session_ttl.as_secs();
    let token = state.auth.sessions().issue();
    let expires_at = unix_now() + i64::try_from(ttl).unwrap_or(i64::MAX / 2);
    state
        .catalog
        .insert_session(&token.hash(), user.id, expires_at)
        .await?;
    let cookie = Cookie::build(SESSION_COOKIES[0], token.as_str().to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.auth.secure_cookies)
        .max_age(time::Duration::seconds(
            i64::try_from(ttl).unwrap_or(i64::MAX),
        ))
        .finish();
    Ok(HttpResponse::Ok().cookie(cookie).json(json!({
        "code": 0,
        "msg": "success",
        "data": {"user_id": user.id, "email": user.email, "expires_at": expires_at}
    })))
}

/// Revokes the caller's session, if any, and clears both cookie names.
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    for name in SESSION_COOKIES {
        if let Some(cookie) = req.cookie(name)
            && let Some(token) = state.auth.sessions().verify(cookie.value())
        {
            state.catalog.revoke_session(&token.hash()).await?;
        }
    }
    let mut response = HttpResponse::Ok();
    for name in SESSION_COOKIES {
        let mut gone = Cookie::build(name, "").path("/").finish();
        gone.make_removal();
        response.cookie(gone);
    }
    Ok(response.json(json!({"code": 0, "msg": "success", "data": {}})))
}
