//! `GET|POST /api/common/upload/apply_upload_action?Action=...` and the same at `/`: reads
//! the parameters, authenticates (a V4 signature may hash the body), and dispatches.

use actix_web::{HttpRequest, HttpResponse, web};

use super::caller::caller;
use super::params::Params;
use super::reply::{Act, ActionError};
use super::{apply, commit};
use crate::error::ApiError;
use crate::http::body::read_limited;
use crate::state::AppState;

/// Largest action body, in bytes.
const BODY_LIMIT: usize = 64 * 1024;

pub async fn dispatch(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ActionError> {
    let region = state.settings.imagex.region.clone();
    let unnamed = Act {
        action: String::new(),
        region: region.clone(),
    };
    let body = read_limited(&req, payload, BODY_LIMIT, |_| {
        ApiError::TooLarge(format!("an action body is at most {BODY_LIMIT} bytes"))
    })
    .await
    .map_err(|e| unnamed.fail(e))?;
    let params = Params::new(req.query_string(), &body);
    let act = Act {
        action: params.get("Action").unwrap_or_default(),
        region,
    };
    let principal = caller(&req, &body, &state).await.map_err(|e| act.fail(e))?;
    match act.action.as_str() {
        "ApplyImageUpload" => apply::apply(&act, &req, &params, principal, &state).await,
        "CommitImageUpload" => commit::commit(&act, &params, principal, &state).await,
        "" => Err(act.fail(ApiError::BadRequest("Action is required".into()))),
        other => Err(act.fail(ApiError::BadRequest(format!(
            "unknown Action `{other}` (expected ApplyImageUpload or CommitImageUpload)"
        )))),
    }
}
