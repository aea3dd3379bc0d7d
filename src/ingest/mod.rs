//! Ingest: from bytes a client sent to a stored, catalogued object. Decoding of the
//! transfer encoding, type sniffing, biz-type rules and limits live here, apart from HTTP.

mod base64;
mod expiry;
mod staging;
mod store;

pub use base64::{Base64Error, decode as decode_base64};
pub use expiry::{expire_periodically, expire_sessions};
pub use staging::{Staged, Staging, StagingError};
pub use store::{Prepared, PreparedFile, new_stem, store_object, store_variant};

use crate::biz::BizType;
use crate::catalog::CatalogError;
use crate::media::{self, Category, Detected, FileType, TypeMismatch};
use crate::pipeline::{self, PipelineError, PipelineSettings, PoolError};
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
    #[error("{biz} accepts {accepted}, not a {found} file")]
    NotAllowed {
        biz: BizType,
        accepted: &'static str,
        found: &'static str,
    },
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// A key imgate made itself is not a valid object key (a bug, not the client's fault).
    #[error("bad object key: {0}")]
    InvalidKey(#[from] InvalidKey),
}

/// Checks the bytes against the declared type and the biz type's rules, and answers the
/// type to store them as.
pub fn accept(biz: BizType, declared: FileType, bytes: &[u8]) -> Result<FileType, IngestError> {
    let found = media::resolve(declared, bytes)?;
    if biz.accepts(found.category()) {
        Ok(found)
    } else {
        Err(IngestError::NotAllowed {
            biz,
            accepted: biz.accepted_description(),
            found: found.extension(),
        })
    }
}

/// The type a file name's extension declares, or, without one, the type of the bytes.
pub fn declared_type(name: &str, bytes: &[u8]) -> Result<FileType, IngestError> {
    let name = name.rsplit('/').next().unwrap_or(name);
    if let Some((_, ext)) = name.rsplit_once('.') {
        return FileType::from_extension(ext)
            .ok_or_else(|| IngestError::UnknownFileType(ext.to_owned()));
    }
    match media::sniff(bytes) {
        Detected::File(found) => Ok(found),
        _ => Err(IngestError::UnknownFileType(
            "(none, and the bytes are not a supported type)".into(),
        )),
    }
}

/// Checks the bytes, runs images through the pipeline of the biz type's profile, and
/// hashes what is to be stored. CPU work: run it on the processing pool.
pub fn prepare(
    biz: BizType,
    declared: FileType,
    bytes: Vec<u8>,
    settings: &PipelineSettings,
) -> Result<Prepared, IngestError> {
    let file_type = accept(biz, declared, &bytes)?;
    if file_type.category() != Category::Image {
        let original = PreparedFile::new(file_type, bytes, None);
        return Ok(Prepared {
            original,
            variants: Vec::new(),
        });
    }
    let profile = if biz.is_icon() {
        &settings.icon
    } else {
        &settings.image
    };
    let processed = pipeline::process(&bytes, file_type, profile, &settings.limits)?;
    drop(bytes);
    Ok(Prepared {
        original: PreparedFile::from_output(processed.original),
        variants: processed
            .variants
            .into_iter()
            .map(|v| (v.size, PreparedFile::from_output(v.output)))
            .collect(),
    })
}

/// Where a client goes when a file is too big for the Base64 method.
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
