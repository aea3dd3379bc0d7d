//! Server-side copies on S3: an object made from objects already in the bucket (a staged
//! upload becoming an object) without the bytes passing through imgate. One source is a
//! `CopyObject`; several are a multipart upload of `UploadPartCopy` parts, aborted if it
//! does not complete.

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

use super::S3Storage;
use super::errors::classify;
use super::upload::AbortGuard;
use crate::storage::{CopySource, MIN_PART_BYTES, ObjectKey, StorageError};

/// Largest object one `CopyObject` may copy, and largest part of an `UploadPartCopy`.
const MAX_COPY_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// Whether S3 can join `sources` into one object in this bucket: all in it, none over
/// 5 GiB, and every one but the last at least 5 MiB (S3's least part).
pub(super) fn can_compose(store: &S3Storage, sources: &[CopySource]) -> bool {
    let Some((_, leading)) = sources.split_last() else {
        return false;
    };
    sources
        .iter()
        .all(|s| s.bucket == store.bucket && s.size <= MAX_COPY_BYTES)
        && leading.iter().all(|s| s.size >= MIN_PART_BYTES)
}

/// `bucket/key`, as `x-amz-copy-source` wants it (each key segment percent-encoded).
fn copy_source(source: &CopySource) -> String {
    let key: Vec<String> = source.key.split('/').map(encode_segment).collect();
    format!("{}/{}", source.bucket, key.join("/"))
}

fn encode_segment(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

pub(super) async fn compose(
    store: &S3Storage,
    key: &ObjectKey,
    sources: &[CopySource],
) -> Result<(), StorageError> {
    let full_key = store.full_key(key);
    if let [single] = sources {
        store
            .client
            .copy_object()
            .bucket(&store.bucket)
            .key(&full_key)
            .copy_source(copy_source(single))
            .send()
            .await
            .map_err(|e| classify(e, key))?;
        return Ok(());
    }
    let upload_id = store
        .client
        .create_multipart_upload()
        .bucket(&store.bucket)
        .key(&full_key)
        .send()
        .await
        .map_err(|e| classify(e, key))?
        .upload_id
        .ok_or_else(|| StorageError::Unavailable("S3 gave no multipart upload id".into()))?;
    let mut guard = AbortGuard::new(store, key, &upload_id);
    let mut parts = Vec::with_capacity(sources.len());
    for (index, source) in sources.iter().enumerate() {
        let number = i32::try_from(index + 1)
            .map_err(|_| StorageError::Unavailable("too many parts".into()))?;
        let copied = store
            .client
            .upload_part_copy()
            .bucket(&store.bucket)
            .key(&full_key)
            .upload_id(&upload_id)
            .part_number(number)
            .copy_source(copy_source(source))
            .send()
            .await
            .map_err(|e| classify(e, key))?;
        let e_tag = copied
            .copy_part_result()
            .and_then(|r| r.e_tag().map(str::to_owned));
        parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(e_tag)
                .build(),
        );
    }
    store
        .client
        .complete_multipart_upload()
        .bucket(&store.bucket)
        .key(&full_key)
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .map_err(|e| classify(e, key))?;
    guard.disarm();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_sources_are_encoded_by_segment() {
        let source = CopySource {
            bucket: "b".into(),
            key: ".staging/ab12/part-1".into(),
            size: 1,
        };
        assert_eq!(copy_source(&source), "b/.staging/ab12/part-1");
        assert_eq!(encode_segment("a b+c"), "a%20b%2Bc");
    }
}
