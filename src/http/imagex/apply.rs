//! `ApplyImageUpload`: opens an upload session of 1-10 StoreUris, each with its own upload
//! token, and refuses a declared size over the limit before any byte is sent.

use actix_web::{HttpRequest, HttpResponse};
use serde_json::{Value, json};

use super::caller::upload_host;
use super::params::Params;
use super::reply::{Act, ActionError};
use crate::auth::{Principal, Scope};
use crate::biz::BizType;
use crate::catalog::{NewUpload, UploadSession};
use crate::clock::unix_now;
use crate::error::ApiError;
use crate::random::random_hex;
use crate::state::AppState;
use crate::storage::ObjectKey;

/// Most StoreUris one apply may ask for.
const MAX_UPLOAD_NUM: usize = 10;

pub async fn apply(
    act: &Act,
    req: &HttpRequest,
    params: &Params,
    principal: Principal,
    state: &AppState,
) -> Result<HttpResponse, ActionError> {
    let settings = &state.settings.imagex;
    principal.require(Scope::Upload).map_err(|e| act.fail(e))?;
    check_service(params, &settings.service_id).map_err(|e| act.fail(e))?;
    let biz = biz_type(params, &principal).map_err(|e| act.fail(e))?;
    let declared = declared_size(params, settings.max_file_bytes).map_err(|e| act.fail(e))?;
    let keys = store_uris(params, &settings.service_id).map_err(|e| act.fail(e))?;
    for key in &keys {
        if state
            .catalog
            .stem_taken(super::commit::stem_of(key))
            .await
            .map_err(|e| act.fail(e))?
        {
            return Err(act.fail(ApiError::BadRequest(format!(
                "`{key}` is taken: choose another StoreKey"
            ))));
        }
    }
    let now = unix_now();
    let session = UploadSession {
        session_key: random_hex(16),
        owner: principal.owner(),
        biz_type: i64::from(biz.code()),
        created_at: now,
        expires_at: now + settings.session_ttl.as_secs() as i64,
    };
    let uploads: Vec<NewUpload> = keys
        .into_iter()
        .map(|store_uri| NewUpload {
            store_uri,
            upload_id: random_hex(16),
            declared_size: declared,
        })
        .collect();
    state
        .catalog
        .open_upload_session(&session, &uploads)
        .await
        .map_err(|e| match e {
            crate::catalog::CatalogError::Conflict(what) => act.fail(ApiError::BadRequest(
                format!("{what}: choose another StoreKey"),
            )),
            other => act.fail(other),
        })?;
    let sealer = state.auth.sealer();
    let store_infos: Vec<Value> = uploads
        .iter()
        .map(|u| {
            json!({
                "StoreUri": u.store_uri,
                "Auth": sealer.issue_upload_token(&u.store_uri, session.expires_at),
                "UploadID": u.upload_id,
            })
        })
        .collect();
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

fn declared_size(params: &Params, limit: u64) -> Result<Option<i64>, ApiError> {
    let Some(text) = params.get("FileSize").filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let size: u64 = text
        .trim()
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("FileSize `{text}` is not a number")))?;
    if size > limit {
        return Err(ApiError::TooLarge(format!(
            "FileSize {size} bytes is over the ImageX upload limit of {limit} bytes (imagex.max_file_bytes)"
        )));
    }
    Ok(Some(size as i64))
}

/// `<service>/<StoreKey>` for each StoreKey, else `<service>/<random id>[.ext]` UploadNum times.
fn store_uris(params: &Params, service: &str) -> Result<Vec<String>, ApiError> {
    let keys = params.get_all("StoreKeys");
    if !keys.is_empty() {
        if keys.len() > MAX_UPLOAD_NUM {
            return Err(ApiError::BadRequest(format!(
                "at most {MAX_UPLOAD_NUM} StoreKeys"
            )));
        }
        return keys
            .iter()
            .map(|key| {
                if key.contains('~') {
                    return Err(ApiError::BadRequest(format!(
                        "StoreKey `{key}`: `~` is reserved for variants"
                    )));
                }
                let uri = format!("{service}/{key}");
                ObjectKey::parse(&uri)
                    .map(|k| k.to_string())
                    .map_err(|e| ApiError::BadRequest(format!("StoreKey `{key}`: {}", e.why)))
            })
            .collect();
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
    let extension = extension(params)?;
    Ok((0..count)
        .map(|_| format!("{service}/{}{extension}", random_hex(16)))
        .collect())
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
