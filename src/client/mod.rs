//! The upload client behind `imgate upload`: many files at once, each by the method its
//! size and the server's limits call for, with retries, resume, a content-hash cache,
//! progress bars, and a line per file for a person or a program.

mod api;
mod cache;
mod files;
mod limits;
mod progress;
mod reply;
mod report;
mod retry;
mod uploader;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::mpsc;

pub use api::{Api, Stored, Ticket};
pub use cache::Cache;
pub use files::collect;
pub use limits::ServerLimits;
pub use progress::Progress;
pub use report::{Summary, size};
pub use retry::RetryPolicy;

use crate::biz::BizType;

/// A failure, and whether trying again may help (network errors, 429, 5xx).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ClientError {
    pub retryable: bool,
    pub message: String,
    /// The HTTP status of the answer, when the server gave one.
    pub status: Option<u16>,
    /// How long the server asked the client to wait (`Retry-After` on 429 and 503).
    pub retry_after: Option<Duration>,
}

impl ClientError {
    pub fn retryable(message: impl Into<String>) -> Self {
        Self {
            retryable: true,
            message: message.into(),
            status: None,
            retry_after: None,
        }
    }

    pub fn fatal(message: impl Into<String>) -> Self {
        Self {
            retryable: false,
            ..Self::retryable(message)
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
    /// Files larger than this are uploaded in parts.
    pub chunk_threshold: u64,
    /// Size of parts, unless the server's limits call for another.
    pub part_size: usize,
    pub part_concurrency: usize,
    /// Draw progress bars on stderr.
    pub progress: bool,
    pub output: Output,
}

/// How each file's result is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// One JSON line on stdout (an [`Outcome`]).
    Json,
    /// One line for a person; `colour` marks success and failure.
    Human { colour: bool },
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
            chunk_threshold: 10 * 1024 * 1024,
            part_size: 5 * 1024 * 1024,
            part_concurrency: 4,
            progress: false,
            output: Output::Json,
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
    /// The file's size, in bytes.
    #[serde(skip)]
    pub size: u64,
    /// Calls that were tried again.
    #[serde(skip)]
    pub retries: u32,
    /// The HTTP status of the failure, when the server gave one.
    #[serde(skip)]
    pub status: Option<u16>,
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
            size: 0,
            retries: 0,
            status: None,
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
    limits: ServerLimits,
}

/// What a run did: every file's outcome, in the order they finished, and its summary.
#[derive(Debug, Clone)]
pub struct Run {
    pub outcomes: Vec<Outcome>,
    pub summary: Summary,
}

/// Uploads `files`, `concurrency` at a time, printing each result as it finishes.
pub async fn upload_all(options: UploadOptions, files: Vec<PathBuf>) -> Result<Run, ClientError> {
    let started = Instant::now();
    let api = Api::new(&options.server, &options.api_key)?;
    // Read once per run; a server without the route, or one that cannot be asked, is
    // assumed to have the defaults (each file then says what went wrong).
    let limits = api.limits().await.ok().flatten();
    let context = Arc::new(Context {
        api,
        cache: Cache::new(&options.cache_dir),
        retry: RetryPolicy::new(options.retries),
        progress: Progress::new(files.len(), total_bytes(&files), options.progress),
        limits: limits.unwrap_or_else(ServerLimits::defaults),
        options,
    });
    let (total, width) = (files.len(), name_width(&files));
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
        print(&context, &outcome, width);
        outcomes.push(outcome);
        context.progress.file_done(outcomes.len());
    }
    context.progress.finish();
    let summary = Summary::of(&outcomes, started.elapsed());
    Ok(Run { outcomes, summary })
}

fn total_bytes(files: &[PathBuf]) -> u64 {
    files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum()
}

/// The width of the file column: the longest name, up to a limit.
fn name_width(files: &[PathBuf]) -> usize {
    files
        .iter()
        .map(|f| f.display().to_string().chars().count())
        .max()
        .unwrap_or(0)
        .min(report::MAX_FILE_WIDTH)
}

fn print(context: &Context, outcome: &Outcome, width: usize) {
    match context.options.output {
        Output::Json => context
            .progress
            .stdout(&serde_json::to_string(outcome).unwrap_or_default()),
        Output::Human { colour } => context
            .progress
            .line(&report::file_line(outcome, width, colour)),
    }
}
