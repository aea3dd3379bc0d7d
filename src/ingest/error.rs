//! Why bytes a client sent did not become an object.

use super::{Base64Error, StagingError};
use crate::biz::BizType;
use crate::catalog::CatalogError;
use crate::media::{FileType, TypeMismatch};
use crate::metrics::UploadOutcome;
use crate::pipeline::{PipelineError, PoolError};
use crate::storage::{InvalidKey, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("data is empty")]
    Empty,
    #[error("data is not valid base64: {0}")]
    Base64(String),
    #[error("unknown biz_type {0} (expected 0 to 10)")]
    UnknownBizType(i64),
    #[error("{what} is {size} bytes, over the {limit_name} of {limit} bytes{hint}")]
    TooLarge {
        what: &'static str,
        size: u64,
        limit_name: &'static str,
        limit: u64,
        hint: &'static str,
    },
    #[error(
        "file type `{0}` is not supported (expected one of jpg, png, gif, webp, pdf, doc, docx, txt, zip, tar, gz)"
    )]
    UnknownFileType(String),
    #[error(transparent)]
    Mismatch(#[from] TypeMismatch),
    #[error(
        "{} is not accepted as an upload: imgate makes {} variants but does not decode them (upload jpg, png, gif or webp)",
        .0.describe(), .0.extension()
    )]
    OutputOnly(FileType),
    #[error("{biz} accepts {accepted}, not a {found} file")]
    NotAllowed {
        biz: BizType,
        accepted: &'static str,
        found: &'static str,
    },
    #[error("{0}")]
    Conflict(String),
    #[error(
        "the bytes of `{origin}` changed after the upload was completed (CRC32 {then} then, {now} now); upload it again"
    )]
    Changed {
        origin: String,
        then: String,
        now: String,
    },
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Staging(#[from] StagingError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// A key imgate made itself is not a valid object key (a bug, not the client's fault).
    #[error("bad object key: {0}")]
    InvalidKey(#[from] InvalidKey),
}

/// Where a client goes when a file is too big for the Base64 method.
impl IngestError {
    /// What the upload's end counts as in `/metrics`.
    pub fn outcome(&self) -> UploadOutcome {
        match self {
            IngestError::Pool(PoolError::Busy { .. })
            | IngestError::Storage(StorageError::Unavailable(_)) => UploadOutcome::Busy,
            IngestError::Pool(_)
            | IngestError::Storage(_)
            | IngestError::Catalog(CatalogError::Database(_) | CatalogError::Migration(_))
            | IngestError::InvalidKey(_)
            | IngestError::Pipeline(PipelineError::Encode(_)) => UploadOutcome::Failed,
            _ => UploadOutcome::Refused,
        }
    }
}

pub const LARGE_FILE_HINT: &str = "; upload larger files with method 2 (temporary upload credentials, POST /api/playground/upload/auth_token) or the ImageX flow";

impl From<Base64Error> for IngestError {
    fn from(error: Base64Error) -> Self {
        match error {
            Base64Error::Empty => IngestError::Empty,
            Base64Error::Invalid(why) => IngestError::Base64(why),
            Base64Error::TooLarge { size, limit } => IngestError::TooLarge {
                what: "the decoded file",
                size,
                limit_name: "Base64 upload limit",
                limit,
                hint: LARGE_FILE_HINT,
            },
        }
    }
}
