//! Methods 2 and 3: temporary credentials, the veImageX actions (apply, commit), the
//! upload host, and the reference document's PUT upload.

mod actions;
mod apply;
mod auth_token;
mod caller;
pub(crate) mod commit;
mod params;
mod put_flow;
mod reply;
mod upload_host;

use actix_web::web;

/// Registers the ImageX routes; more specific paths first.
pub fn routes(cfg: &mut web::ServiceConfig) {
    const ACTIONS: &str = "/api/common/upload/apply_upload_action";
    cfg.route(
        "/api/playground/upload/auth_token",
        web::post().to(auth_token::auth_token),
    )
    .route(ACTIONS, web::get().to(actions::dispatch))
    .route(ACTIONS, web::post().to(actions::dispatch))
    .route(
        &format!("{ACTIONS}/{{prefix}}/{{name}}"),
        web::put().to(put_flow::put_file),
    )
    .route(
        "/api/common/upload/{store_uri:.+}",
        web::get().to(upload_host::upload_host),
    )
    .route(
        "/api/common/upload/{store_uri:.+}",
        web::post().to(upload_host::upload_host),
    )
    .route(
        "/api/common/upload/{store_uri:.+}",
        web::put().to(upload_host::upload_host),
    )
    .route("/", web::get().to(actions::dispatch))
    .route("/", web::post().to(actions::dispatch));
}
