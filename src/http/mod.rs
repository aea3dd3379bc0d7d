//! HTTP routes, one file per route family, and the plumbing they share.

mod body;
pub mod bot_upload;
mod cdn;
mod console;
mod cors;
mod health;
pub mod identity;
mod imagex;
mod limits;
pub mod metrics;
mod objects;
pub mod openapi;
mod passport;
mod stored;

use actix_web::middleware::from_fn;
use actix_web::{HttpResponse, web};

pub use bot_upload::json_limit;
pub use cors::middleware as cors;

use crate::error::ApiError;

/// Registers every route; `cdn_prefix` is the path objects are served under. The CDN
/// comes first and is matched by its static prefix alone, since it answers most requests.
/// Every other route refuses cookie-authenticated writes from other origins
/// (`console::same_origin`); the CDN only reads.
pub fn routes(cfg: &mut web::ServiceConfig, cdn_prefix: &str) {
    cfg.service(cdn::scope(cdn_prefix)).service(
        web::scope("")
            .wrap(from_fn(console::same_origin))
            .configure(service_routes),
    );
}

fn service_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/api/upload/limits", web::get().to(limits::limits))
        .route(
            "/api/bot/upload_file",
            web::post().to(bot_upload::upload_file),
        )
        .route(
            "/api/passport/web/email/login/",
            web::post().to(passport::login),
        )
        .route(
            "/api/passport/web/email/login",
            web::post().to(passport::login),
        )
        .route(
            "/api/passport/web/logout/",
            web::post().to(passport::logout),
        )
        .route("/api/passport/web/logout", web::post().to(passport::logout))
        .route(
            "/api/playground_api/get_imagex_url",
            web::post().to(objects::get_imagex_url),
        )
        .route(
            "/api/common/upload/object/{uri:.+}",
            web::delete().to(objects::delete_object),
        )
        .configure(imagex::routes)
        .configure(console::routes)
        .default_service(web::to(not_found));
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
