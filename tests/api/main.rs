//! Integration tests: the real server on a random port, over HTTP.

mod auth;
mod bot_upload;
mod cdn;
mod cli;
mod client;
mod health;
mod helpers;
mod hostile;
mod imagex;
mod imagex_bad;
mod pipeline;
mod s3;
mod s3_server;
mod sdk;
mod sessions;
mod storage;
mod variants;
