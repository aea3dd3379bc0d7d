//! `/healthz`: the process answers. `/readyz`: the catalog and the storage backend answer
//! too, and the server is not shutting down.

use std::sync::atomic::Ordering;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::error::RETRY_AFTER;
use crate::state::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.draining.load(Ordering::Relaxed) {
        return HttpResponse::ServiceUnavailable()
            .insert_header((header::RETRY_AFTER, RETRY_AFTER))
            .json(json!({"status": "draining"}));
    }
    let catalog = state.catalog.ping().await.map_err(|e| e.to_string());
    let storage = state.storage.check().await.map_err(|e| e.to_string());
    let word = |r: &Result<(), String>| match r {
        Ok(()) => "ok".to_owned(),
        Err(e) => format!("down: {e}"),
    };
    let body = json!({
        "status": if catalog.is_ok() && storage.is_ok() { "ready" } else { "unavailable" },
        "catalog": word(&catalog),
        "storage": word(&storage),
    });
    if catalog.is_ok() && storage.is_ok() {
        HttpResponse::Ok().json(body)
    } else {
        tracing::warn!(%body, "not ready");
        HttpResponse::ServiceUnavailable()
            .insert_header((header::RETRY_AFTER, RETRY_AFTER))
            .json(body)
    }
}
