//! `CommitImageUpload`: runs each uploaded file through the pipeline (or stores a document
//! unchanged), records it, and answers `Results` and `PluginResult`. A file committed before
//! answers what it answered then.

use actix_web::HttpResponse;
use serde_json::{Value, json};

use super::params::Params;
use super::reply::{Act, ActionError};
use crate::auth::Principal;
use crate::biz::BizType;
use crate::catalog::{ObjectRecord, UploadRecord, UploadSession};
use crate::clock::{format_utc, unix_now};
use crate::error::ApiError;
use crate::ingest;
use crate::media::FileType;
use crate::state::AppState;

pub async fn commit(
    act: &Act,
    params: &Params,
    principal: Principal,
    state: &AppState,
) -> Result<HttpResponse, ActionError> {
    let (session, uploads) = session_of(params, &principal, state)
        .await
        .map_err(|e| act.fail(e))?;
    let mut results = Vec::with_capacity(uploads.len());
    let mut plugin = Vec::with_capacity(uploads.len());
    for upload in uploads {
        let outcome = commit_one(state, &session, &upload)
            .await
            .map_err(|e| act.fail(e))?;
        results.push(json!({"Uri": upload.store_uri, "UriStatus": 2000}));
        plugin.push(outcome);
    }
    Ok(act.ok(json!({
        "RequestId": crate::request_id::current(),
        "Results": results,
        "PluginResult": plugin,
    })))
}

/// The caller's live session and the uploads to commit (`SuccessOids`, or every upload
/// that has received its bytes).
async fn session_of(
    params: &Params,
    principal: &Principal,
    state: &AppState,
) -> Result<(UploadSession, Vec<UploadRecord>), ApiError> {
    let key = params
        .get("SessionKey")
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError::BadRequest("SessionKey is required".into()))?;
    let session = state
        .catalog
        .find_upload_session(&key)
        .await?
        .ok_or_else(|| ApiError::BadRequest(format!("unknown SessionKey `{key}`")))?;
    if session.expires_at <= unix_now() {
        return Err(ApiError::BadRequest(format!(
            "the upload session expired at {} UTC; apply again",
            format_utc(session.expires_at)
        )));
    }
    principal.may_use_session(&session.owner, session.biz_type)?;
    let mut uploads = state.catalog.session_uploads(&key).await?;
    let wanted = params.get_all("SuccessOids");
    if wanted.is_empty() {
        uploads.retain(|u| u.state != "pending");
        return Ok((session, uploads));
    }
    let mut chosen = Vec::with_capacity(wanted.len());
    for oid in wanted {
        let upload = uploads.iter().find(|u| u.store_uri == oid).ok_or_else(|| {
            ApiError::BadRequest(format!("`{oid}` is not an upload of this session"))
        })?;
        chosen.push(upload.clone());
    }
    Ok((session, chosen))
}

async fn commit_one(
    state: &AppState,
    session: &UploadSession,
    upload: &UploadRecord,
) -> Result<Value, ApiError> {
    if let Some(saved) = upload.result.as_deref() {
        return serde_json::from_str(saved).map_err(ApiError::internal);
    }
    if upload.state == "pending" {
        return Err(ApiError::BadRequest(format!(
            "nothing has been uploaded to `{}` yet",
            upload.store_uri
        )));
    }
    if !state.catalog.claim_upload(&upload.store_uri).await? {
        // Another commit got there first: answer what it answered, or ask to come back.
        let now = state.catalog.find_upload(&upload.store_uri).await?;
        return match now.and_then(|u| u.result) {
            Some(saved) => serde_json::from_str(&saved).map_err(ApiError::internal),
            None => Err(ApiError::Busy(format!(
                "`{}` is being committed",
                upload.store_uri
            ))),
        };
    }
    let outcome = process(state, session, upload).await;
    if outcome.is_err() {
        state.catalog.release_upload(&upload.store_uri).await?;
    }
    outcome
}

/// Turns a claimed upload into an object and records the answer.
async fn process(
    state: &AppState,
    session: &UploadSession,
    upload: &UploadRecord,
) -> Result<Value, ApiError> {
    let parts: Vec<i64> = match upload.chunked_id {
        Some(_) => state
            .catalog
            .parts(&upload.store_uri)
            .await?
            .iter()
            .map(|p| p.part_number)
            .collect(),
        None => Vec::new(),
    };
    let size = upload
        .size
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0);
    let bytes = state.staging.read(&upload.upload_id, &parts, size).await?;
    check_unchanged(upload, &bytes)?;
    let declared = ingest::declared_type(&upload.store_uri, &bytes)?;
    let biz = BizType::from_code(session.biz_type).unwrap_or(BizType::BOT_DATASET);
    let prepared = state.prepare(biz, declared, bytes).await?;
    let stem = stem_of(&upload.store_uri);
    let records = ingest::store_object(
        state.storage.as_ref(),
        &state.catalog,
        stem,
        biz,
        &session.owner,
        prepared,
    )
    .await?;
    let record = records
        .first()
        .ok_or_else(|| ApiError::internal("nothing stored"))?;
    let outcome = plugin_result(&upload.store_uri, record, state);
    state
        .catalog
        .mark_committed(&upload.store_uri, &outcome.to_string())
        .await?;
    if let Err(e) = state.staging.remove(&upload.upload_id).await {
        tracing::warn!(upload = %upload.store_uri, error = %e, "could not remove staged bytes");
    }
    Ok(outcome)
}

/// The bytes read back must be the ones the upload host confirmed: a part that arrived
/// late, after the complete, would otherwise change the file under its announced CRC32.
fn check_unchanged(upload: &UploadRecord, bytes: &[u8]) -> Result<(), ApiError> {
    let crc = format!("{:08x}", crc32fast::hash(bytes));
    let matches = upload.crc32.as_deref() == Some(crc.as_str())
        && upload.size == i64::try_from(bytes.len()).ok();
    if matches {
        return Ok(());
    }
    Err(ApiError::BadRequest(format!(
        "the bytes of `{}` changed after the upload was completed (CRC32 {} then, {crc} now); upload it again",
        upload.store_uri,
        upload.crc32.as_deref().unwrap_or("unknown"),
    )))
}

/// The StoreUri without its extension: the stored file gets the extension of its real type.
pub fn stem_of(store_uri: &str) -> &str {
    let name_start = store_uri.rfind('/').map_or(0, |i| i + 1);
    match store_uri[name_start..].rfind('.') {
        Some(dot) => &store_uri[..name_start + dot],
        None => store_uri,
    }
}

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

#[cfg(test)]
mod tests {
    use super::stem_of;

    #[test]
    fn stems_drop_only_the_file_extension() {
        assert_eq!(stem_of("svc/abc.jpg"), "svc/abc");
        assert_eq!(stem_of("svc/abc"), "svc/abc");
        assert_eq!(stem_of("svc.v2/abc"), "svc.v2/abc");
        assert_eq!(stem_of("svc/a.b.png"), "svc/a.b");
    }
}
