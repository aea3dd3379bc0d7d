//! What the upload host receives for a whole file: a direct upload (which replaces any
//! parts of a chunked one begun before, API.md 4.2) and the start of a chunked upload.

use bytes::Bytes;
use futures_util::Stream;

use super::crc::Crc32;
use super::{SessionError, Sessions, Upload};
use crate::ingest::Staged;
use crate::metrics::{self, UploadMethod};
use crate::random::random_hex;

/// A body on its way in: its chunks, the length the client declared, and the CRC32 it
/// must have (when the client said).
#[derive(Debug)]
pub struct Body<S> {
    pub chunks: S,
    pub declared_length: Option<u64>,
    pub crc32: Option<Crc32>,
}

impl<S> Body<S> {
    /// Refuses from the declared length alone a body certainly over `limit`.
    pub(super) fn check_length(&self, limit: u64, limit_name: &str) -> Result<(), SessionError> {
        match self.declared_length {
            Some(length) if length > limit => Err(SessionError::TooLarge(format!(
                "the body ({length} bytes) is over the {limit_name} of {limit} bytes"
            ))),
            _ => Ok(()),
        }
    }
}

impl Sessions {
    /// Stages `body` as the whole file of `upload`.
    pub async fn write_direct<S, E>(
        &self,
        upload: &Upload,
        body: Body<S>,
    ) -> Result<Staged, SessionError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        const LIMIT_NAME: &str = "upload limit";
        let record = &upload.record;
        let limit = self.limits.max_file_bytes;
        body.check_length(limit, LIMIT_NAME)?;
        let staged = self
            .staging
            .write(
                &record.upload_id,
                None,
                body.chunks,
                (limit, LIMIT_NAME),
                body.crc32.map(|c| c.0),
            )
            .await?;
        if record.chunked_id.is_some() {
            // A client that began a chunked upload may still send the file whole.
            self.catalog.drop_chunked(&record.store_uri).await?;
            self.staging.remove_parts(&record.upload_id).await?;
        }
        metrics::get()
            .uploads
            .received(UploadMethod::ImagexDirect, staged.size);
        let crc = Crc32(staged.crc32).to_string();
        self.catalog
            .mark_uploaded(&record.store_uri, staged.size as i64, &crc)
            .await?;
        Ok(staged)
    }

    /// Starts a chunked upload (or answers the one already started); answers its uploadID.
    pub async fn start_chunked(&self, upload: &Upload) -> Result<String, SessionError> {
        if let Some(existing) = &upload.record.chunked_id {
            return Ok(existing.clone());
        }
        let id = random_hex(16);
        if self
            .catalog
            .start_chunked(&upload.record.store_uri, &id)
            .await?
        {
            Ok(id)
        } else {
            Err(SessionError::CannotStartChunked)
        }
    }
}
