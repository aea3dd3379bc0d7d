//! `GET /metrics`: the Prometheus scrape.

use actix_web::HttpResponse;
use actix_web::http::header;

use crate::metrics;

pub async fn scrape() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, metrics::CONTENT_TYPE))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(metrics::get().encode())
}
