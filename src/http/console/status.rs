//! `GET /api/console/me`: who is signed in, and what the pages need to know of this
//! deployment (its service id, templates, whether URLs are signed). `GET
//! /api/console/status`: health and readiness of the catalog and the store, the
//! processing pool's load, and the version.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::success;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::http::identity::Caller;
use crate::state::AppState;

pub async fn me(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    caller.0.library()?;
    let (kind, id, email) = match &caller.0 {
        Principal::User { id } => {
            let user = state.catalog.find_user(*id).await?;
            ("user", *id, user.map(|u| u.email))
        }
        Principal::ApiKey { id, .. } => ("key", *id, None),
        Principal::Temporary { .. } => return Err(ApiError::NotFound),
    };
    let settings = &state.settings;
    let templates: Vec<_> = settings
        .cdn
        .templates
        .iter()
        .map(|(name, t)| json!({"name": name, "op": t.op, "width": t.width, "height": t.height}))
        .collect();
    Ok(success(json!({
        "kind": kind,
        "id": id,
        "email": email,
        "service_id": settings.imagex.service_id,
        "private": settings.cdn.private,
        "public_base": state.urls.public_base(),
        "templates": templates,
        "max_side": settings.cdn.max_side,
        "allowed_sizes": settings.cdn.allowed_sizes,
        "version": env!("CARGO_PKG_VERSION"),
    })))
}

pub async fn status(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    caller.0.library()?;
    let word = |result: Result<(), String>| match result {
        Ok(()) => "ok".to_owned(),
        Err(why) => format!("down: {why}"),
    };
    let catalog = word(state.catalog.ping().await.map_err(|e| e.to_string()));
    let storage = word(state.storage.check().await.map_err(|e| e.to_string()));
    let pool = state.ingest.pool();
    let (busy, capacity) = pool.load();
    let pipeline = &state.settings.pipeline;
    Ok(success(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "health": "ok",
        "ready": catalog == "ok" && storage == "ok",
        "catalog": catalog,
        "storage": storage,
        "storage_backend": state.settings.storage.backend,
        "pipeline": {
            "threads": pool.threads(),
            "queue": pipeline.queue,
            "jobs": busy,
            "capacity": capacity,
            "memory_in_use": pool.memory().in_use(),
            "memory_budget": pool.memory().total(),
        },
    })))
}
