//! Committing a staged file without holding it: an image is read whole only once the
//! processing pool admits it (its memory estimated from the head), so a queued commit
//! holds no bytes; anything else (documents, archives, the 100 MiB PDF) streams through a
//! sniffer and the hashes, a few buffers at a time, and is copied into the object store
//! afterwards (inside the store where it can), whatever its size.

use std::sync::Arc;

use futures_util::StreamExt;
use md5::Md5;
use sha2::{Digest, Sha256};

use super::staging::read_error;
use super::store::Body;
use super::{
    Declared, Ingest, IngestError, Prepared, PreparedFile, StagedFile, accept_detected,
    declared_or_detected, declared_type, prepare,
};
use crate::biz::BizType;
use crate::media::{self, Category, Detected, FileType, Sniffer};
use crate::pipeline::JobCost;

/// Bytes read ahead to tell an image and its size: enough for the header segments (EXIF,
/// ICC) a JPEG puts before its frame.
const HEAD: usize = 64 * 1024;

/// What streaming a file through showed.
struct Seen {
    detected: Detected,
    size: u64,
    crc32: u32,
    sha256: String,
    md5: String,
}

impl Ingest {
    /// Checks and prepares the staged `file` of the upload `origin`.
    pub(super) async fn prepare_staged(
        &self,
        biz: BizType,
        declared: Declared,
        file: &StagedFile,
        origin: &str,
    ) -> Result<Prepared, IngestError> {
        let head = self.staging.head(file, HEAD).await?;
        match media::sniff(&head) {
            Detected::File(found) if found.category() == Category::Image => {
                self.prepare_staged_image(biz, declared, file, &head, origin)
                    .await
            }
            _ => self.prepare_streamed(biz, declared, file, origin).await,
        }
    }

    async fn prepare_staged_image(
        &self,
        biz: BizType,
        declared: Declared,
        file: &StagedFile,
        head: &[u8],
        origin: &str,
    ) -> Result<Prepared, IngestError> {
        let cost = JobCost::estimate(head)
            .capped(self.settings.limits.max_decode_bytes)
            .holding(file.size);
        let reservation = self.pool.reserve(cost).await?;
        let bytes = self.staging.read(file).await?;
        let (size, crc32) = (bytes.len() as u64, crc32fast::hash(&bytes));
        check_unchanged(file, size, crc32, origin)?;
        let settings = Arc::clone(&self.settings);
        reservation
            .run(move || {
                let declared = match declared {
                    Declared::Type(file_type) => file_type,
                    Declared::Name(name) => declared_type(&name, &bytes)?,
                };
                prepare(biz, declared, bytes, &settings)
            })
            .await?
    }

    async fn prepare_streamed(
        &self,
        biz: BizType,
        declared: Declared,
        file: &StagedFile,
        origin: &str,
    ) -> Result<Prepared, IngestError> {
        let seen = self.stream_through(file).await?;
        check_unchanged(file, seen.size, seen.crc32, origin)?;
        let declared = match declared {
            Declared::Type(file_type) => file_type,
            Declared::Name(name) => declared_or_detected(&name, || seen.detected)?,
        };
        let file_type: FileType = accept_detected(biz, declared, seen.detected)?;
        let original = PreparedFile {
            file_type,
            body: Body::Staged(file.clone()),
            size: seen.size,
            sha256: seen.sha256,
            md5: seen.md5,
            dimensions: None,
        };
        Ok(Prepared {
            original,
            variants: Vec::new(),
        })
    }

    /// Reads the staged file once, identifying and hashing it on the way.
    async fn stream_through(&self, file: &StagedFile) -> Result<Seen, IngestError> {
        let mut body = self.staging.stream(file)?;
        let mut sniffer = Sniffer::default();
        let (mut sha256, mut md5) = (Sha256::new(), Md5::new());
        let mut crc32 = crc32fast::Hasher::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(read_error)?;
            sniffer.update(&chunk);
            sha256.update(&chunk);
            md5.update(&chunk);
            crc32.update(&chunk);
        }
        Ok(Seen {
            size: sniffer.len(),
            detected: sniffer.finish(),
            crc32: crc32.finalize(),
            sha256: hex::encode(sha256.finalize()),
            md5: hex::encode(md5.finalize()),
        })
    }
}

/// The bytes read back must be the ones the upload host confirmed: a part that arrived
/// late, after the complete, would otherwise change the file under its announced CRC32.
fn check_unchanged(
    file: &StagedFile,
    size: u64,
    crc32: u32,
    origin: &str,
) -> Result<(), IngestError> {
    if size == file.size && crc32 == file.crc32 {
        return Ok(());
    }
    Err(IngestError::Changed {
        origin: origin.to_owned(),
        then: format!("{:08x}", file.crc32),
        now: format!("{crc32:08x}"),
    })
}
