//! Chunked uploads: parts (numbered from 0 as the SDKs do, or from 1 as tt-uploader
//! does), the resume listing, and the complete that settles which parts make the file and
//! in what order. Completing copies nothing: the whole file's CRC32 is combined from the
//! parts', and the parts are read in order at commit.

use std::collections::HashMap;

use bytes::Bytes;
use futures_util::Stream;

use super::crc::Crc32;
use super::{Body, PartList, SessionError, Sessions, Upload};
use crate::catalog::{PartRecord, UploadState};
use crate::metrics::{self, UploadMethod};

/// The file a complete settled: its size and CRC32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    pub size: u64,
    pub crc32: Crc32,
}

impl Sessions {
    /// Stages part `number` (as the client wrote it) of the chunked upload `id`.
    pub async fn write_part<S, E>(
        &self,
        upload: &Upload,
        id: &str,
        number: &str,
        body: Body<S>,
    ) -> Result<PartRecord, SessionError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        check_chunked_id(upload, id)?;
        if upload.record.state == UploadState::Uploaded {
            return Err(SessionError::PartsSettled(id.to_owned()));
        }
        let max_parts = self.limits.max_parts;
        let number = part_number(number, max_parts)?;
        let uri = upload.store_uri();
        let parts = self.catalog.parts(uri).await?;
        let is_new = parts.iter().all(|p| p.part_number != number);
        if is_new && parts.len() >= max_parts as usize {
            return Err(SessionError::TooManyParts(max_parts));
        }
        let (limit, limit_name) = self.part_limit(&parts, number);
        body.check_length(limit, limit_name)?;
        let staged = self
            .staging
            .write(
                &upload.record.upload_id,
                Some(number),
                body.chunks,
                (limit, limit_name),
                body.crc32.map(|c| c.0),
            )
            .await?;
        // Parts written at the same time each saw room for themselves: check the total again.
        let others = others_total(&self.catalog.parts(uri).await?, number);
        let max_file = self.limits.max_file_bytes;
        if others + staged.size > max_file {
            self.forget_part(upload, number).await?;
            return Err(SessionError::TooLarge(format!(
                "the parts add up to more than the upload limit of {max_file} bytes"
            )));
        }
        metrics::get()
            .uploads
            .received(UploadMethod::ImagexChunked, staged.size);
        let record = PartRecord {
            part_number: number,
            size: staged.size as i64,
            crc32: Crc32(staged.crc32).to_string(),
        };
        self.catalog.record_part(uri, &record).await?;
        Ok(record)
    }

    /// The largest part `number` may be: the part limit, or what the other parts leave
    /// of the upload limit.
    fn part_limit(&self, parts: &[PartRecord], number: i64) -> (u64, &'static str) {
        let room = self
            .limits
            .max_file_bytes
            .saturating_sub(others_total(parts, number));
        if room < self.limits.max_part_bytes {
            (
                room,
                "upload limit (what is left of it after the other parts)",
            )
        } else {
            (self.limits.max_part_bytes, "part limit")
        }
    }

    /// The parts received so far (to resume).
    pub async fn list_parts(
        &self,
        upload: &Upload,
        id: &str,
    ) -> Result<Vec<PartRecord>, SessionError> {
        check_chunked_id(upload, id)?;
        Ok(self.catalog.parts(upload.store_uri()).await?)
    }

    /// Settles the file as the parts `list` names, in its order; parts sent but not listed
    /// are dropped. A complete sent again answers the file it settled.
    pub async fn complete(
        &self,
        upload: &Upload,
        id: &str,
        list: &str,
    ) -> Result<Settled, SessionError> {
        check_chunked_id(upload, id)?;
        if upload.record.state == UploadState::Uploaded {
            // A complete sent again (its answer was lost): the file is already settled.
            return settled(upload);
        }
        let list = PartList::parse(list)?;
        let max_parts = self.limits.max_parts;
        if list.len() > max_parts as usize {
            return Err(SessionError::TooManyParts(max_parts));
        }
        let uri = upload.store_uri();
        let mut recorded: HashMap<i64, PartRecord> = self
            .catalog
            .parts(uri)
            .await?
            .into_iter()
            .map(|p| (p.part_number, p))
            .collect();
        let settled = settle(&list, &mut recorded)?;
        let limit = self.limits.max_file_bytes;
        if settled.size > limit {
            return Err(SessionError::TooLarge(format!(
                "the parts add up to {} bytes, over the upload limit of {limit} bytes",
                settled.size
            )));
        }
        for unlisted in recorded.into_keys() {
            self.forget_part(upload, unlisted).await?;
        }
        let crc = settled.crc32.to_string();
        self.catalog
            .mark_uploaded(uri, settled.size as i64, &crc)
            .await?;
        Ok(settled)
    }

    /// Drops a part from the catalog and then from staging.
    async fn forget_part(&self, upload: &Upload, number: i64) -> Result<(), SessionError> {
        self.catalog.forget_part(upload.store_uri(), number).await?;
        self.staging
            .remove_part(&upload.record.upload_id, number)
            .await?;
        Ok(())
    }
}

/// `0` to `max_parts`, as the client wrote it.
fn part_number(text: &str, max_parts: u32) -> Result<i64, SessionError> {
    text.parse::<i64>()
        .ok()
        .filter(|n| (0..=i64::from(max_parts)).contains(n))
        .ok_or_else(|| SessionError::BadPartNumber {
            text: text.chars().take(40).collect(),
            max: max_parts,
        })
}

fn check_chunked_id(upload: &Upload, id: &str) -> Result<(), SessionError> {
    if upload.record.chunked_id.as_deref() == Some(id) {
        Ok(())
    } else {
        Err(SessionError::UnknownUploadId(id.chars().take(64).collect()))
    }
}

/// The file the listed parts make, taken out of `recorded`: its size, and its CRC32
/// combined from the parts' without reading them.
fn settle(
    list: &PartList,
    recorded: &mut HashMap<i64, PartRecord>,
) -> Result<Settled, SessionError> {
    let mut size = 0u64;
    let mut whole = crc32fast::Hasher::new();
    for &(number, listed) in &list.0 {
        let part = recorded
            .remove(&number)
            .ok_or(SessionError::MissingPart(number))?;
        let crc = stored_crc(&part.crc32)?;
        if let Some(listed) = listed
            && listed != crc
        {
            return Err(SessionError::PartCrcMismatch {
                number,
                listed: listed.0,
                actual: crc.0,
            });
        }
        let part_size = part.size as u64;
        size += part_size;
        whole.combine(&crc32fast::Hasher::new_with_initial_len(crc.0, part_size));
    }
    Ok(Settled {
        size,
        crc32: Crc32(whole.finalize()),
    })
}

/// What an earlier complete settled.
fn settled(upload: &Upload) -> Result<Settled, SessionError> {
    let record = &upload.record;
    let crc32 = stored_crc(record.crc32.as_deref().unwrap_or_default())?;
    let size = record.size.unwrap_or(0) as u64;
    Ok(Settled { size, crc32 })
}

/// A CRC32 the catalog recorded.
fn stored_crc(text: &str) -> Result<Crc32, SessionError> {
    text.parse()
        .map_err(|e| SessionError::Corrupt(format!("recorded {e}")))
}

/// Bytes in the parts other than `except`.
fn others_total(parts: &[PartRecord], except: i64) -> u64 {
    parts
        .iter()
        .filter(|p| p.part_number != except)
        .map(|p| p.size as u64)
        .sum()
}
