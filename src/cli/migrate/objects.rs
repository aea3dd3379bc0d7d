//! Every object, original before its variants: its bytes streamed from the source store
//! to the destination's, read back and checked against the SHA-256 the catalog records,
//! and only then its row written. An object the destination records already is skipped;
//! bytes the destination store holds already, of the right size and hash, are not sent
//! again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::{StreamExt, TryStreamExt, stream};
use sha2::{Digest, Sha256};

use super::report::Progress;
use super::{Ends, MigrateError};
use crate::catalog::{Catalog, ObjectRecord};
use crate::pause;
use crate::storage::{ByteStream, ObjectKey, Storage, StorageError, body_error};

/// Originals read from the source at a time (each with its variants).
const PAGE: i64 = 100;

/// Copies the objects of one catalog and store into another.
pub struct ObjectCopy<'a> {
    from: &'a Catalog,
    to: &'a Catalog,
    from_store: &'a dyn Storage,
    to_store: &'a dyn Storage,
    progress: Arc<Progress>,
    concurrency: usize,
}

impl std::fmt::Debug for ObjectCopy<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectCopy")
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

/// An original and its variants, in the order their rows must be written.
type Group = Vec<ObjectRecord>;

impl<'a> ObjectCopy<'a> {
    pub fn new(ends: &'a Ends, progress: Arc<Progress>, concurrency: usize) -> Self {
        Self {
            from: &ends.from,
            to: &ends.to,
            from_store: ends.from_store.as_ref(),
            to_store: ends.to_store.as_ref(),
            progress,
            concurrency: concurrency.max(1),
        }
    }

    /// Goes through the source's originals in URI order, a page at a time.
    pub async fn run(&self) -> Result<(), MigrateError> {
        let mut after: Option<String> = None;
        loop {
            let originals = self.from.originals_after(after.as_deref(), PAGE).await?;
            let Some(last) = originals.last() else { break };
            after = Some(last.uri.clone());
            let (groups, recorded) = self.groups(originals).await?;
            stream::iter(groups.into_iter().map(Ok))
                .try_for_each_concurrent(self.concurrency, |group| {
                    self.copy_group(group, &recorded)
                })
                .await?;
        }
        self.progress.finish();
        Ok(())
    }

    /// The page's originals with their variants, and the SHA-256 the destination records
    /// for those it has.
    async fn groups(
        &self,
        originals: Vec<ObjectRecord>,
    ) -> Result<(Vec<Group>, HashMap<String, String>), MigrateError> {
        let uris: Vec<String> = originals.iter().map(|o| o.uri.clone()).collect();
        let mut variants: HashMap<String, Group> = HashMap::new();
        for variant in self.from.variants_of_many(&uris).await? {
            let parent = variant.parent.clone().unwrap_or_default();
            variants.entry(parent).or_default().push(variant);
        }
        let groups: Vec<Group> = originals
            .into_iter()
            .map(|original| {
                let mut group = vec![original];
                group.extend(variants.remove(&group[0].uri).unwrap_or_default());
                group
            })
            .collect();
        let every: Vec<String> = groups.iter().flatten().map(|o| o.uri.clone()).collect();
        let recorded = self.to.recorded_hashes(&every).await?;
        Ok((groups, recorded))
    }

    async fn copy_group(
        &self,
        group: Group,
        recorded: &HashMap<String, String>,
    ) -> Result<(), MigrateError> {
        for object in &group {
            match recorded.get(&object.uri) {
                Some(hash) if *hash == object.sha256 => self.progress.skipped(),
                Some(hash) => {
                    return Err(failed(
                        object,
                        format!(
                            "the destination records it with SHA-256 {hash}, the source with {}",
                            object.sha256
                        ),
                    ));
                }
                None => self.copy_one(object).await?,
            }
        }
        Ok(())
    }

    /// Bytes first (unless the destination holds them already), checked, then the row.
    /// The write intent recorded before the bytes lets the destination's sweeper remove
    /// them should the row never follow.
    async fn copy_one(&self, object: &ObjectRecord) -> Result<(), MigrateError> {
        let key = ObjectKey::parse(&object.uri).map_err(|e| failed(object, e.to_string()))?;
        self.to
            .record_intents(std::slice::from_ref(&object.uri))
            .await?;
        let sent = match self.held(&key, object).await? {
            true => None,
            false => {
                let sent = self.send(&key, object).await?;
                pause::here("migrate:copied").await;
                self.verify(&key, object).await?;
                Some(sent)
            }
        };
        self.to.insert_objects(std::slice::from_ref(object)).await?;
        self.progress.copied(sent);
        Ok(())
    }

    /// Whether the destination store holds the object's bytes already (an earlier run
    /// sent them and stopped before the row): right size, and right hash when read back.
    async fn held(&self, key: &ObjectKey, object: &ObjectRecord) -> Result<bool, MigrateError> {
        match self.to_store.head(key).await {
            Ok(info) if info.size == expected_size(object) => {}
            Ok(_) | Err(StorageError::NotFound(_)) => return Ok(false),
            Err(error) => return Err(error.into()),
        }
        let read = self.to_store.get(key, None).await?;
        let (hash, size) = digest(key, read.body).await?;
        self.progress.verified(size);
        Ok(hash == object.sha256 && size == expected_size(object))
    }

    /// Streams the bytes from the source store into the destination's, hashing them on
    /// the way: a source whose bytes are not what its catalog records is not copied.
    async fn send(&self, key: &ObjectKey, object: &ObjectRecord) -> Result<u64, MigrateError> {
        let read = match self.from_store.get(key, None).await {
            Ok(read) => read,
            Err(StorageError::NotFound(_)) => {
                return Err(failed(
                    object,
                    "the source store has no bytes for it".into(),
                ));
            }
            Err(error) => return Err(error.into()),
        };
        let seen = Arc::new(Mutex::new(Seen::default()));
        let size = self.to_store.put(key, hashing(read.body, &seen)).await?;
        let (hash, read) = seen.lock().map(|s| s.finish()).unwrap_or_default();
        if hash != object.sha256 || read != expected_size(object) {
            self.discard(key).await;
            return Err(failed(
                object,
                format!(
                    "the source store holds {read} bytes with SHA-256 {hash}, its catalog \
                     records {} bytes with {}",
                    object.size, object.sha256
                ),
            ));
        }
        Ok(size)
    }

    /// Reads back what the destination store holds and checks it against the catalog.
    async fn verify(&self, key: &ObjectKey, object: &ObjectRecord) -> Result<(), MigrateError> {
        let read = self.to_store.get(key, None).await?;
        let (hash, size) = digest(key, read.body).await?;
        self.progress.verified(size);
        if hash == object.sha256 && size == expected_size(object) {
            return Ok(());
        }
        self.discard(key).await;
        Err(failed(
            object,
            format!(
                "read back, the destination store holds {size} bytes with SHA-256 {hash}, \
                 the catalog records {} bytes with {}",
                object.size, object.sha256
            ),
        ))
    }

    /// Removes bytes that failed their check (the sweeper would, later, by their intent).
    async fn discard(&self, key: &ObjectKey) {
        if let Err(error) = self.to_store.delete(key).await {
            tracing::warn!(%key, %error, "could not remove a copy that failed its check");
        }
    }
}

fn failed(object: &ObjectRecord, why: String) -> MigrateError {
    MigrateError::Object {
        uri: object.uri.clone(),
        why,
    }
}

fn expected_size(object: &ObjectRecord) -> u64 {
    u64::try_from(object.size).unwrap_or(0)
}

/// The SHA-256 and size of the bytes that went by.
#[derive(Debug, Default)]
struct Seen {
    sha256: Sha256,
    size: u64,
}

impl Seen {
    fn add(&mut self, chunk: &[u8]) {
        self.sha256.update(chunk);
        self.size += chunk.len() as u64;
    }

    fn finish(&self) -> (String, u64) {
        (hex::encode(self.sha256.clone().finalize()), self.size)
    }
}

/// `body` as it is, noting every chunk in `seen` as it passes.
fn hashing(body: ByteStream, seen: &Arc<Mutex<Seen>>) -> ByteStream {
    let seen = Arc::clone(seen);
    body.inspect(move |chunk| {
        if let (Ok(chunk), Ok(mut seen)) = (chunk, seen.lock()) {
            seen.add(chunk);
        }
    })
    .boxed()
}

/// Reads `body` to its end, a chunk at a time; answers its SHA-256 and size.
async fn digest(key: &ObjectKey, mut body: ByteStream) -> Result<(String, u64), StorageError> {
    let mut seen = Seen::default();
    while let Some(chunk) = body.next().await {
        seen.add(&chunk.map_err(|e| body_error(key, e))?);
    }
    Ok(seen.finish())
}
