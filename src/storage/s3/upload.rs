//! `put` on S3. The body is cut into parts of `part_bytes`: one part goes up as a single
//! `PutObject`; more become a multipart upload with two parts in flight while the next is
//! read, aborted when it fails or is cancelled, so no half-written object remains and no
//! stray parts but those of a process that died mid-upload.

use std::io;

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::{Bytes, BytesMut};
use futures_util::stream::{self, Stream, StreamExt, TryStreamExt};

use super::S3Storage;
use super::errors::classify;
use crate::storage::{ByteStream, ObjectKey, StorageError};

/// Parts sent at the same time.
const PARTS_IN_FLIGHT: usize = 2;

pub(super) async fn put(
    store: &S3Storage,
    key: &ObjectKey,
    body: ByteStream,
) -> Result<u64, StorageError> {
    let body_error = |source: io::Error| StorageError::Io {
        key: key.to_string(),
        source,
    };
    let mut parts = Box::pin(rechunk(body, store.part_bytes).peekable());
    let first = match parts.next().await {
        Some(part) => part.map_err(body_error)?,
        None => Bytes::new(),
    };
    if parts.as_mut().peek().await.is_none() {
        let size = first.len() as u64;
        store
            .client
            .put_object()
            .bucket(&store.bucket)
            .key(store.full_key(key))
            .body(first.into())
            .send()
            .await
            .map_err(|e| classify(e, key))?;
        return Ok(size);
    }
    let upload_id = store
        .client
        .create_multipart_upload()
        .bucket(&store.bucket)
        .key(store.full_key(key))
        .send()
        .await
        .map_err(|e| classify(e, key))?
        .upload_id
        .ok_or_else(|| StorageError::Unavailable("S3 gave no multipart upload id".into()))?;
    // Aborts the upload unless it completes, also when this future is dropped part way.
    let mut guard = AbortGuard::new(store, key, &upload_id);
    let all = stream::once(async { Ok(first) }).chain(parts);
    let size = send_parts(store, key, &upload_id, all).await?;
    guard.disarm();
    Ok(size)
}

/// Aborts a multipart upload that did not complete.
pub(super) struct AbortGuard {
    store: S3Storage,
    key: ObjectKey,
    upload_id: Option<String>,
}

impl AbortGuard {
    pub(super) fn new(store: &S3Storage, key: &ObjectKey, upload_id: &str) -> Self {
        Self {
            store: store.clone(),
            key: key.clone(),
            upload_id: Some(upload_id.to_owned()),
        }
    }

    /// The upload completed: nothing to abort.
    pub(super) fn disarm(&mut self) {
        self.upload_id = None;
    }
}

impl Drop for AbortGuard {
    fn drop(&mut self) {
        let Some(upload_id) = self.upload_id.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(key = %self.key, "no runtime to abort a multipart upload");
            return;
        };
        let (store, key) = (self.store.clone(), self.key.clone());
        runtime.spawn(async move {
            let abort = store
                .client
                .abort_multipart_upload()
                .bucket(&store.bucket)
                .key(store.full_key(&key))
                .upload_id(upload_id)
                .send()
                .await;
            if let Err(e) = abort {
                tracing::warn!(%key, error = %classify(e, &key), "could not abort a multipart upload");
            }
        });
    }
}

/// Uploads the parts and completes the upload; answers the object's size.
async fn send_parts(
    store: &S3Storage,
    key: &ObjectKey,
    upload_id: &str,
    parts: impl Stream<Item = io::Result<Bytes>>,
) -> Result<u64, StorageError> {
    let full_key = store.full_key(key);
    let sent: Vec<(CompletedPart, u64)> = parts
        .enumerate()
        .map(|(index, part)| {
            let full_key = &full_key;
            async move {
                let part = part.map_err(|source| StorageError::Io {
                    key: key.to_string(),
                    source,
                })?;
                let number = i32::try_from(index + 1)
                    .map_err(|_| StorageError::Unavailable("too many parts".into()))?;
                let size = part.len() as u64;
                let output = store
                    .client
                    .upload_part()
                    .bucket(&store.bucket)
                    .key(full_key)
                    .upload_id(upload_id)
                    .part_number(number)
                    .body(part.into())
                    .send()
                    .await
                    .map_err(|e| classify(e, key))?;
                let done = CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(output.e_tag)
                    .build();
                Ok::<_, StorageError>((done, size))
            }
        })
        .buffered(PARTS_IN_FLIGHT)
        .try_collect()
        .await?;
    let size = sent.iter().map(|(_, size)| size).sum();
    let completed = CompletedMultipartUpload::builder()
        .set_parts(Some(sent.into_iter().map(|(part, _)| part).collect()))
        .build();
    store
        .client
        .complete_multipart_upload()
        .bucket(&store.bucket)
        .key(full_key)
        .upload_id(upload_id)
        .multipart_upload(completed)
        .send()
        .await
        .map_err(|e| classify(e, key))?;
    Ok(size)
}

/// Regroups a body into parts of exactly `size` bytes, the last one shorter. A chunk that
/// holds whole parts (a body already in memory) is sliced, not copied.
fn rechunk(body: ByteStream, size: usize) -> impl Stream<Item = io::Result<Bytes>> {
    let state = (body, Bytes::new(), BytesMut::new(), false);
    stream::try_unfold(
        state,
        move |(mut body, mut pending, mut buffer, mut ended)| async move {
            loop {
                if buffer.is_empty() && pending.len() >= size {
                    let part = pending.split_to(size);
                    return Ok(Some((part, (body, pending, buffer, ended))));
                }
                let wanted = size - buffer.len();
                buffer.extend_from_slice(&pending.split_to(wanted.min(pending.len())));
                if buffer.len() == size || (ended && !buffer.is_empty()) {
                    let part = buffer.split().freeze();
                    return Ok(Some((part, (body, pending, buffer, ended))));
                }
                if ended {
                    return Ok(None);
                }
                match body.next().await {
                    Some(chunk) => pending = chunk?,
                    None => ended = true,
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bodies_are_regrouped_into_whole_parts() {
        let chunks: Vec<io::Result<Bytes>> = [&b"abc"[..], b"defgh", b"", b"ij"]
            .iter()
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let parts: Vec<Bytes> = rechunk(stream::iter(chunks).boxed(), 4)
            .try_collect()
            .await
            .expect("no errors");
        assert_eq!(parts, vec![&b"abcd"[..], b"efgh", b"ij"]);
        let whole = Bytes::from_static(b"0123456789");
        let sliced: Vec<Bytes> = rechunk(stream::iter([Ok(whole.clone())]).boxed(), 4)
            .try_collect()
            .await
            .expect("no errors");
        assert_eq!(sliced, vec![&b"0123"[..], b"4567", b"89"]);
        assert_eq!(
            sliced[1].as_ptr(),
            whole[4..].as_ptr(),
            "a body in memory is sliced, not copied"
        );
        let none: Vec<Bytes> = rechunk(stream::empty().boxed(), 4)
            .try_collect()
            .await
            .expect("empty");
        assert!(none.is_empty());
    }

    #[tokio::test]
    async fn a_body_error_ends_the_parts_with_it() {
        let chunks = vec![
            Ok(Bytes::from_static(b"abcdef")),
            Err(io::Error::other("cut off")),
        ];
        let mut parts = Box::pin(rechunk(stream::iter(chunks).boxed(), 4));
        assert_eq!(
            parts.next().await.and_then(Result::ok),
            Some(Bytes::from_static(b"abcd"))
        );
        assert!(matches!(parts.next().await, Some(Err(_))));
    }
}
