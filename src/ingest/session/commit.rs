//! The commit (`CommitImageUpload`): each file is claimed under a lease, read back from
//! staging, checked against what the upload host confirmed, and stored through the one
//! ingest entry point; its answer is recorded so a commit sent again answers the same. A
//! commit that fails gives its claim back; one that dies lets its lease lapse, and the next
//! commit takes over.

use std::time::Instant;

use serde_json::Value;

use super::Crc32;
use super::lease::Lease;
use super::{SessionError, Sessions, stem_of};
use crate::biz::BizType;
use crate::catalog::{ObjectRecord, UploadRecord, UploadSession, UploadState};
use crate::ingest::{Declared, NewObject, Source, StagedFile};
use crate::metrics::{self, UploadMethod};
use crate::pause;

/// Makes a committed file's answer from its StoreUri and its stored object's record.
pub type Describe<'a> = &'a (dyn Fn(&str, &ObjectRecord) -> Value + Sync);

impl Sessions {
    /// Commits the uploads named in `oids`, or, when none are named, every upload of the
    /// session whose bytes have arrived; answers each StoreUri with its answer.
    pub async fn commit(
        &self,
        session: &UploadSession,
        oids: &[String],
        describe: Describe<'_>,
    ) -> Result<Vec<(String, Value)>, SessionError> {
        let uploads = self.chosen(session, oids).await?;
        let mut answers = Vec::with_capacity(uploads.len());
        for upload in uploads {
            let answer = self.commit_one(session, &upload, describe).await?;
            answers.push((upload.store_uri, answer));
        }
        Ok(answers)
    }

    async fn chosen(
        &self,
        session: &UploadSession,
        oids: &[String],
    ) -> Result<Vec<UploadRecord>, SessionError> {
        let mut uploads = self.catalog.session_uploads(&session.session_key).await?;
        if oids.is_empty() {
            uploads.retain(|u| u.state != UploadState::Pending);
            return Ok(uploads);
        }
        oids.iter()
            .map(|oid| {
                uploads
                    .iter()
                    .find(|u| u.store_uri == *oid)
                    .cloned()
                    .ok_or_else(|| SessionError::NotInSession(oid.clone()))
            })
            .collect()
    }

    async fn commit_one(
        &self,
        session: &UploadSession,
        upload: &UploadRecord,
        describe: Describe<'_>,
    ) -> Result<Value, SessionError> {
        if let Some(saved) = upload.result.as_deref() {
            return saved_answer(saved);
        }
        if upload.state == UploadState::Pending {
            return Err(SessionError::NothingUploaded(upload.store_uri.clone()));
        }
        let Some(lease) = self.claim(&upload.store_uri).await? else {
            // Another commit holds it: answer what it answered, or ask to come back.
            let now = self.catalog.find_upload(&upload.store_uri).await?;
            return match now.and_then(|u| u.result) {
                Some(saved) => saved_answer(&saved),
                None => Err(SessionError::Busy(upload.store_uri.clone())),
            };
        };
        pause::here("commit:claimed").await;
        let start = Instant::now();
        let outcome = self.store(session, upload, &lease, describe).await;
        count_commit(session, upload, start, &outcome);
        if outcome.is_err() {
            self.catalog
                .release_upload(&upload.store_uri, &lease.claim)
                .await?;
        }
        outcome
    }

    /// Turns a claimed upload into an object and records the answer. After a takeover,
    /// the object the lapsed commit stored before it died is found, not stored again.
    async fn store(
        &self,
        session: &UploadSession,
        upload: &UploadRecord,
        lease: &Lease,
        describe: Describe<'_>,
    ) -> Result<Value, SessionError> {
        let uri = &upload.store_uri;
        let record = match self.catalog.find_committed(uri).await? {
            Some(record) => record,
            None => self.store_new(session, upload).await?,
        };
        pause::here("commit:stored").await;
        let answer = describe(uri, &record);
        if !self
            .catalog
            .mark_committed(uri, &lease.claim, &answer.to_string())
            .await?
        {
            // The lease lapsed and another commit took over; it answers for the file.
            return Err(SessionError::Busy(uri.clone()));
        }
        if let Err(e) = self.staging.remove(&upload.upload_id).await {
            tracing::warn!(upload = %uri, error = %e, "could not remove staged bytes");
        }
        Ok(answer)
    }

    /// Stores the staged file through ingest, which reads it back and checks it is the
    /// file the upload host confirmed.
    async fn store_new(
        &self,
        session: &UploadSession,
        upload: &UploadRecord,
    ) -> Result<ObjectRecord, SessionError> {
        let parts = match upload.chunked_id {
            Some(_) => self
                .catalog
                .parts(&upload.store_uri)
                .await?
                .iter()
                .map(|p| (p.part_number, p.size.max(0) as u64))
                .collect(),
            None => Vec::new(),
        };
        let crc32 = upload
            .crc32
            .as_deref()
            .and_then(|crc| crc.parse::<Crc32>().ok())
            .ok_or_else(|| SessionError::Corrupt(format!("`{}` has no CRC32", upload.store_uri)))?;
        let file = StagedFile {
            upload_id: upload.upload_id.clone(),
            parts,
            size: upload.size.unwrap_or(0).max(0) as u64,
            crc32: crc32.0,
        };
        let uri = &upload.store_uri;
        let records = self
            .ingest
            .store(NewObject {
                biz: BizType::from_code(session.biz_type).unwrap_or(BizType::BOT_DATASET),
                owner: session.owner.clone(),
                declared: Declared::Name(uri.clone()),
                stem: Some(stem_of(uri).to_owned()),
                origin: Some(uri.clone()),
                source: Source::Staged(file),
            })
            .await?;
        records
            .into_iter()
            .next()
            .ok_or_else(|| SessionError::Corrupt(format!("nothing was stored for `{uri}`")))
    }
}

/// Counts a commit that stored (or failed to store) a file, by the way it was uploaded.
fn count_commit(
    session: &UploadSession,
    upload: &UploadRecord,
    start: Instant,
    outcome: &Result<Value, SessionError>,
) {
    let method = match upload.chunked_id {
        Some(_) => UploadMethod::ImagexChunked,
        None => UploadMethod::ImagexDirect,
    };
    let biz = BizType::from_code(session.biz_type).unwrap_or(BizType::BOT_DATASET);
    let uploads = &metrics::get().uploads;
    match outcome {
        Ok(_) => {
            uploads.ended(method, metrics::UploadOutcome::Stored, biz.name());
            uploads.committed_in(method, metrics::seconds_since(start));
        }
        Err(e) => uploads.ended(method, e.outcome(), biz.name()),
    }
}

fn saved_answer(saved: &str) -> Result<Value, SessionError> {
    serde_json::from_str(saved).map_err(|e| SessionError::Corrupt(e.to_string()))
}
