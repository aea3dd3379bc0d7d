//! A signed-in user's API keys: `GET /api/keys` (never a secret), `POST /api/keys` (the
//! secret is in this answer and nowhere else, ever) and `DELETE /api/keys/{id}` (revoke).
//! Scopes, biz types and expiry are those `imgate keys create` offers, less `admin`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::success;
use crate::auth::{ApiKey, Scope, parse_scopes};
use crate::biz::BizType;
use crate::catalog::{ApiKeyRecord, NewApiKey, unix_now};
use crate::clock::Duration;
use crate::error::ApiError;
use crate::http::body::read_json;
use crate::http::identity::Caller;
use crate::state::AppState;

/// Longest key name, in characters.
const MAX_NAME: usize = 100;

#[derive(Debug, Serialize)]
struct KeyView {
    id: i64,
    name: String,
    /// The key's first characters, to tell it apart: `pat_1a2b3c4d`.
    prefix: String,
    scopes: Vec<&'static str>,
    /// The biz types it may upload to; `null` for all of them.
    biz_types: Option<Vec<BizView>>,
    created_at: i64,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
    /// `active`, `expired` or `revoked`.
    status: &'static str,
}

#[derive(Debug, Serialize)]
struct BizView {
    code: u8,
    name: &'static str,
}

impl KeyView {
    fn new(key: ApiKeyRecord) -> Self {
        let status = if key.revoked_at.is_some() {
            "revoked"
        } else if key.expires_at.is_some_and(|at| at <= unix_now()) {
            "expired"
        } else {
            "active"
        };
        let biz_types = key.biz_types.as_deref().map(|csv| {
            csv.split(',')
                .filter_map(|code| code.trim().parse().ok().and_then(BizType::from_code))
                .map(|biz| BizView {
                    code: biz.code(),
                    name: biz.name(),
                })
                .collect()
        });
        Self {
            id: key.id,
            name: key.name,
            prefix: key.prefix,
            scopes: parse_scopes(&key.scopes)
                .into_iter()
                .map(Scope::as_str)
                .collect(),
            biz_types,
            created_at: key.created_at,
            expires_at: key.expires_at,
            revoked_at: key.revoked_at,
            status,
        }
    }
}

pub async fn list(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let user = caller.0.key_manager()?;
    let keys: Vec<KeyView> = state
        .catalog
        .list_user_api_keys(user)
        .await?
        .into_iter()
        .map(KeyView::new)
        .collect();
    Ok(success(json!({"keys": keys})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKey {
    name: String,
    /// Default: `upload`.
    #[serde(default)]
    scopes: Vec<String>,
    /// Biz type codes; absent or `null` for all.
    biz_types: Option<Vec<i64>>,
    /// Lifetime such as `30d`; absent or `null` for none.
    expires_in: Option<String>,
}

pub async fn create(
    req: HttpRequest,
    caller: Caller,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let user = caller.0.key_manager()?;
    let asked: NewKey = read_json(&req, payload, 16 * 1024).await?;
    let scopes = parse_scope_list(&asked.scopes)?;
    caller.0.may_grant(&scopes)?;
    let name = asked.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(ApiError::BadRequest(format!(
            "name must be 1 to {MAX_NAME} characters"
        )));
    }
    let expires_at = parse_expiry(asked.expires_in.as_deref())?;
    let key = ApiKey::generate();
    let new = NewApiKey {
        name,
        prefix: key.shown_prefix(),
        key_hash: key.hash(),
        scopes: join(scopes.iter().map(|s| s.as_str())),
        biz_types: parse_biz_list(asked.biz_types.as_deref())?,
        expires_at,
    };
    let id = state.catalog.insert_api_key_for(&new, Some(user)).await?;
    let record = state
        .catalog
        .find_api_key_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("key {id} vanished after its insert")))?;
    tracing::info!(key = id, user, scopes = %new.scopes, "user created an API key");
    Ok(success(
        json!({"key": KeyView::new(record), "secret": key.expose()}),
    ))
}

/// Revokes one of the caller's keys at once; revoking it again answers the same. Another
/// user's key answers 404.
pub async fn revoke(
    caller: Caller,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.0.key_manager()?;
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let record = state.catalog.find_api_key_by_id(id).await?;
    if !record.is_some_and(|key| caller.0.may_manage_key(key.user_id)) {
        return Err(ApiError::NotFound);
    }
    if state.catalog.revoke_api_key(id).await? {
        tracing::info!(key = id, "user revoked an API key");
    }
    let record = state
        .catalog
        .find_api_key_by_id(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(success(json!({"key": KeyView::new(record)})))
}

/// `expires_in` (`30d`) as the unix time the key expires; `None` for never.
fn parse_expiry(text: Option<&str>) -> Result<Option<i64>, ApiError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => {
            let lifetime: Duration = text.parse().map_err(ApiError::BadRequest)?;
            let secs = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
            Ok(Some(unix_now().saturating_add(secs)))
        }
    }
}

fn parse_scope_list(names: &[String]) -> Result<Vec<Scope>, ApiError> {
    let mut scopes = Vec::new();
    for name in names {
        let scope: Scope = name.parse().map_err(ApiError::BadRequest)?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if scopes.is_empty() {
        scopes.push(Scope::Upload);
    }
    Ok(scopes)
}

fn parse_biz_list(codes: Option<&[i64]>) -> Result<Option<String>, ApiError> {
    let Some(codes) = codes else {
        return Ok(None);
    };
    if codes.is_empty() {
        return Err(ApiError::BadRequest(
            "biz_types names at least one biz type, or is left out for all of them".into(),
        ));
    }
    let mut valid = Vec::new();
    for &code in codes {
        let biz = BizType::from_code(code).ok_or_else(|| {
            ApiError::BadRequest(format!("biz type {code} does not exist (0 to 10)"))
        })?;
        if !valid.contains(&biz.code()) {
            valid.push(biz.code());
        }
    }
    Ok(Some(join(valid.iter().map(u8::to_string))))
}

fn join<S: AsRef<str>>(items: impl Iterator<Item = S>) -> String {
    items
        .map(|s| s.as_ref().to_owned())
        .collect::<Vec<_>>()
        .join(",")
}
