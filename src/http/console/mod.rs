//! The web console: its pages (embedded HTML, CSS and JavaScript modules under
//! `console.path`) and the APIs they use, which scripts can use too: the caller's objects
//! (`/api/objects`), their keys (`/api/keys`) and the service's status.

mod keys;
mod objects;
mod origin;
mod pages;
mod status;
mod view;

use actix_web::{HttpResponse, web};
use serde_json::json;

pub use origin::same_origin;

/// Registers the console's APIs and, under `console.path`, its pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/objects", web::get().to(objects::list))
        .route("/api/objects/url", web::get().to(objects::url))
        .route("/api/objects/{uri:.+}", web::get().to(objects::detail))
        .route("/api/objects/{uri:.+}", web::delete().to(objects::delete))
        .route("/api/keys", web::get().to(keys::list))
        .route("/api/keys", web::post().to(keys::create))
        .route("/api/keys/{id}", web::delete().to(keys::revoke))
        .route("/api/console/me", web::get().to(status::me))
        .route("/api/console/status", web::get().to(status::status))
        .service(pages::resource());
}

/// The Coze envelope of a success.
fn success(data: serde_json::Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({"code": 0, "msg": "success", "data": data}))
}
