//! Stores an accepted file and records it, in that order, so the catalog never names an
//! object that is not there; if recording fails the stored bytes are removed again.

use bytes::Bytes;
use md5::Md5;
use sha2::{Digest, Sha256};

use super::{BizType, FileType, IngestError};
use crate::auth::random_hex;
use crate::catalog::{Catalog, ObjectRecord, unix_now};
use crate::storage::{ObjectKey, Storage, stream_of};

/// Random bytes in an object id: 128 bits, so URIs cannot be guessed.
const ID_BYTES: usize = 16;

#[derive(Debug, Clone)]
pub struct NewObject {
    pub biz: BizType,
    pub file_type: FileType,
    pub owner: String,
    pub bytes: Bytes,
}

pub async fn store_object(
    storage: &dyn Storage,
    catalog: &Catalog,
    new: NewObject,
) -> Result<ObjectRecord, IngestError> {
    let uri = format!(
        "{}/{}.{}",
        new.biz.name(),
        random_hex(ID_BYTES),
        new.file_type.extension()
    );
    let key = ObjectKey::parse(&uri).map_err(|e| IngestError::Worker(e.to_string()))?;
    let hashed = new.bytes.clone();
    let (sha256, md5) = tokio::task::spawn_blocking(move || {
        (
            hex::encode(Sha256::digest(&hashed)),
            hex::encode(Md5::digest(&hashed)),
        )
    })
    .await
    .map_err(|e| IngestError::Worker(e.to_string()))?;
    let record = ObjectRecord {
        uri,
        owner: new.owner,
        biz_type: i64::from(new.biz.code()),
        kind: category_name(new.file_type).to_owned(),
        content_type: new.file_type.mime().to_owned(),
        size: new.bytes.len() as i64,
        sha256,
        md5,
        created_at: unix_now(),
    };
    storage.put(&key, stream_of(new.bytes)).await?;
    if let Err(error) = catalog.insert_object(&record).await {
        if let Err(cleanup) = storage.delete(&key).await {
            tracing::warn!(%key, %cleanup, "could not remove an object whose record failed");
        }
        return Err(error.into());
    }
    Ok(record)
}

fn category_name(file_type: FileType) -> &'static str {
    match file_type.category() {
        super::Category::Image => "image",
        super::Category::Document => "document",
        super::Category::Archive => "archive",
    }
}
