//! The one way in: what a client sent (the bytes, or their Base64 text) becomes a stored,
//! catalogued object, whichever of the three methods brought it; and variants are made
//! from stored originals the same way.

use std::sync::Arc;

use bytes::Bytes;

use super::{
    IngestError, Placement, PreparedFile, declared_type, decode_base64, estimate_cost, new_stem,
    prepare, store_object, store_variant,
};
use crate::biz::BizType;
use crate::catalog::{Catalog, ObjectRecord};
use crate::media::FileType;
use crate::pipeline::{self, JobCost, Operation, PipelineSettings, ProcessingPool};
use crate::storage::{ObjectKey, Storage, read_all};

/// Stores uploads and variants: the catalog, the object store, and the processing pool
/// the CPU work runs on.
#[derive(Debug, Clone)]
pub struct Ingest {
    catalog: Catalog,
    storage: Arc<dyn Storage>,
    pool: ProcessingPool,
    settings: Arc<PipelineSettings>,
}

/// What a client sent.
#[derive(Debug)]
pub enum Source {
    /// The file's bytes.
    Bytes(Vec<u8>),
    /// The Base64 method's `data`, decoded on the processing pool and refused unread when
    /// it would decode to more than `limit` bytes.
    Base64 { data: String, limit: u64 },
}

/// The type a client declared.
#[derive(Debug, Clone)]
pub enum Declared {
    /// A file type (the Base64 method's `file_type`).
    Type(FileType),
    /// A file name or StoreUri, whose extension declares it; without one, the bytes do.
    Name(String),
}

/// An upload to store.
#[derive(Debug)]
pub struct NewObject {
    pub biz: BizType,
    /// Who uploads it, as recorded (`key:<id>`, `user:<id>`).
    pub owner: String,
    pub declared: Declared,
    /// The URI without its extension; `None` for a new one under the biz type's name.
    pub stem: Option<String>,
    /// The ImageX upload (StoreUri) it is committed from, if any.
    pub origin: Option<String>,
    pub source: Source,
}

/// A variant a template URL asks for.
#[derive(Debug, Clone, Copy)]
pub struct VariantSpec {
    pub operation: Operation,
    pub format: FileType,
    /// Quality of lossy formats, 1-100.
    pub quality: u8,
}

impl Ingest {
    pub fn new(
        catalog: Catalog,
        storage: Arc<dyn Storage>,
        pool: ProcessingPool,
        settings: Arc<PipelineSettings>,
    ) -> Self {
        Self {
            catalog,
            storage,
            pool,
            settings,
        }
    }

    /// The processing pool, to report its load.
    pub fn pool(&self) -> &ProcessingPool {
        &self.pool
    }

    /// Checks, processes, stores and records `object`; answers the records, the
    /// original's first, then its variants.
    pub async fn store(&self, object: NewObject) -> Result<Vec<ObjectRecord>, IngestError> {
        let NewObject {
            biz,
            owner,
            declared,
            stem,
            origin,
            source,
        } = object;
        let settings = Arc::clone(&self.settings);
        let cost = match &source {
            Source::Bytes(bytes) => JobCost::estimate(bytes),
            Source::Base64 { data, .. } => estimate_cost(data),
        };
        let prepared = self
            .pool
            .run_costed(cost, move || {
                let bytes = match source {
                    Source::Bytes(bytes) => bytes,
                    Source::Base64 { data, limit } => decode_base64(&data, limit)?,
                };
                let declared = match declared {
                    Declared::Type(file_type) => file_type,
                    Declared::Name(name) => declared_type(&name, &bytes)?,
                };
                prepare(biz, declared, bytes, &settings)
            })
            .await??;
        let stem = stem.unwrap_or_else(|| new_stem(biz.name()));
        let placement = Placement {
            stem: &stem,
            biz,
            owner: &owner,
            origin: origin.as_deref(),
        };
        store_object(self.storage.as_ref(), &self.catalog, placement, prepared).await
    }

    /// Deletes the original `key` and every variant of it: the stored files first, then
    /// the records, so that when the store fails part way the object is still catalogued
    /// and a retry finishes the job. Answers the URIs deleted, the original's first, or
    /// `None` when no record was left to delete.
    pub async fn delete(&self, key: &ObjectKey) -> Result<Option<Vec<String>>, IngestError> {
        let uri = key.to_string();
        let mut variants = self.catalog.variants_of(&uri).await?;
        for stray in self.storage.list(&format!("{uri}~")).await? {
            if !variants.contains(&stray.to_string()) {
                variants.push(stray.to_string());
            }
        }
        let mut deleted = vec![uri.clone()];
        for variant in variants {
            if let Ok(variant_key) = ObjectKey::parse(&variant) {
                self.storage.delete(&variant_key).await?;
                deleted.push(variant);
            }
        }
        self.storage.delete(key).await?;
        let recorded = self.catalog.delete_object(&uri).await?;
        Ok(recorded.then_some(deleted))
    }

    /// Makes the variant `spec` of the stored original `base`, stores it under `key` and
    /// records it; answers its record and bytes.
    pub async fn make_variant(
        &self,
        base: &ObjectRecord,
        key: &str,
        spec: VariantSpec,
    ) -> Result<(ObjectRecord, Bytes), IngestError> {
        let bytes = read_all(self.storage.as_ref(), &ObjectKey::parse(&base.uri)?).await?;
        let stored = FileType::from_mime(&base.content_type).unwrap_or(FileType::Png);
        let limits = self.settings.limits;
        let cost = JobCost::estimate(&bytes);
        let file = self
            .pool
            .run_costed(cost, move || {
                let VariantSpec {
                    operation,
                    format,
                    quality,
                } = spec;
                pipeline::render(&bytes, stored, operation, format, quality, &limits)
                    .map(PreparedFile::from_output)
            })
            .await??;
        let body = file.bytes.clone();
        let record = store_variant(self.storage.as_ref(), &self.catalog, key, base, file).await?;
        Ok((record, body))
    }
}
