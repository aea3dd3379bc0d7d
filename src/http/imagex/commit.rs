//! `CommitImageUpload`: finds the caller's session, commits the files it names (or every
//! file received), and answers `Results` and `PluginResult`. A file committed before
//! answers what it answered then.

use actix_web::HttpResponse;
use serde_json::{Value, json};

use super::params::Params;
use super::reply::{Act, ActionError};
use crate::auth::Principal;
use crate::catalog::ObjectRecord;
use crate::error::ApiError;
use crate::media::FileType;
use crate::state::AppState;

pub async fn commit(
    act: &Act,
    params: &Params,
    principal: Principal,
    state: &AppState,
) -> Result<HttpResponse, ActionError> {
    let key = params
        .get("SessionKey")
        .filter(|k| !k.is_empty())
        .ok_or_else(|| act.fail(ApiError::BadRequest("SessionKey is required".into())))?;
    let session = state
        .sessions
        .find_session(&key)
        .await
        .map_err(|e| act.fail(e))?;
    principal
        .may_use_session(&session.owner, session.biz_type)
        .map_err(|e| act.fail(e))?;
    let describe = |store_uri: &str, record: &ObjectRecord| plugin_result(store_uri, record, state);
    let answers = state
        .sessions
        .commit(&session, &params.get_all("SuccessOids"), &describe)
        .await
        .map_err(|e| act.fail(e))?;
    let results: Vec<Value> = answers
        .iter()
        .map(|(uri, _)| json!({"Uri": uri, "UriStatus": 2000}))
        .collect();
    let plugin: Vec<Value> = answers.into_iter().map(|(_, answer)| answer).collect();
    Ok(act.ok(json!({
        "RequestId": crate::request_id::current(),
        "Results": results,
        "PluginResult": plugin,
    })))
}

/// A committed file's `PluginResult` entry.
fn plugin_result(store_uri: &str, record: &ObjectRecord, state: &AppState) -> Value {
    let format = FileType::from_mime(&record.content_type).map_or("", FileType::extension);
    json!({
        "FileName": store_uri.rsplit('/').next().unwrap_or(store_uri),
        "SourceUri": store_uri,
        "ImageUri": record.uri,
        "ImageUrl": state.urls.url_for(&record.uri),
        "ImageWidth": record.width.unwrap_or(0),
        "ImageHeight": record.height.unwrap_or(0),
        "ImageMd5": record.md5,
        "ImageFormat": format,
        "ImageSize": record.size,
        "FrameCnt": record.frames.unwrap_or(1),
        "Duration": 0,
    })
}
