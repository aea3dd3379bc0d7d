//! The upload client behind `imgate upload`: many files at once, each by the method its
//! size calls for, with retries, resume, a content-hash cache and progress.

mod api;
mod cache;
mod files;
mod progress;
mod retry;
mod uploader;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::mpsc;

pub use api::{Api, Stored, Ticket};
pub use cache::Cache;
pub use files::collect;
pub use progress::Progress;
pub use retry::RetryPolicy;

use crate::biz::BizType;

/// A failure, and whether trying again may help (network errors, 429, 5xx).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ClientError {
    pub retryable: bool,
    pub message: String,
}

impl ClientError {
    pub fn retryable(message: impl Into<String>) -> Self {
        Self {
            retryable: true,
            message: message.into(),
        }
    }

    pub fn fatal(message: impl Into<String>) -> Self {
        Self {
            retryable: false,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UploadMethod {
    /// Base64 below the server's Base64 limit, the ImageX flow above it.
    Auto,
    Base64,
    Imagex,
}

#[derive(Debug, Clone)]
pub struct UploadOptions {
    pub server: String,
    pub api_key: String,
    pub biz_type: BizType,
    pub concurrency: usize,
    pub method: UploadMethod,
    pub retries: u32,
    pub cache_dir: PathBuf,
    pub use_cache: bool,
    /// Largest file sent by the Base64 method (the server's default limit).
    pub base64_limit: u64,
    /// Files larger than this are uploaded in parts.
    pub chunk_threshold: u64,
    pub part_size: usize,
    pub part_concurrency: usize,
    pub progress: bool,
}

impl UploadOptions {
    pub fn new(server: &str, api_key: &str) -> Self {
        Self {
            server: server.trim_end_matches('/').to_owned(),
            api_key: api_key.to_owned(),
            biz_type: BizType::BOT_ICON,
            concurrency: 4,
            method: UploadMethod::Auto,
            retries: 4,
            cache_dir: Cache::default_dir(),
            use_cache: true,
            base64_limit: 5 * 1024 * 1024,
            chunk_threshold: 10 * 1024 * 1024,
            part_size: 5 * 1024 * 1024,
            part_concurrency: 4,
            progress: false,
        }
    }
}

/// One file's result, printed as one JSON line.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Outcome {
    pub file: String,
    pub ok: bool,
    pub uri: Option<String>,
    pub url: Option<String>,
    pub error: Option<String>,
    /// Already uploaded (same content, server and biz type): nothing was sent.
    pub cached: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<&'static str>,
    /// Parts the server already had from an interrupted run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed_parts: Option<usize>,
}

impl Outcome {
    fn new(path: &Path) -> Self {
        Self {
            file: path.display().to_string(),
            ok: false,
            uri: None,
            url: None,
            error: None,
            cached: false,
            method: None,
            resumed_parts: None,
        }
    }
}

/// What every upload of a run shares.
struct Context {
    options: UploadOptions,
    api: Api,
    cache: Cache,
    retry: RetryPolicy,
    progress: Progress,
}

/// Uploads `files`, `concurrency` at a time, calling `report` as each one finishes.
pub async fn upload_all(
    options: UploadOptions,
    files: Vec<PathBuf>,
    mut report: impl FnMut(&Outcome),
) -> Result<Vec<Outcome>, ClientError> {
    let bytes = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let context = Arc::new(Context {
        api: Api::new(&options.server, &options.api_key)?,
        cache: Cache::new(&options.cache_dir),
        retry: RetryPolicy::new(options.retries),
        progress: Progress::new(files.len(), bytes, options.progress),
        options,
    });
    let total = files.len();
    let slots = Arc::new(tokio::sync::Semaphore::new(
        context.options.concurrency.max(1),
    ));
    let (done, mut results) = mpsc::unbounded_channel();
    for path in files {
        let (context, slots, done) = (Arc::clone(&context), Arc::clone(&slots), done.clone());
        tokio::spawn(async move {
            let _slot = slots.acquire_owned().await;
            let _ = done.send(uploader::upload(context, &path).await);
        });
    }
    drop(done);
    let mut outcomes = Vec::with_capacity(total);
    while let Some(outcome) = results.recv().await {
        report(&outcome);
        outcomes.push(outcome);
        context.progress.file_done(outcomes.len(), total);
    }
    context.progress.finish();
    Ok(outcomes)
}
