//! The caller's objects, for the console and for scripts: `GET /api/objects` (a page of
//! originals, newest first, by keyset cursor), `GET /api/objects/{uri}` (one original and
//! its stored variants), `GET /api/objects/url?uri=` (a URL, signed where it must be, of
//! an object or a template URL of one) and `DELETE /api/objects/{uri}`. Whose objects a
//! caller sees is `auth::Library`; others' answer 404, as if they did not exist.

use actix_web::{HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::json;

use super::success;
use super::view::ObjectView;
use crate::auth::{Library, Principal};
use crate::biz::BizType;
use crate::catalog::{ObjectQuery, ObjectRecord};
use crate::cdn::parse_template;
use crate::error::ApiError;
use crate::http::identity::Caller;
use crate::state::AppState;
use crate::storage::ObjectKey;

/// Objects per page unless `limit` says otherwise, and the most it may say.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    biz_type: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

pub async fn list(
    caller: Caller,
    query: web::Query<ListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let owners = match caller.0.library()? {
        Library::Everyone => None,
        Library::User(user) => Some(state.catalog.owners_of_user(user).await?),
        Library::Owner(owner) => Some(vec![owner]),
    };
    let limit = parse_limit(query.limit.as_deref())?;
    let mut page = state
        .catalog
        .list_originals(&ObjectQuery {
            owners: owners.as_deref(),
            biz_type: parse_biz_type(query.biz_type.as_deref())?,
            before: query.cursor.as_deref().map(parse_cursor).transpose()?,
            limit: limit + 1,
        })
        .await?;
    let more = page.len() > limit as usize;
    page.truncate(limit as usize);
    let next_cursor = more.then(|| page.last().map(cursor_of)).flatten();
    let uris: Vec<String> = page.iter().map(|o| o.uri.clone()).collect();
    let variants = state.catalog.variants_of_many(&uris).await?;
    let objects: Vec<ObjectView> = page
        .into_iter()
        .map(|record| {
            let own: Vec<&ObjectRecord> = variants
                .iter()
                .filter(|v| v.parent.as_deref() == Some(record.uri.as_str()))
                .collect();
            ObjectView::new(record, &state).with_thumbnail(&own, &state)
        })
        .collect();
    Ok(success(
        json!({"objects": objects, "next_cursor": next_cursor}),
    ))
}

pub async fn detail(
    caller: Caller,
    uri: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let record = visible_original(&caller.0, &uri, &state).await?;
    let variants = state
        .catalog
        .variants_of_many(std::slice::from_ref(&record.uri))
        .await?;
    let variants: Vec<ObjectView> = variants
        .into_iter()
        .map(|v| ObjectView::new(v, &state))
        .collect();
    Ok(success(
        json!({"object": ObjectView::new(record, &state), "variants": variants}),
    ))
}

#[derive(Debug, Deserialize)]
pub struct UrlQuery {
    uri: String,
}

/// The URL of an object, or of a template URL of an image original: checked against the
/// deployment's template rules, so the answer is a URL the CDN serves.
pub async fn url(
    caller: Caller,
    query: web::Query<UrlQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let uri = &query.uri;
    let (base, template) = match parse_template(uri, &state.template_rules()) {
        Some(Ok(variant)) => (variant.base, true),
        Some(Err(why)) => return Err(ApiError::BadRequest(why)),
        None => (uri.clone(), false),
    };
    let record = visible(&caller.0, &base, &state).await?;
    if template && (record.kind != "image" || record.parent.is_some()) {
        return Err(ApiError::BadRequest(format!(
            "templates apply to original images; `{base}` is not one"
        )));
    }
    Ok(success(json!({"uri": uri, "url": state.urls.url_for(uri)})))
}

/// Deletes an original and every variant of it, as `DELETE /api/common/upload/object/`
/// does, for anyone whose library it is in and who may delete it.
pub async fn delete(
    caller: Caller,
    uri: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let key = ObjectKey::parse(&uri).map_err(|_| ApiError::NotFound)?;
    let record = visible_original(&caller.0, &uri, &state).await?;
    let owner_user = state.catalog.user_of_owner(&record.owner).await?;
    caller.0.may_remove(&record.owner, owner_user)?;
    state.hot.forget_object(&record.uri);
    let deleted = state.ingest.delete(&key).await?.ok_or(ApiError::NotFound)?;
    // A request served between the file deletes and the records' may have cached it again.
    state.hot.forget_object(&record.uri);
    tracing::info!(uri = %record.uri, files = deleted.len(), "deleted object");
    Ok(success(json!({"deleted": deleted})))
}

/// The record of `uri` if the caller's library holds it; 404 otherwise.
async fn visible(
    caller: &Principal,
    uri: &str,
    state: &AppState,
) -> Result<ObjectRecord, ApiError> {
    let record = state
        .catalog
        .find_object(uri)
        .await?
        .ok_or(ApiError::NotFound)?;
    let owner_user = state.catalog.user_of_owner(&record.owner).await?;
    if caller.sees(&record.owner, owner_user) {
        Ok(record)
    } else {
        Err(ApiError::NotFound)
    }
}

async fn visible_original(
    caller: &Principal,
    uri: &str,
    state: &AppState,
) -> Result<ObjectRecord, ApiError> {
    let record = visible(caller, uri, state).await?;
    match &record.parent {
        Some(parent) => Err(ApiError::BadRequest(format!(
            "`{uri}` is a variant; its original is `{parent}`"
        ))),
        None => Ok(record),
    }
}

fn parse_limit(text: Option<&str>) -> Result<u32, ApiError> {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(DEFAULT_LIMIT);
    };
    text.parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_LIMIT).contains(n))
        .ok_or_else(|| {
            ApiError::BadRequest(format!("limit must be 1 to {MAX_LIMIT}, got `{text}`"))
        })
}

fn parse_biz_type(text: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    text.parse::<i64>()
        .ok()
        .and_then(BizType::from_code)
        .map(|biz| Some(i64::from(biz.code())))
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "biz_type `{text}` is not a biz type code (0 to 10)"
            ))
        })
}

/// A cursor is the last object of a page, `<created_at>:<uri>` in URL-safe Base64.
fn cursor_of(record: &ObjectRecord) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", record.created_at, record.uri))
}

fn parse_cursor(text: &str) -> Result<(i64, String), ApiError> {
    let bad = || ApiError::BadRequest(format!("cursor `{text}` is not one this server handed out"));
    let decoded = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (created_at, uri) = decoded.split_once(':').ok_or_else(bad)?;
    Ok((created_at.parse().map_err(|_| bad())?, uri.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_strangers_are_refused() {
        let record = ObjectRecord {
            uri: "BIZ_BOT_ICON/ab:c.png".into(),
            created_at: 1_700_000_000,
            ..ObjectRecord::default()
        };
        let cursor = cursor_of(&record);
        assert_eq!(
            parse_cursor(&cursor).expect("own cursor"),
            (1_700_000_000, "BIZ_BOT_ICON/ab:c.png".to_owned())
        );
        for stranger in ["", "!!", "bm9jb2xvbg", "eDp5"] {
            assert!(parse_cursor(stranger).is_err(), "{stranger}");
        }
    }

    #[test]
    fn limits_and_biz_types_name_what_is_wrong() {
        assert_eq!(parse_limit(None).expect("default"), DEFAULT_LIMIT);
        assert_eq!(parse_limit(Some("200")).expect("max"), 200);
        let refused = parse_limit(Some("201")).expect_err("over");
        assert!(refused.to_string().contains("1 to 200"), "{refused}");
        assert_eq!(parse_biz_type(Some("2")).expect("2"), Some(2));
        assert!(parse_biz_type(Some("11")).is_err());
    }
}
