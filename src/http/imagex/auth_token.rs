//! Method 2: `POST /api/playground/upload/auth_token` hands out temporary upload
//! credentials bound to the caller, the scene's biz type and an expiry.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::caller::upload_host;
use crate::biz::{self, BizType};
use crate::clock::{format_utc, unix_now};
use crate::error::ApiError;
use crate::http::body::read_json;
use crate::http::identity::Caller;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
struct TokenRequest {
    scene: String,
    data_type: Option<String>,
}

pub async fn auth_token(
    req: HttpRequest,
    caller: Caller,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.0.may_issue_credentials()?;
    let request: TokenRequest = read_json(&req, payload, 16 * 1024).await?;
    let biz = BizType::from_scene(&request.scene).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "unknown scene `{}` (expected {})",
            request.scene,
            biz::scene_names()
        ))
    })?;
    caller.0.may_upload_to(biz)?;
    let now = unix_now();
    let settings = &state.settings.imagex;
    let expires_at = now + settings.credential_ttl.as_secs() as i64;
    let credentials =
        state
            .auth
            .sealer()
            .issue_credentials(&caller.0.owner(), biz.code(), expires_at);
    Ok(HttpResponse::Ok().json(json!({
        "code": 0,
        "msg": "",
        "data": {
            "service_id": settings.service_id,
            "upload_path_prefix": path_prefix(&request.scene, request.data_type.as_deref()),
            "auth": {
                "access_key_id": credentials.access_key_id,
                "secret_access_key": credentials.secret_access_key,
                "session_token": credentials.session_token,
                "expired_time": format_utc(expires_at),
                "current_time": format_utc(now),
            },
            "upload_host": format!("{}/api/common/upload/apply_upload_action", upload_host(&req, &state)),
            "schema": if state.settings.server.tls.is_some() { "https" } else { "http" },
        }
    })))
}

/// `bot_icon` + `image` -> `bot-icon-image`.
pub fn path_prefix(scene: &str, data_type: Option<&str>) -> String {
    let scene = scene.replace('_', "-");
    match data_type.filter(|d| !d.is_empty()) {
        Some(data_type) => format!("{scene}-{data_type}"),
        None => scene,
    }
}
