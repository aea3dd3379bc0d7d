//! The ImageX upload session (API.md 4): an apply opens it with one or more StoreUris;
//! the bytes of each arrive at the upload host whole or in parts, which a complete settles
//! into a file; a commit claims each file and turns it into an object; sessions never
//! committed expire with their bytes. Nothing here knows HTTP: the upload host and the
//! actions parse requests into the values below and answer what comes back.

mod apply;
mod commit;
mod crc;
mod error;
mod expiry;
mod host;
mod lease;
mod part_list;
mod parts;

use std::time::Duration;

pub use apply::{Apply, MAX_UPLOAD_NUM, Naming, OpenedSession};
pub use commit::Describe;
pub use crc::{BadCrc, Crc32};
pub use error::SessionError;
pub use host::Body;
pub use part_list::{PartList, PartListError};
pub use parts::Settled;

use super::{Ingest, Staging};
use crate::catalog::{Catalog, UploadRecord, UploadSession, UploadState};
use crate::clock::unix_now;

/// The rules every session follows.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    /// Largest file, in bytes (`imagex.max_file_bytes`).
    pub max_file_bytes: u64,
    /// Largest part of a chunked upload, in bytes (`imagex.max_part_bytes`).
    pub max_part_bytes: u64,
    /// Most parts of a chunked upload (`imagex.max_parts`).
    pub max_parts: u32,
    /// Time from apply to commit (`imagex.session_ttl`).
    pub ttl: Duration,
    /// How long a commit's claim lasts unless renewed (`imagex.commit_lease`).
    pub commit_lease: Duration,
}

/// Upload sessions: their records, their staged bytes, and the ingest that commits them.
#[derive(Debug, Clone)]
pub struct Sessions {
    catalog: Catalog,
    staging: Staging,
    ingest: Ingest,
    limits: SessionLimits,
    /// First segment of every StoreUri.
    service_id: String,
}

/// One StoreUri of a session, as the upload host finds it.
#[derive(Debug, Clone)]
pub struct Upload {
    pub record: UploadRecord,
    pub session: UploadSession,
}

impl Upload {
    pub fn store_uri(&self) -> &str {
        &self.record.store_uri
    }

    /// Refuses bytes for a session past its expiry, or a file already committed.
    pub fn check_open(&self) -> Result<(), SessionError> {
        if self.session.expires_at <= unix_now() {
            return Err(SessionError::Expired);
        }
        match self.record.state {
            UploadState::Committing | UploadState::Committed => Err(
                SessionError::AlreadyCommitted(self.record.store_uri.clone()),
            ),
            UploadState::Pending | UploadState::Uploaded => Ok(()),
        }
    }
}

impl Sessions {
    pub fn new(
        catalog: Catalog,
        staging: Staging,
        ingest: Ingest,
        limits: SessionLimits,
        service_id: String,
    ) -> Self {
        Self {
            catalog,
            staging,
            ingest,
            limits,
            service_id,
        }
    }

    pub fn limits(&self) -> &SessionLimits {
        &self.limits
    }

    /// The upload of `store_uri` and its session.
    pub async fn find_upload(&self, store_uri: &str) -> Result<Upload, SessionError> {
        let record = self
            .catalog
            .find_upload(store_uri)
            .await?
            .ok_or(SessionError::NotFound)?;
        let session = self
            .catalog
            .find_upload_session(&record.session_key)
            .await?
            .ok_or(SessionError::NotFound)?;
        Ok(Upload { record, session })
    }

    /// The session of `session_key`, while it lasts.
    pub async fn find_session(&self, session_key: &str) -> Result<UploadSession, SessionError> {
        let session = self
            .catalog
            .find_upload_session(session_key)
            .await?
            .ok_or_else(|| SessionError::UnknownSession(session_key.to_owned()))?;
        if session.expires_at <= unix_now() {
            return Err(SessionError::ExpiredAt(session.expires_at));
        }
        Ok(session)
    }
}

/// The StoreUri without its extension: the stored file gets the extension of its real type.
pub fn stem_of(store_uri: &str) -> &str {
    let name_start = store_uri.rfind('/').map_or(0, |i| i + 1);
    match store_uri[name_start..].rfind('.') {
        Some(dot) => &store_uri[..name_start + dot],
        None => store_uri,
    }
}

#[cfg(test)]
mod tests {
    use super::stem_of;

    #[test]
    fn stems_drop_only_the_file_extension() {
        assert_eq!(stem_of("svc/abc.jpg"), "svc/abc");
        assert_eq!(stem_of("svc/abc"), "svc/abc");
        assert_eq!(stem_of("svc.v2/abc"), "svc.v2/abc");
        assert_eq!(stem_of("svc/a.b.png"), "svc/a.b");
    }
}
