//! One file's upload: cache lookup, local type check, then Base64 or the ImageX flow
//! (direct, or chunked with parallel parts and resume), with retries around each call.

use std::path::Path;
use std::sync::Arc;

use futures_util::stream::{self, StreamExt, TryStreamExt};
use indicatif::ProgressBar;
use sha2::{Digest, Sha256};

use super::api::{Api, Stored, Ticket};
use super::cache::{CachedUpload, ResumeState};
use super::{ClientError, Context, Outcome, UploadMethod};
use crate::media::{self, FileType};

pub async fn upload(ctx: Arc<Context>, path: &Path) -> Outcome {
    let mut outcome = Outcome::new(path);
    match try_upload(&ctx, path, &mut outcome).await {
        Ok(stored) => {
            outcome.ok = true;
            outcome.uri = Some(stored.uri);
            outcome.url = Some(stored.url);
        }
        Err(error) => outcome.error = Some(error.message),
    }
    outcome
}

async fn try_upload(
    ctx: &Context,
    path: &Path,
    outcome: &mut Outcome,
) -> Result<Stored, ClientError> {
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| ClientError::fatal(format!("cannot read the file: {e}")))?;
    let size = bytes.len() as u64;
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
        ctx.progress.sent(size);
        return Ok(Stored {
            uri: hit.uri,
            url: hit.url,
        });
    }
    let use_base64 = match ctx.options.method {
        UploadMethod::Base64 => true,
        UploadMethod::Imagex => false,
        UploadMethod::Auto => size <= ctx.options.base64_limit,
    };
    let bar = ctx.progress.file(&outcome.file, size);
    let stored = if use_base64 {
        outcome.method = Some("base64");
        match base64(ctx, &ext, bytes.clone()).await {
            // A server with a lower Base64 limit than the default: use the ImageX flow.
            Err(error)
                if ctx.options.method == UploadMethod::Auto && error.message.starts_with("413") =>
            {
                outcome.method = Some("imagex");
                direct(ctx, &ext, bytes).await?
            }
            other => other?,
        }
    } else if size > ctx.options.chunk_threshold {
        outcome.method = Some("imagex-chunked");
        chunked(ctx, &key, &ext, bytes, &bar, outcome).await?
    } else {
        outcome.method = Some("imagex");
        direct(ctx, &ext, bytes).await?
    };
    bar.finish_and_clear();
    ctx.progress.sent(size);
    let _ = ctx.cache.remember(
        &key,
        &CachedUpload {
            uri: stored.uri.clone(),
            url: stored.url.clone(),
        },
    );
    Ok(stored)
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
    let biz = ctx.options.biz_type;
    if !biz.accepts(found.category()) {
        return Err(ClientError::fatal(format!(
            "{biz} takes {}, not {}",
            biz.accepted_description(),
            found.describe()
        )));
    }
    Ok(found.extension().to_owned())
}

async fn base64(ctx: &Context, ext: &str, bytes: Vec<u8>) -> Result<Stored, ClientError> {
    use base64::Engine;
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    let biz = ctx.options.biz_type.code();
    ctx.retry
        .run(|| ctx.api.base64_upload(ext, biz, data.clone()))
        .await
}

async fn direct(ctx: &Context, ext: &str, bytes: Vec<u8>) -> Result<Stored, ClientError> {
    let ticket = apply(ctx, ext, bytes.len() as u64).await?;
    ctx.retry
        .run(|| ctx.api.upload_direct(&ticket, bytes.clone()))
        .await?;
    ctx.retry.run(|| ctx.api.commit(&ticket)).await
}

async fn apply(ctx: &Context, ext: &str, size: u64) -> Result<Ticket, ClientError> {
    let biz = ctx.options.biz_type.code();
    ctx.retry.run(|| ctx.api.apply(ext, biz, size)).await
}

/// Parts from 1, `part_concurrency` at a time; parts the server already has (from an
/// earlier, interrupted run) are not sent again.
async fn chunked(
    ctx: &Context,
    key: &str,
    ext: &str,
    bytes: Vec<u8>,
    bar: &ProgressBar,
    outcome: &mut Outcome,
) -> Result<Stored, ClientError> {
    let (state, received) = resume_or_start(ctx, key, ext, bytes.len() as u64).await?;
    outcome.resumed_parts = Some(received.len());
    let size = state.part_size.max(1);
    let parts: Vec<(usize, usize)> = (0..bytes.len().div_ceil(size))
        .map(|i| (i + 1, i * size))
        .collect();
    let api: &Api = &ctx.api;
    let bytes = &bytes;
    let list: Vec<String> = stream::iter(parts)
        .map(|(number, start)| {
            let (state, received) = (&state, &received);
            async move {
                let part = &bytes[start..(start + size).min(bytes.len())];
                let crc = format!("{:08x}", crc32fast::hash(part));
                if !received.iter().any(|(n, c)| *n == number && *c == crc) {
                    ctx.retry
                        .run(|| {
                            api.upload_part(&state.ticket, &state.upload_id, number, part.to_vec())
                        })
                        .await?;
                }
                bar.inc(part.len() as u64);
                Ok::<_, ClientError>(format!("{number}:{crc}"))
            }
        })
        .buffered(ctx.options.part_concurrency.max(1))
        .try_collect()
        .await?;
    ctx.retry
        .run(|| api.complete(&state.ticket, &state.upload_id, list.join(",")))
        .await?;
    let stored = ctx.retry.run(|| api.commit(&state.ticket)).await?;
    ctx.cache.forget_resume(key);
    Ok(stored)
}

async fn resume_or_start(
    ctx: &Context,
    key: &str,
    ext: &str,
    size: u64,
) -> Result<(ResumeState, Vec<(usize, String)>), ClientError> {
    if let Some(state) = ctx.cache.resume_state(key) {
        match ctx
            .retry
            .run(|| ctx.api.received_parts(&state.ticket, &state.upload_id))
            .await
        {
            Ok(received) => return Ok((state, received)),
            Err(error) if !error.retryable => ctx.cache.forget_resume(key),
            Err(error) => return Err(error),
        }
    }
    let ticket = apply(ctx, ext, size).await?;
    let upload_id = ctx.retry.run(|| ctx.api.start_chunked(&ticket)).await?;
    let state = ResumeState {
        ticket,
        upload_id,
        part_size: ctx.options.part_size,
    };
    let _ = ctx.cache.save_resume(key, &state);
    Ok((state, Vec::new()))
}
