//! Stores an accepted upload (original and variants) and records it, in that order, so the
//! catalog never names an object that is not there; if anything fails, what was already
//! stored is removed again, and if the process dies in between, its write intents say
//! what to sweep. A file still in staging is copied inside the store where the store can
//! (S3), else streamed, and checked against its CRC32 on the way.

use bytes::Bytes;
use futures_util::StreamExt;
use md5::Md5;
use sha2::{Digest, Sha256};

use super::objects::MadeVariant;
use super::{Ingest, IngestError, StagedFile};
use crate::biz::BizType;
use crate::catalog::{CatalogError, ObjectRecord, unix_now};
use crate::media::FileType;
use crate::pause;
use crate::pipeline::Output;
use crate::random::random_hex;
use crate::storage::{ByteStream, ObjectKey, stream_of};

/// Random bytes in an object id: 128 bits, so URIs cannot be guessed.
const ID_BYTES: usize = 16;

/// Where a prepared file's bytes are.
#[derive(Debug, Clone)]
pub enum Body {
    /// In memory: what the pipeline made, or a small upload.
    Memory(Bytes),
    /// Still in staging: a document or archive, never read whole.
    Staged(StagedFile),
}

/// A file ready to store: its bytes, hashes and (for images) dimensions.
#[derive(Debug, Clone)]
pub struct PreparedFile {
    pub file_type: FileType,
    pub body: Body,
    pub size: u64,
    pub sha256: String,
    pub md5: String,
    pub dimensions: Option<(u32, u32, u32)>,
}

impl PreparedFile {
    /// Hashes `bytes` (CPU work: call it on the processing pool).
    pub fn new(file_type: FileType, bytes: Vec<u8>, dimensions: Option<(u32, u32, u32)>) -> Self {
        Self {
            file_type,
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(&bytes)),
            md5: hex::encode(Md5::digest(&bytes)),
            body: Body::Memory(Bytes::from(bytes)),
            dimensions,
        }
    }

    pub fn from_output(output: Output) -> Self {
        let dimensions = Some((output.width, output.height, output.frames));
        Self::new(output.format, output.bytes, dimensions)
    }

    /// The bytes, when they are in memory.
    pub fn bytes(&self) -> Option<&Bytes> {
        match &self.body {
            Body::Memory(bytes) => Some(bytes),
            Body::Staged(_) => None,
        }
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

/// Where and for whom an upload is stored.
#[derive(Debug, Clone, Copy)]
pub struct Placement<'a> {
    /// The URI without its extension.
    pub stem: &'a str,
    pub biz: BizType,
    pub owner: &'a str,
    /// The ImageX upload it is committed from.
    pub origin: Option<&'a str>,
}

impl Ingest {
    /// Stores and records `prepared` as `<stem>.<ext>` (its variants beside it); answers
    /// the records, the original's first.
    pub(super) async fn store_object(
        &self,
        placement: Placement<'_>,
        prepared: Prepared,
    ) -> Result<Vec<ObjectRecord>, IngestError> {
        let Placement {
            stem,
            biz,
            owner,
            origin,
        } = placement;
        if self.catalog.stem_taken(stem).await? {
            return Err(IngestError::Conflict(format!(
                "an object named `{stem}` already exists"
            )));
        }
        let now = unix_now();
        let uri = format!("{stem}.{}", prepared.original.file_type.extension());
        let mut original = record(&uri, None, owner, biz, &prepared.original, now);
        original.origin = origin.map(str::to_owned);
        let mut files = vec![(original, prepared.original.body)];
        for (size, file) in prepared.variants {
            let key = format!("{uri}~{size}.{}", file.file_type.extension());
            let variant = record(&key, Some(uri.clone()), owner, biz, &file, now);
            files.push((variant, file.body));
        }
        self.store_files(&files, "store:written").await?;
        Ok(files.into_iter().map(|(record, _)| record).collect())
    }

    /// Stores one variant of `parent` under `key` and records it. When another request
    /// (on any node) recorded the same variant first, its record is the answer: variants
    /// are made deterministically, so the bytes are the same.
    /// Stores a variant made by `make_variant` and answers its record: the one made here,
    /// or the one another request or node recorded first (made from the same bytes).
    pub async fn store_variant(&self, made: MadeVariant) -> Result<ObjectRecord, IngestError> {
        let MadeVariant { record, file, .. } = made;
        let key = record.uri.clone();
        let files = [(record, file.body)];
        match self.store_files(&files, "variant:written").await {
            Err(IngestError::Catalog(CatalogError::Conflict(_))) => self
                .catalog
                .find_object(&key)
                .await?
                .ok_or_else(|| IngestError::Conflict(format!("variant `{key}` vanished"))),
            Err(error) => Err(error),
            Ok(()) => {
                let [(record, _)] = files;
                Ok(record)
            }
        }
    }

    /// Writes each file and then records them all in one transaction, with write intents
    /// recorded before the first byte: a crash in between leaves intents the sweeper
    /// finds. A failure removes what was written, unless the failure is that another
    /// writer of the same keys recorded them first (a commit that took over a lapsed
    /// claim, a variant made on two nodes at once): the files are then its, made from the
    /// same bytes. `written_point` names the pause point between the last write and the record.
    async fn store_files(
        &self,
        files: &[(ObjectRecord, Body)],
        written_point: &str,
    ) -> Result<(), IngestError> {
        let keys: Vec<String> = files.iter().map(|(record, _)| record.uri.clone()).collect();
        let object_keys = keys
            .iter()
            .map(|key| ObjectKey::parse(key))
            .collect::<Result<Vec<_>, _>>()?;
        self.catalog.record_intents(&keys).await?;
        let mut written = 0;
        let mut outcome = Ok(());
        for (key, (_, body)) in object_keys.iter().zip(files) {
            if written > 0 {
                pause::here("store:between-writes").await;
            }
            if let Err(error) = self.write(key, body).await {
                outcome = Err(error);
                break;
            }
            written += 1;
        }
        if outcome.is_ok() {
            pause::here(written_point).await;
            let records: Vec<ObjectRecord> = files.iter().map(|(r, _)| r.clone()).collect();
            outcome = self
                .catalog
                .insert_objects(&records)
                .await
                .map_err(IngestError::from);
        }
        let Err(error) = outcome else {
            return Ok(());
        };
        if !matches!(error, IngestError::Catalog(CatalogError::Conflict(_))) {
            for key in &object_keys[..written] {
                if let Err(cleanup) = self.storage.delete(key).await {
                    tracing::warn!(%key, %cleanup, "could not remove an object whose upload failed");
                }
            }
        }
        if let Err(e) = self.catalog.drop_intents(&keys).await {
            tracing::warn!(error = %e, "could not drop write intents; the sweeper will");
        }
        Err(error)
    }

    /// Writes one body: from memory, or from staging, inside the store where it can.
    async fn write(&self, key: &ObjectKey, body: &Body) -> Result<(), IngestError> {
        let file = match body {
            Body::Memory(bytes) => {
                self.storage.put(key, stream_of(bytes.clone())).await?;
                return Ok(());
            }
            Body::Staged(file) => file,
        };
        if let Some(sources) = self.staging.copy_sources(file)
            && self.storage.compose(key, &sources).await?
        {
            return Ok(());
        }
        let stream = self.staging.stream(file)?;
        self.storage.put(key, checked(stream, file)).await?;
        Ok(())
    }
}

/// The stream, ending in an error (so the store keeps nothing) unless it is the staged
/// file's bytes: its size and the CRC32 the upload host confirmed.
fn checked(stream: ByteStream, file: &StagedFile) -> ByteStream {
    let (want_size, want_crc) = (file.size, file.crc32);
    let state = (stream, crc32fast::Hasher::new(), 0u64, false);
    futures_util::stream::unfold(
        state,
        move |(mut stream, mut crc, mut size, done)| async move {
            if done {
                return None;
            }
            match stream.next().await {
                Some(Ok(chunk)) => {
                    crc.update(&chunk);
                    size += chunk.len() as u64;
                    Some((Ok(chunk), (stream, crc, size, false)))
                }
                Some(Err(e)) => Some((Err(e), (stream, crc, size, true))),
                None if size == want_size && crc.clone().finalize() == want_crc => None,
                None => {
                    let why = "the staged bytes changed while they were copied";
                    Some((Err(std::io::Error::other(why)), (stream, crc, size, true)))
                }
            }
        },
    )
    .boxed()
}

pub(super) fn record(
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
        kind: file.file_type.category().name().to_owned(),
        content_type: file.file_type.mime().to_owned(),
        size: file.size as i64,
        sha256: file.sha256.clone(),
        md5: file.md5.clone(),
        width,
        height,
        frames,
        parent,
        created_at: now,
        origin: None,
    }
}
