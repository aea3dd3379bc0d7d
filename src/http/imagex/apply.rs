//! `ApplyImageUpload`: reads the parameters into an [`Apply`], opens the session, and
//! answers each StoreUri with its own upload token.

use actix_web::{HttpRequest, HttpResponse};
use serde_json::{Value, json};

use super::caller::upload_host;
use super::params::Params;
use super::reply::{Act, ActionError};
use crate::auth::{Principal, Scope};
use crate::biz::BizType;
use crate::error::ApiError;
use crate::ingest::session::{Apply, MAX_UPLOAD_NUM, Naming, OpenedSession};
use crate::state::AppState;

pub async fn apply(
    act: &Act,
    req: &HttpRequest,
    params: &Params,
    principal: Principal,
    state: &AppState,
) -> Result<HttpResponse, ActionError> {
    let fail = |e: ApiError| act.fail(e);
    principal.require(Scope::Upload).map_err(|e| act.fail(e))?;
    check_service(params, &state.settings.imagex.service_id).map_err(fail)?;
    let apply = Apply {
        owner: principal.owner(),
        biz: biz_type(params, &principal).map_err(fail)?,
        declared_size: declared_size(params).map_err(fail)?,
        naming: naming(params).map_err(fail)?,
    };
    let opened = state.sessions.open(apply).await.map_err(|e| act.fail(e))?;
    let session = &opened.session;
    let store_infos = store_infos(&opened, state);
    let host = format!("{}/api/common/upload", upload_host(req, state));
    Ok(act.ok(json!({
        "RequestId": crate::request_id::current(),
        "UploadAddress": {
            "StoreInfos": store_infos,
            "UploadHosts": [host],
            "SessionKey": session.session_key,
            "Cloud": "",
        },
        "InnerUploadAddress": {
            "UploadNodes": [{"StoreInfos": store_infos, "UploadHost": host, "SessionKey": session.session_key}],
        },
    })))
}

/// One StoreInfo per StoreUri, each with an upload token for that StoreUri only.
fn store_infos(opened: &OpenedSession, state: &AppState) -> Vec<Value> {
    let sealer = state.auth.sealer();
    let expires_at = opened.session.expires_at;
    opened
        .uploads
        .iter()
        .map(|u| {
            json!({
                "StoreUri": u.store_uri,
                "Auth": sealer.issue_upload_token(&u.store_uri, expires_at),
                "UploadID": u.upload_id,
            })
        })
        .collect()
}

fn check_service(params: &Params, service_id: &str) -> Result<(), ApiError> {
    match params.get("ServiceId") {
        Some(given) if !given.is_empty() && given != service_id => Err(ApiError::BadRequest(
            format!("unknown ServiceId `{given}` (this server is `{service_id}`)"),
        )),
        _ => Ok(()),
    }
}

/// The biz type the session uploads to: `BizType` if given (an imgate extension), as the
/// credential allows.
fn biz_type(params: &Params, principal: &Principal) -> Result<BizType, ApiError> {
    let asked = match params.get("BizType") {
        None => None,
        Some(text) => {
            let code: i64 = text
                .parse()
                .map_err(|_| ApiError::BadRequest(format!("BizType `{text}` is not a number")))?;
            let biz = BizType::from_code(code)
                .ok_or_else(|| ApiError::BadRequest(format!("unknown BizType {code}")))?;
            Some(biz)
        }
    };
    Ok(principal.upload_biz_type(asked)?)
}

fn declared_size(params: &Params) -> Result<Option<u64>, ApiError> {
    let Some(text) = params.get("FileSize").filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let size = text
        .trim()
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("FileSize `{text}` is not a number")))?;
    Ok(Some(size))
}

/// The client's StoreKeys, else `UploadNum` fresh names with the `FileExtension`.
fn naming(params: &Params) -> Result<Naming, ApiError> {
    let keys = params.get_all("StoreKeys");
    if !keys.is_empty() {
        return Ok(Naming::Keys(keys));
    }
    let count = match params.get("UploadNum").filter(|t| !t.is_empty()) {
        None => 1,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_UPLOAD_NUM).contains(n))
            .ok_or_else(|| {
                ApiError::BadRequest(format!("UploadNum `{text}` is not 1 to {MAX_UPLOAD_NUM}"))
            })?,
    };
    Ok(Naming::Fresh {
        count,
        extension: extension(params)?,
    })
}

/// `.jpg`, `jpg` or nothing (the type then comes from the bytes at commit).
fn extension(params: &Params) -> Result<String, ApiError> {
    let Some(raw) = params.get("FileExtension").filter(|e| !e.is_empty()) else {
        return Ok(String::new());
    };
    let ext = raw.trim_start_matches('.').to_ascii_lowercase();
    if ext.is_empty() || ext.len() > 10 || !ext.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::BadRequest(format!(
            "FileExtension `{raw}` is not an extension"
        )));
    }
    Ok(format!(".{ext}"))
}
