//! Where object bytes live. Every backend implements [`Storage`] and passes the same
//! contract tests; the rest of imgate never learns which one it talks to.

mod key;
mod local;
mod metered;
mod s3;
mod settings;

use std::fmt::Debug;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};

pub use key::{InvalidKey, ObjectKey};
pub use local::LocalStorage;
pub use metered::Metered;
pub use s3::{MIN_PART_BYTES, S3Settings, S3Storage, ServeMode};
pub use settings::{Backend, StorageSettings};

/// The stores the service works with: finished objects, and the staging area for uploads
/// in progress (kept apart so listings of one never see the other).
#[derive(Debug, Clone)]
pub struct Backends {
    pub objects: Arc<dyn Storage>,
    pub staging: Arc<dyn Storage>,
}

impl Backends {
    /// Opens the backend `settings` name, on local disk with objects under `objects_root`
    /// and staged uploads under `staging_root`. For S3 nothing is sent yet; `/readyz`
    /// tells whether the store answers.
    pub async fn open(
        settings: &StorageSettings,
        objects_root: PathBuf,
        staging_root: PathBuf,
    ) -> Result<Self, StorageError> {
        match settings.backend {
            Backend::Local => {
                let open = |root: PathBuf| async move {
                    LocalStorage::open(&root)
                        .await
                        .map_err(|source| StorageError::Io {
                            key: root.display().to_string(),
                            source,
                        })
                };
                Ok(Self {
                    objects: Arc::new(open(objects_root).await?),
                    staging: Arc::new(open(staging_root).await?),
                })
            }
            Backend::S3 => {
                let objects = S3Storage::connect(&settings.s3).await?;
                // `.staging` cannot be an object key's first segment.
                let staging = objects.nested(".staging");
                Ok(Self {
                    objects: Arc::new(objects),
                    staging: Arc::new(staging),
                })
            }
        }
    }
}

impl Backends {
    /// The same stores, each counted and timed for `/metrics` under `backend`'s name.
    pub fn metered(self, backend: Backend) -> Self {
        let name = match backend {
            Backend::Local => "local",
            Backend::S3 => "s3",
        };
        Self {
            objects: Metered::wrap(self.objects, name, "objects"),
            staging: Metered::wrap(self.staging, name, "staging"),
        }
    }
}

/// A body to store or a body read back: chunks of bytes, in order.
pub type ByteStream = BoxStream<'static, io::Result<Bytes>>;

/// Wraps bytes already in memory as a [`ByteStream`].
pub fn stream_of(bytes: Bytes) -> ByteStream {
    stream::once(async move { Ok(bytes) }).boxed()
}

/// What a backend knows about a stored object without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size: u64,
    pub modified: SystemTime,
}

/// Headers a presigned URL makes the backend answer with.
#[derive(Debug, Clone, Default)]
pub struct ResponseHeaders {
    pub content_type: String,
    pub content_disposition: Option<String>,
    pub cache_control: Option<String>,
}

/// An inclusive byte range `start..=end` within an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    pub fn length(self) -> u64 {
        self.end - self.start + 1
    }
}

/// An object a backend can copy from without the bytes passing through imgate: the
/// bucket and full key of an S3 object, with its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySource {
    pub bucket: String,
    pub key: String,
    pub size: u64,
}

/// An object being read: its info and the bytes asked for.
pub struct ObjectRead {
    pub info: ObjectInfo,
    pub body: ByteStream,
}

impl Debug for ObjectRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectRead")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("object `{0}` not found")]
    NotFound(ObjectKey),
    /// The backend cannot be reached or refuses to work; retrying later may succeed.
    #[error("storage backend unavailable: {0}")]
    Unavailable(String),
    #[error("storage I/O error on `{key}`: {source}")]
    Io { key: String, source: io::Error },
}

/// An object store. Writes are atomic: a reader sees the whole new object or nothing.
#[async_trait]
pub trait Storage: Send + Sync + Debug {
    /// Stores `body` under `key`, replacing any object there, and returns its size.
    async fn put(&self, key: &ObjectKey, body: ByteStream) -> Result<u64, StorageError>;

    /// Reads the object, or only `range` of it (which the caller has checked against its size).
    async fn get(
        &self,
        key: &ObjectKey,
        range: Option<ByteRange>,
    ) -> Result<ObjectRead, StorageError>;

    async fn head(&self, key: &ObjectKey) -> Result<ObjectInfo, StorageError>;

    /// Removes the object; `Ok(false)` when there was none.
    async fn delete(&self, key: &ObjectKey) -> Result<bool, StorageError>;

    /// Removes every object whose key starts with `prefix` (for a prefix ending in `/`,
    /// also whatever a crash left half-written there).
    async fn delete_all(&self, prefix: &str) -> Result<(), StorageError> {
        delete_each(self, prefix).await
    }

    /// Keys that start with `prefix`, in no particular order.
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectKey>, StorageError>;

    /// Removes what writes that never finished left behind (a crash in the middle of a
    /// put), once it is older than `older_than`; `everywhere` also looks in places only
    /// older versions used (slow on a large store: at start-up). Answers how many.
    async fn sweep_temporary(
        &self,
        _older_than: Duration,
        _everywhere: bool,
    ) -> Result<u64, StorageError> {
        Ok(0)
    }

    /// Where this backend can be copied from server-side, for `key` of `size` bytes.
    fn copy_source(&self, _key: &ObjectKey, _size: u64) -> Option<CopySource> {
        None
    }

    /// Makes `key` the concatenation of `sources` inside the backend, without the bytes
    /// passing through imgate; `Ok(false)` when it cannot (the caller then streams them).
    async fn compose(
        &self,
        _key: &ObjectKey,
        _sources: &[CopySource],
    ) -> Result<bool, StorageError> {
        Ok(false)
    }

    /// Succeeds when the backend can serve requests (for `/readyz`).
    async fn check(&self) -> Result<(), StorageError>;

    /// A URL at which the backend itself serves the object for `ttl`, with the response
    /// headers `headers` asks for, where it can.
    async fn presigned_get(
        &self,
        _key: &ObjectKey,
        _ttl: Duration,
        _headers: &ResponseHeaders,
    ) -> Result<Option<String>, StorageError> {
        Ok(None)
    }
}

/// Lists the keys under `prefix` and deletes them one by one.
async fn delete_each<S: Storage + ?Sized>(store: &S, prefix: &str) -> Result<(), StorageError> {
    for key in store.list(prefix).await? {
        store.delete(&key).await?;
    }
    Ok(())
}

/// Reads a whole object into memory (for small objects and tests).
pub async fn read_all(storage: &dyn Storage, key: &ObjectKey) -> Result<Bytes, StorageError> {
    let mut read = storage.get(key, None).await?;
    let mut out = Vec::with_capacity(usize::try_from(read.info.size).unwrap_or(0));
    while let Some(chunk) = read.body.next().await {
        out.extend_from_slice(&chunk.map_err(|source| body_error(key, source))?);
    }
    Ok(Bytes::from(out))
}

/// A body that stops part way: a lost connection or a timeout means the backend is
/// unavailable (retry later); anything else is an I/O error.
pub fn body_error(key: &ObjectKey, source: io::Error) -> StorageError {
    match source.kind() {
        io::ErrorKind::ConnectionAborted
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::TimedOut
        | io::ErrorKind::UnexpectedEof => {
            StorageError::Unavailable(format!("reading `{key}` stopped: {source}"))
        }
        _ => StorageError::Io {
            key: key.to_string(),
            source,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_cut_off_is_unavailable_and_a_disk_error_is_not() {
        let key = ObjectKey::parse("a/b.png").expect("key");
        let cut = io::Error::new(io::ErrorKind::ConnectionAborted, "connection reset");
        assert!(matches!(
            body_error(&key, cut),
            StorageError::Unavailable(_)
        ));
        let disk = io::Error::other("input/output error");
        assert!(matches!(body_error(&key, disk), StorageError::Io { .. }));
    }
}
