//! The one way in: what a client sent (the bytes, or their Base64 text) becomes a stored,
//! catalogued object, whichever of the three methods brought it; and variants are made
//! from stored originals the same way.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;

use super::{
    IngestError, Placement, Prepared, PreparedFile, StagedFile, Staging, declared_type,
    decode_base64, estimate_cost, new_stem, prepare,
};
use crate::biz::BizType;
use crate::catalog::{Catalog, ObjectRecord, unix_now};
use crate::media::FileType;
use crate::metrics::{self, UploadMethod};
use crate::pipeline::{self, JobCost, Operation, PipelineSettings, ProcessingPool};
use crate::storage::{ObjectKey, Storage, read_all};

/// Stores uploads and variants: the catalog, the object store, and the processing pool
/// the CPU work runs on.
#[derive(Debug, Clone)]
pub struct Ingest {
    pub(super) catalog: Catalog,
    pub(super) storage: Arc<dyn Storage>,
    /// Where the ImageX flow's bytes wait for their commit.
    pub(super) staging: Staging,
    pub(super) pool: ProcessingPool,
    pub(super) settings: Arc<PipelineSettings>,
}

/// A variant made from its original and not stored yet.
#[derive(Debug)]
pub struct MadeVariant {
    /// What the catalog will hold for it.
    pub record: ObjectRecord,
    /// Its bytes.
    pub body: Bytes,
    pub(super) file: PreparedFile,
}

/// What a client sent.
#[derive(Debug)]
pub enum Source {
    /// The file's bytes.
    Bytes(Vec<u8>),
    /// The Base64 method's `data`, decoded on the processing pool and refused unread when
    /// it would decode to more than `limit` bytes.
    Base64 { data: String, limit: u64 },
    /// A file the upload host staged: read whole only when it is an image (once the pool
    /// admits it), streamed otherwise.
    Staged(StagedFile),
}

/// What a request brought, in memory.
#[derive(Debug)]
enum Loaded {
    Bytes(Vec<u8>),
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
        staging: Staging,
        pool: ProcessingPool,
        settings: Arc<PipelineSettings>,
    ) -> Self {
        Self {
            catalog,
            storage,
            staging,
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
        let start = Instant::now();
        // A commit from an ImageX upload is counted by the session, which knows its method.
        let method = match &object.source {
            Source::Base64 { .. } => Some(UploadMethod::Base64),
            Source::Bytes(_) => Some(UploadMethod::Put),
            Source::Staged(_) => None,
        };
        let biz = object.biz;
        let outcome = self.store_counted(object).await;
        if let Some(method) = method {
            let uploads = &metrics::get().uploads;
            match &outcome {
                Ok((_, received)) => {
                    uploads.stored(method, biz.name(), *received, metrics::seconds_since(start));
                }
                Err(e) => uploads.ended(method, e.outcome(), biz.name()),
            }
        }
        outcome.map(|(records, _)| records)
    }

    /// Stores `object`; answers its records and how many bytes the client's file was.
    async fn store_counted(
        &self,
        object: NewObject,
    ) -> Result<(Vec<ObjectRecord>, u64), IngestError> {
        let NewObject {
            biz,
            owner,
            declared,
            stem,
            origin,
            source,
        } = object;
        let (prepared, received) = match source {
            Source::Staged(file) => {
                let origin = origin.as_deref().unwrap_or_default();
                let prepared = self.prepare_staged(biz, declared, &file, origin).await?;
                (prepared, file.size)
            }
            Source::Bytes(bytes) => {
                self.prepare_in_memory(biz, declared, Loaded::Bytes(bytes))
                    .await?
            }
            Source::Base64 { data, limit } => {
                let loaded = Loaded::Base64 { data, limit };
                self.prepare_in_memory(biz, declared, loaded).await?
            }
        };
        let stem = stem.unwrap_or_else(|| new_stem(biz.name()));
        let placement = Placement {
            stem: &stem,
            biz,
            owner: &owner,
            origin: origin.as_deref(),
        };
        let records = self.store_object(placement, prepared).await?;
        Ok((records, received))
    }

    /// Bytes a request brought (whole, or as Base64 text): checked and processed on the
    /// pool, within its memory budget. Answers how many bytes the file was, too.
    async fn prepare_in_memory(
        &self,
        biz: BizType,
        declared: Declared,
        loaded: Loaded,
    ) -> Result<(Prepared, u64), IngestError> {
        let max_decode = self.settings.limits.max_decode_bytes;
        let cost = match &loaded {
            Loaded::Bytes(bytes) => JobCost::estimate(bytes)
                .capped(max_decode)
                .holding(bytes.len() as u64),
            Loaded::Base64 { data, .. } => {
                let text = data.len() as u64;
                estimate_cost(data)
                    .capped(max_decode)
                    .holding(text + text / 4 * 3)
            }
        };
        let settings = Arc::clone(&self.settings);
        self.pool
            .run_costed(cost, move || {
                let bytes = match loaded {
                    Loaded::Bytes(bytes) => bytes,
                    Loaded::Base64 { data, limit } => decode_base64(&data, limit)?,
                };
                let received = bytes.len() as u64;
                let declared = match declared {
                    Declared::Type(file_type) => file_type,
                    Declared::Name(name) => declared_type(&name, &bytes)?,
                };
                prepare(biz, declared, bytes, &settings).map(|p| (p, received))
            })
            .await?
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

    /// Makes the variant `key` of `base` (an image original), not yet stored: it can be
    /// answered at once and stored after (`store_variant`), since it can always be made
    /// again from its original. The original is read once the job's memory (its size, its
    /// decoded pixels from its record, and what the encoder holds for the most pixels the
    /// variant can have) fits in the budget.
    pub async fn make_variant(
        &self,
        base: &ObjectRecord,
        key: &str,
        spec: VariantSpec,
    ) -> Result<MadeVariant, IngestError> {
        let dimensions = base.dimensions();
        let pixels = dimensions.map_or(0, |(w, h)| u64::from(w) * u64::from(h));
        let encoding = pipeline::encode_memory(spec.format, spec.operation.most_pixels(dimensions));
        let cost = JobCost::of_pixels(pixels)
            .capped(self.settings.limits.max_decode_bytes)
            .holding(base.size.max(0) as u64)
            .holding(encoding);
        let reservation = self.pool.reserve(cost).await?;
        let bytes = read_all(self.storage.as_ref(), &ObjectKey::parse(&base.uri)?).await?;
        let stored = FileType::from_mime(&base.content_type).unwrap_or(FileType::Png);
        let limits = self.settings.limits;
        let file = reservation
            .run(move || {
                let VariantSpec {
                    operation,
                    format,
                    quality,
                } = spec;
                pipeline::render(&bytes, stored, operation, format, quality, &limits)
                    .map(PreparedFile::from_output)
            })
            .await??;
        let biz = BizType::from_code(base.biz_type).unwrap_or(BizType::BOT_DATASET);
        let record = super::store::record(
            key,
            Some(base.uri.clone()),
            &base.owner,
            biz,
            &file,
            unix_now(),
        );
        let body = file.bytes().cloned().unwrap_or_default();
        Ok(MadeVariant { record, body, file })
    }
}
