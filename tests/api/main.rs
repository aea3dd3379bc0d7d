//! Integration tests: the real server on a random port, over HTTP. One file per thing
//! tested; what they share is in `helpers/`.

mod auth;
mod avif;
mod bot_upload;
mod cdn;
mod chunked;
mod cli;
mod client;
mod client_limits;
mod client_retry;
mod client_screen;
mod client_terminal;
mod cluster_state;
mod console_api;
mod console_browser;
mod console_keys;
mod console_pages;
mod crash;
mod health;
mod helpers;
mod hostile;
mod imagex;
mod imagex_refusals;
mod imagex_signed;
mod memory;
mod migrate;
mod ops_client;
mod ops_logs;
mod ops_metrics;
mod ops_openapi;
mod ops_prometheus;
mod ops_shutdown;
#[path = "../support/pillow.rs"]
mod pillow;
mod pipeline;
#[path = "../support/python.rs"]
mod python;
mod s3;
mod sdk;
mod sessions;
mod storage;
mod variants;
