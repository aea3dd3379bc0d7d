//! One file's upload: cache lookup, local type check, then Base64 or the ImageX flow
//! (direct, or chunked with parallel parts and resume) as the server's limits call for,
//! with retries around each call.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use futures_util::stream::{self, StreamExt, TryStreamExt};
use indicatif::ProgressBar;
use sha2::{Digest, Sha256};

use super::api::{Api, Stored, Ticket};
use super::cache::{CachedUpload, ResumeState};
use super::limits::Route;
use super::{ClientError, Context, Outcome, UploadMethod, report};
use crate::media::{self, FileType};

/// One file on its way: the run it belongs to, and what its calls have done so far.
struct Job<'a> {
    ctx: &'a Context,
    file: &'a str,
    retries: AtomicU32,
    /// Bytes of the file counted on the run's bar.
    counted: AtomicU64,
}

impl Job<'_> {
    /// Runs one call with the run's retries, counting and announcing each retry.
    async fn call<T, F, Fut>(&self, attempt: F) -> Result<T, ClientError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        self.ctx
            .retry
            .run(attempt, |retrying| {
                self.retries.fetch_add(1, Ordering::Relaxed);
                self.ctx
                    .progress
                    .notice(&report::retry_notice(self.file, retrying));
            })
            .await
    }

    fn sent(&self, bytes: u64) {
        self.counted.fetch_add(bytes, Ordering::Relaxed);
        self.ctx.progress.sent(bytes);
    }
}

pub async fn upload(ctx: Arc<Context>, path: &Path) -> Outcome {
    let mut outcome = Outcome::new(path);
    let file = outcome.file.clone();
    let job = Job {
        ctx: &ctx,
        file: &file,
        retries: AtomicU32::new(0),
        counted: AtomicU64::new(0),
    };
    match try_upload(&job, path, &mut outcome).await {
        Ok(stored) => {
            outcome.ok = true;
            outcome.uri = Some(stored.uri);
            outcome.url = Some(stored.url);
        }
        Err(error) => {
            outcome.status = error.status;
            outcome.error = Some(error.message);
        }
    }
    outcome.retries = job.retries.load(Ordering::Relaxed);
    // The run's bar counts every byte of a finished file, sent or not.
    let counted = job.counted.load(Ordering::Relaxed);
    ctx.progress.sent(outcome.size.saturating_sub(counted));
    outcome
}

async fn try_upload(
    job: &Job<'_>,
    path: &Path,
    outcome: &mut Outcome,
) -> Result<Stored, ClientError> {
    let ctx = job.ctx;
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| ClientError::fatal(format!("cannot read the file: {e}")))?;
    let size = bytes.len() as u64;
    outcome.size = size;
    let ext = check_type(ctx, path, &bytes)?;
    let key = super::cache::Cache::key(
        &ctx.options.server,
        ctx.options.biz_type.code(),
        &hex::encode(Sha256::digest(&bytes)),
    );
    if ctx.options.use_cache
        && let Some(hit) = ctx.cache.uploaded(&key)
    {
        outcome.cached = true;
        return Ok(Stored {
            uri: hit.uri,
            url: hit.url,
        });
    }
    let route = route(ctx, size);
    outcome.method = Some(route.name());
    let bar = ctx.progress.file(&outcome.file, size);
    let sent = send(job, route, &key, &ext, bytes, &bar, outcome).await;
    ctx.progress.file_finished(&bar);
    let stored = sent?;
    let _ = ctx.cache.remember(
        &key,
        &CachedUpload {
            uri: stored.uri.clone(),
            url: stored.url.clone(),
        },
    );
    Ok(stored)
}

/// How a file of `size` bytes travels, by the options and the server's limits.
fn route(ctx: &Context, size: u64) -> Route {
    let options = &ctx.options;
    ctx.limits.route(
        options.method,
        size,
        options.chunk_threshold,
        options.part_size,
    )
}

async fn send(
    job: &Job<'_>,
    route: Route,
    key: &str,
    ext: &str,
    bytes: Vec<u8>,
    bar: &ProgressBar,
    outcome: &mut Outcome,
) -> Result<Stored, ClientError> {
    match route {
        Route::Base64 => match base64(job, ext, bytes.clone()).await {
            // A server that did not say its limits, whose Base64 limit is lower than the
            // default: the ImageX flow takes the file.
            Err(error)
                if job.ctx.options.method == UploadMethod::Auto && error.status == Some(413) =>
            {
                outcome.method = Some(Route::Direct.name());
                direct(job, ext, bytes).await
            }
            other => other,
        },
        Route::Direct => direct(job, ext, bytes).await,
        Route::Chunked { part_size } => {
            chunked(job, key, ext, bytes, part_size, bar, outcome).await
        }
    }
}

/// Refuses, before sending, a file whose bytes are not what its name says or that the biz
/// type does not take; answers the extension to declare.
fn check_type(ctx: &Context, path: &Path, bytes: &[u8]) -> Result<String, ClientError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let declared = FileType::from_extension(&ext)
        .ok_or_else(|| ClientError::fatal(format!("`.{ext}` is not a type imgate takes")))?;
    let found = media::resolve(declared, bytes).map_err(|e| ClientError::fatal(e.to_string()))?;
    if !found.is_input() {
        return Err(ClientError::fatal(format!(
            "{} is not a type imgate takes as an upload",
            found.describe()
        )));
    }
    let biz = ctx.options.biz_type;
    if !ctx.limits.accepts(biz, found.category()) {
        return Err(ClientError::fatal(ctx.limits.refusal(
            biz,
            found.category(),
            found.describe(),
        )));
    }
    Ok(found.extension().to_owned())
}

async fn base64(job: &Job<'_>, ext: &str, bytes: Vec<u8>) -> Result<Stored, ClientError> {
    use base64::Engine;
    let size = bytes.len() as u64;
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    let biz = job.ctx.options.biz_type.code();
    let stored = job
        .call(|| job.ctx.api.base64_upload(ext, biz, data.clone()))
        .await?;
    job.sent(size);
    Ok(stored)
}

async fn direct(job: &Job<'_>, ext: &str, bytes: Vec<u8>) -> Result<Stored, ClientError> {
    let api = &job.ctx.api;
    let ticket = apply(job, ext, bytes.len() as u64).await?;
    job.call(|| api.upload_direct(&ticket, bytes.clone()))
        .await?;
    job.sent(bytes.len() as u64);
    job.call(|| api.commit(&ticket)).await
}

async fn apply(job: &Job<'_>, ext: &str, size: u64) -> Result<Ticket, ClientError> {
    let biz = job.ctx.options.biz_type.code();
    job.call(|| job.ctx.api.apply(ext, biz, size)).await
}

/// Parts from 1, `part_concurrency` at a time; parts the server already has (from an
/// earlier, interrupted run) are not sent again.
async fn chunked(
    job: &Job<'_>,
    key: &str,
    ext: &str,
    bytes: Vec<u8>,
    part_size: usize,
    bar: &ProgressBar,
    outcome: &mut Outcome,
) -> Result<Stored, ClientError> {
    let ctx = job.ctx;
    let (state, received) = resume_or_start(job, key, ext, bytes.len() as u64, part_size).await?;
    outcome.resumed_parts = Some(received.len());
    let size = state.part_size.max(1);
    let parts: Vec<(usize, usize)> = (0..bytes.len().div_ceil(size))
        .map(|i| (i + 1, i * size))
        .collect();
    let api: &Api = &ctx.api;
    let list: Vec<String> = stream::iter(parts)
        .map(|(number, start)| {
            let part = &bytes[start..(start + size).min(bytes.len())];
            send_part(job, &state, &received, (number, part), bar)
        })
        .buffered(ctx.options.part_concurrency.max(1))
        .try_collect()
        .await?;
    job.call(|| api.complete(&state.ticket, &state.upload_id, list.join(",")))
        .await?;
    let stored = job.call(|| api.commit(&state.ticket)).await?;
    ctx.cache.forget_resume(key);
    Ok(stored)
}

/// Sends part `number` unless the server has it already; answers its `number:crc` entry
/// of the part list.
async fn send_part(
    job: &Job<'_>,
    state: &ResumeState,
    received: &[(usize, String)],
    (number, part): (usize, &[u8]),
    bar: &ProgressBar,
) -> Result<String, ClientError> {
    let crc = format!("{:08x}", crc32fast::hash(part));
    if !received.iter().any(|(n, c)| *n == number && *c == crc) {
        job.call(|| {
            job.ctx
                .api
                .upload_part(&state.ticket, &state.upload_id, number, part.to_vec())
        })
        .await?;
    }
    bar.inc(part.len() as u64);
    job.sent(part.len() as u64);
    Ok(format!("{number}:{crc}"))
}

async fn resume_or_start(
    job: &Job<'_>,
    key: &str,
    ext: &str,
    size: u64,
    part_size: usize,
) -> Result<(ResumeState, Vec<(usize, String)>), ClientError> {
    let ctx = job.ctx;
    if let Some(state) = ctx.cache.resume_state(key) {
        match job
            .call(|| ctx.api.received_parts(&state.ticket, &state.upload_id))
            .await
        {
            Ok(received) => return Ok((state, received)),
            Err(error) if !error.retryable => ctx.cache.forget_resume(key),
            Err(error) => return Err(error),
        }
    }
    let ticket = apply(job, ext, size).await?;
    let upload_id = job.call(|| ctx.api.start_chunked(&ticket)).await?;
    let state = ResumeState {
        ticket,
        upload_id,
        part_size,
    };
    let _ = ctx.cache.save_resume(key, &state);
    Ok((state, Vec::new()))
}
