//! Stores an accepted upload (original and variants) and records it, in that order, so the
//! catalog never names an object that is not there; if anything fails, what was already
//! stored is removed again.

use bytes::Bytes;
use md5::Md5;
use sha2::{Digest, Sha256};

use super::IngestError;
use crate::biz::BizType;
use crate::catalog::{Catalog, ObjectRecord, unix_now};
use crate::media::{Category, FileType};
use crate::pipeline::Output;
use crate::random::random_hex;
use crate::storage::{ObjectKey, Storage, stream_of};

/// Random bytes in an object id: 128 bits, so URIs cannot be guessed.
const ID_BYTES: usize = 16;

/// A file ready to store: its bytes, hashes and (for images) dimensions.
#[derive(Debug, Clone)]
pub struct PreparedFile {
    pub file_type: FileType,
    pub bytes: Bytes,
    pub sha256: String,
    pub md5: String,
    pub dimensions: Option<(u32, u32, u32)>,
}

impl PreparedFile {
    /// Hashes `bytes` (CPU work: call it on the processing pool).
    pub fn new(file_type: FileType, bytes: Vec<u8>, dimensions: Option<(u32, u32, u32)>) -> Self {
        Self {
            file_type,
            sha256: hex::encode(Sha256::digest(&bytes)),
            md5: hex::encode(Md5::digest(&bytes)),
            bytes: Bytes::from(bytes),
            dimensions,
        }
    }

    pub fn from_output(output: Output) -> Self {
        let dimensions = Some((output.width, output.height, output.frames));
        Self::new(output.format, output.bytes, dimensions)
    }
}

/// An upload after the pipeline: the original and its variants with their square sizes.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub original: PreparedFile,
    pub variants: Vec<(u32, PreparedFile)>,
}

/// A new object's URI without its extension: `<prefix>/<128 random bits>`.
pub fn new_stem(prefix: &str) -> String {
    format!("{prefix}/{}", random_hex(ID_BYTES))
}

/// Stores and records `prepared` as `<stem>.<ext>` (its variants beside it); answers the
/// records, the original's first.
pub async fn store_object(
    storage: &dyn Storage,
    catalog: &Catalog,
    stem: &str,
    biz: BizType,
    owner: &str,
    prepared: Prepared,
) -> Result<Vec<ObjectRecord>, IngestError> {
    if catalog.stem_taken(stem).await? {
        return Err(IngestError::Conflict(format!(
            "an object named `{stem}` already exists"
        )));
    }
    let uri = format!("{stem}.{}", prepared.original.file_type.extension());
    let mut files = vec![(uri.clone(), None, prepared.original)];
    for (size, file) in prepared.variants {
        let key = format!("{uri}~{size}.{}", file.file_type.extension());
        files.push((key, Some(uri.clone()), file));
    }
    let now = unix_now();
    let mut stored: Vec<ObjectKey> = Vec::with_capacity(files.len());
    let mut records = Vec::with_capacity(files.len());
    let mut outcome = Ok(());
    for (key, parent, file) in files {
        let object_key = ObjectKey::parse(&key)?;
        records.push(record(&key, parent, owner, biz, &file, now));
        if let Err(error) = storage.put(&object_key, stream_of(file.bytes)).await {
            outcome = Err(IngestError::from(error));
            break;
        }
        stored.push(object_key);
    }
    if outcome.is_ok() {
        outcome = catalog
            .insert_objects(&records)
            .await
            .map_err(IngestError::from);
    }
    if let Err(error) = outcome {
        for key in &stored {
            if let Err(cleanup) = storage.delete(key).await {
                tracing::warn!(%key, %cleanup, "could not remove an object whose upload failed");
            }
        }
        return Err(error);
    }
    Ok(records)
}

/// Stores one variant of `parent` under `key` and records it.
pub async fn store_variant(
    storage: &dyn Storage,
    catalog: &Catalog,
    key: &str,
    parent: &ObjectRecord,
    file: PreparedFile,
) -> Result<ObjectRecord, IngestError> {
    let object_key = ObjectKey::parse(key)?;
    let biz = BizType::from_code(parent.biz_type).unwrap_or(BizType::BOT_DATASET);
    let record = record(
        key,
        Some(parent.uri.clone()),
        &parent.owner,
        biz,
        &file,
        unix_now(),
    );
    storage.put(&object_key, stream_of(file.bytes)).await?;
    if let Err(error) = catalog.insert_objects(std::slice::from_ref(&record)).await {
        let _ = storage.delete(&object_key).await;
        return Err(error.into());
    }
    Ok(record)
}

fn record(
    uri: &str,
    parent: Option<String>,
    owner: &str,
    biz: BizType,
    file: &PreparedFile,
    now: i64,
) -> ObjectRecord {
    let (width, height, frames) = match file.dimensions {
        Some((w, h, f)) => (Some(i64::from(w)), Some(i64::from(h)), Some(i64::from(f))),
        None => (None, None, None),
    };
    ObjectRecord {
        uri: uri.to_owned(),
        owner: owner.to_owned(),
        biz_type: i64::from(biz.code()),
        kind: category_name(file.file_type.category()).to_owned(),
        content_type: file.file_type.mime().to_owned(),
        size: file.bytes.len() as i64,
        sha256: file.sha256.clone(),
        md5: file.md5.clone(),
        width,
        height,
        frames,
        parent,
        created_at: now,
    }
}

fn category_name(category: Category) -> &'static str {
    match category {
        Category::Image => "image",
        Category::Document => "document",
        Category::Archive => "archive",
    }
}
