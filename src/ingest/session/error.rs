//! Why a step of an upload session was refused, in words the client can act on.

use super::PartListError;
use crate::catalog::CatalogError;
use crate::clock::format_utc;
use crate::ingest::{IngestError, StagingError};
use crate::metrics::UploadOutcome;
use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Nothing was applied for under this StoreUri.
    #[error("not found")]
    NotFound,
    #[error("unknown SessionKey `{0}`")]
    UnknownSession(String),
    #[error("the upload session has expired; apply again")]
    Expired,
    #[error("the upload session expired at {} UTC; apply again", format_utc(*.0))]
    ExpiredAt(i64),
    #[error("`{0}` is taken: choose another StoreKey")]
    Taken(String),
    /// Another apply took the same StoreUri at the same moment.
    #[error("{0}: choose another StoreKey")]
    Clash(String),
    #[error("StoreKey `{key}`: {why}")]
    BadStoreKey { key: String, why: &'static str },
    #[error("at most {0} StoreKeys")]
    TooManyStoreKeys(usize),
    #[error("`{0}` is already committed")]
    AlreadyCommitted(String),
    #[error("this upload cannot start a chunked upload now")]
    CannotStartChunked,
    #[error("unknown uploadID `{0}`")]
    UnknownUploadId(String),
    #[error("upload `{0}` is complete; its parts can no longer change")]
    PartsSettled(String),
    #[error("partNumber `{text}` is not 0 to {max}")]
    BadPartNumber { text: String, max: u32 },
    #[error("over the limit of {0} parts (imagex.max_parts)")]
    TooManyParts(u32),
    #[error("part {0} was never uploaded")]
    MissingPart(i64),
    #[error(
        "CRC32 mismatch for part {number}: the list says {listed:08x}, the part's is {actual:08x}"
    )]
    PartCrcMismatch {
        number: i64,
        listed: u32,
        actual: u32,
    },
    #[error(transparent)]
    PartList(#[from] PartListError),
    #[error("`{0}` is not an upload of this session")]
    NotInSession(String),
    #[error("nothing has been uploaded to `{0}` yet")]
    NothingUploaded(String),
    /// Over a size limit; the message names the limit and its value.
    #[error("{0}")]
    TooLarge(String),
    /// Another commit is turning the file into an object; retrying later answers its result.
    #[error("`{0}` is being committed")]
    Busy(String),
    /// What the catalog holds cannot be read back (a bug or a damaged database).
    #[error("corrupt upload record: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Staging(#[from] StagingError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
}

impl SessionError {
    /// What a commit's end counts as in `/metrics`.
    pub fn outcome(&self) -> UploadOutcome {
        match self {
            SessionError::Ingest(e) => e.outcome(),
            SessionError::Busy(_)
            | SessionError::Staging(StagingError::Storage(StorageError::Unavailable(_))) => {
                UploadOutcome::Busy
            }
            SessionError::Catalog(_) | SessionError::Corrupt(_) | SessionError::Staging(_) => {
                UploadOutcome::Failed
            }
            _ => UploadOutcome::Refused,
        }
    }
}
