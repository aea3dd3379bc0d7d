//! The staging area: bytes of ImageX uploads that are not objects yet, kept in a store of
//! their own (a directory beside the local objects, or a prefix of the S3 bucket), so
//! parts never pass through the local disk when objects live in S3. Each upload's bytes
//! are under `<upload id>/`: `data` for a direct upload, `part-<n>` for each part of a
//! chunked one, read in order at commit. Stores
//! write atomically, so what is staged after a crash or a restart is whole.

use std::io;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt, stream};
use tokio::sync::mpsc;

use crate::storage::{ByteStream, CopySource, ObjectKey, Storage, StorageError, read_all};

/// Body chunks buffered between the request and the store.
const CHANNEL_CHUNKS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum StagingError {
    #[error("the body is over the {limit_name} of {limit} bytes")]
    TooLarge {
        limit_name: &'static str,
        limit: u64,
    },
    #[error("reading the body failed: {0}")]
    Body(String),
    #[error("CRC32 mismatch: Content-CRC32 says {expected:08x}, the body's is {actual:08x}")]
    CrcMismatch { expected: u32, actual: u32 },
    #[error("bad upload id")]
    BadId,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A staged file as a commit reads it: the upload's whole body (no parts), or the parts
/// the complete listed, in order, with their sizes; and what the upload host confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedFile {
    pub upload_id: String,
    /// Part numbers and sizes; empty for a direct upload.
    pub parts: Vec<(i64, u64)>,
    pub size: u64,
    pub crc32: u32,
}

/// Size and CRC32 of a staged body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Staged {
    pub size: u64,
    pub crc32: u32,
}

#[derive(Debug, Clone)]
pub struct Staging {
    store: Arc<dyn Storage>,
}

impl Staging {
    pub fn new(store: Arc<dyn Storage>) -> Self {
        Self { store }
    }

    /// `<id>/data` for a whole file, `<id>/part-<n>` for a part.
    fn key(upload_id: &str, part: Option<i64>) -> Result<ObjectKey, StagingError> {
        let name = match part {
            None => format!("{}data", Self::prefix(upload_id)?),
            Some(n) => format!("{}part-{n}", Self::prefix(upload_id)?),
        };
        ObjectKey::parse(&name).map_err(|_| StagingError::BadId)
    }

    /// Everything of one upload is under `<id>/`. Upload ids are generated hex; anything
    /// else is refused before it reaches the store.
    fn prefix(upload_id: &str) -> Result<String, StagingError> {
        if upload_id.is_empty() || !upload_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StagingError::BadId);
        }
        Ok(format!("{upload_id}/"))
    }

    /// Streams `body` into the whole file (`part = None`) or part `n`, refusing it at once
    /// when it goes over `limit` bytes, and keeping it only if its CRC32 is `expected_crc`
    /// (when given). A refused body replaces nothing.
    pub async fn write<S, E>(
        &self,
        upload_id: &str,
        part: Option<i64>,
        body: S,
        limit: (u64, &'static str),
        expected_crc: Option<u32>,
    ) -> Result<Staged, StagingError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let key = Self::key(upload_id, part)?;
        // Request bodies are not `Send`; a channel carries them to the store, and the
        // checks run on this side so that a refused body ends the store's stream in error.
        let (sender, receiver) = mpsc::channel(CHANNEL_CHUNKS);
        let chunks = stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|chunk| (chunk, receiver))
        });
        let (stored, pumped) = tokio::join!(
            self.store.put(&key, chunks.boxed()),
            pump(body, sender, limit, expected_crc)
        );
        match (pumped, stored) {
            (Pumped::Refused(why), _) => Err(why),
            (_, Err(e)) => Err(e.into()),
            (Pumped::Whole(staged), Ok(_)) => Ok(staged),
            (Pumped::StoreStopped, Ok(_)) => Err(StorageError::Unavailable(
                "the staging store stopped reading the body".into(),
            )
            .into()),
        }
    }

    /// Removes one part (refused after it was written).
    pub async fn remove_part(&self, upload_id: &str, part: i64) -> Result<(), StagingError> {
        self.store
            .delete(&Self::key(upload_id, Some(part))?)
            .await?;
        Ok(())
    }

    /// Removes every part (a chunked upload replaced by a direct one).
    pub async fn remove_parts(&self, upload_id: &str) -> Result<(), StagingError> {
        let parts = format!("{}part-", Self::prefix(upload_id)?);
        Ok(self.store.delete_all(&parts).await?)
    }

    /// Forgets everything staged for the upload.
    pub async fn remove(&self, upload_id: &str) -> Result<(), StagingError> {
        Ok(self.store.delete_all(&Self::prefix(upload_id)?).await?)
    }

    /// The keys of a staged file's pieces, with their sizes, in order.
    fn pieces(&self, file: &StagedFile) -> Result<Vec<(ObjectKey, u64)>, StagingError> {
        if file.parts.is_empty() {
            return Ok(vec![(Self::key(&file.upload_id, None)?, file.size)]);
        }
        file.parts
            .iter()
            .map(|&(number, size)| Ok((Self::key(&file.upload_id, Some(number))?, size)))
            .collect()
    }

    /// The staged file's bytes as one stream, read piece by piece as it is consumed.
    pub fn stream(&self, file: &StagedFile) -> Result<ByteStream, StagingError> {
        let store = Arc::clone(&self.store);
        let keys: Vec<ObjectKey> = self.pieces(file)?.into_iter().map(|(k, _)| k).collect();
        let opened = stream::iter(keys).then(move |key| {
            let store = Arc::clone(&store);
            async move {
                let read = store.get(&key, None).await.map_err(io::Error::other)?;
                Ok::<_, io::Error>(read.body)
            }
        });
        Ok(opened.try_flatten().boxed())
    }

    /// The staged file whole, in memory (for files the pipeline decodes).
    pub async fn read(&self, file: &StagedFile) -> Result<Vec<u8>, StagingError> {
        let mut out = Vec::with_capacity(usize::try_from(file.size).unwrap_or(0));
        for (key, _) in self.pieces(file)? {
            out.extend_from_slice(&read_all(self.store.as_ref(), &key).await?);
        }
        Ok(out)
    }

    /// The first `n` bytes of the staged file (or all of it, when shorter).
    pub async fn head(&self, file: &StagedFile, n: usize) -> Result<Vec<u8>, StagingError> {
        let mut body = self.stream(file)?;
        let mut head = Vec::with_capacity(n.min(1 << 20));
        while head.len() < n {
            match body.next().await {
                Some(chunk) => {
                    let chunk = chunk.map_err(read_error)?;
                    head.extend_from_slice(&chunk[..chunk.len().min(n - head.len())]);
                }
                None => break,
            }
        }
        Ok(head)
    }

    /// Where the staged file's pieces can be copied from inside the store, when it can.
    pub fn copy_sources(&self, file: &StagedFile) -> Option<Vec<CopySource>> {
        let pieces = self.pieces(file).ok()?;
        pieces
            .iter()
            .map(|(key, size)| self.store.copy_source(key, *size))
            .collect()
    }
}

/// What an error in the middle of reading a staged file means: the store's own error when
/// opening a piece failed; a body cut off part way is the store being unavailable.
pub(super) fn read_error(error: io::Error) -> StagingError {
    match error.downcast::<StorageError>() {
        Ok(storage) => StagingError::Storage(storage),
        Err(cut) => StagingError::Storage(StorageError::Unavailable(format!(
            "reading staged bytes stopped: {cut}"
        ))),
    }
}

/// How the request side of a write ended.
enum Pumped {
    /// The whole body was passed on.
    Whole(Staged),
    /// The body broke a rule or failed; the store was sent an error so it keeps nothing.
    Refused(StagingError),
    /// The store stopped reading (it failed on its own).
    StoreStopped,
}

/// Passes `body` to the store chunk by chunk, counting and hashing it.
async fn pump<S, E>(
    mut body: S,
    sender: mpsc::Sender<io::Result<Bytes>>,
    (limit, limit_name): (u64, &'static str),
    expected_crc: Option<u32>,
) -> Pumped
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut hasher = crc32fast::Hasher::new();
    let mut size = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => return refuse(&sender, StagingError::Body(e.to_string())).await,
        };
        size += chunk.len() as u64;
        if size > limit {
            return refuse(&sender, StagingError::TooLarge { limit_name, limit }).await;
        }
        hasher.update(&chunk);
        if sender.send(Ok(chunk)).await.is_err() {
            return Pumped::StoreStopped;
        }
    }
    let crc32 = hasher.finalize();
    match expected_crc {
        Some(expected) if expected != crc32 => {
            let why = StagingError::CrcMismatch {
                expected,
                actual: crc32,
            };
            refuse(&sender, why).await
        }
        _ => Pumped::Whole(Staged { size, crc32 }),
    }
}

/// Ends the store's stream in error, so it keeps nothing of the body.
async fn refuse(sender: &mpsc::Sender<io::Result<Bytes>>, why: StagingError) -> Pumped {
    let error = io::Error::new(io::ErrorKind::InvalidData, why.to_string());
    let _ = sender.send(Err(error)).await;
    Pumped::Refused(why)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::LocalStorage;

    fn body(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, io::Error>> + Unpin {
        stream::iter(
            parts
                .iter()
                .map(|p| Ok(Bytes::from_static(p)))
                .collect::<Vec<_>>(),
        )
    }

    async fn staging() -> (tempfile::TempDir, Arc<LocalStorage>, Staging) {
        let dir = tempfile::tempdir().expect("dir");
        let store = Arc::new(LocalStorage::open(dir.path()).await.expect("open"));
        let staging = Staging::new(store.clone());
        (dir, store, staging)
    }

    #[tokio::test]
    async fn parts_are_read_back_in_order_with_their_crc() {
        let (dir, store, staging) = staging().await;
        let a = staging
            .write(
                "ab12",
                Some(1),
                body(&[b"hello "]),
                (100, "part limit"),
                None,
            )
            .await
            .expect("part 1");
        staging
            .write(
                "ab12",
                Some(2),
                body(&[b"wor", b"ld"]),
                (100, "part limit"),
                Some(crc32fast::hash(b"world")),
            )
            .await
            .expect("part 2");
        assert_eq!(
            a,
            Staged {
                size: 6,
                crc32: crc32fast::hash(b"hello ")
            }
        );
        let file = StagedFile {
            upload_id: "ab12".into(),
            parts: vec![(1, 6), (2, 5)],
            size: 11,
            crc32: crc32fast::hash(b"hello world"),
        };
        assert_eq!(staging.read(&file).await.expect("read"), b"hello world");
        let streamed: Vec<Bytes> = staging
            .stream(&file)
            .expect("stream")
            .try_collect()
            .await
            .expect("streamed");
        assert_eq!(
            streamed.concat(),
            b"hello world",
            "the stream is the parts in order"
        );
        assert_eq!(staging.head(&file, 8).await.expect("head"), b"hello wo");
        staging.remove_parts("ab12").await.expect("remove parts");
        assert!(staging.read(&file).await.is_err());
        staging
            .write("ab12", None, body(&[b"whole"]), (100, ""), None)
            .await
            .expect("direct");
        staging.remove("ab12").await.expect("remove");
        assert!(store.list("").await.expect("list").is_empty());
        assert!(
            !dir.path().join("ab12").exists(),
            "no empty directory is left"
        );
    }

    #[tokio::test]
    async fn a_refused_body_replaces_nothing() {
        let (_dir, store, staging) = staging().await;
        staging
            .write("cd34", None, body(&[b"keep"]), (5, "file limit"), None)
            .await
            .expect("first body");
        let err = staging
            .write(
                "cd34",
                None,
                body(&[b"12345", b"6"]),
                (5, "file limit"),
                None,
            )
            .await;
        assert!(matches!(err, Err(StagingError::TooLarge { limit: 5, .. })));
        let wrong = staging
            .write("cd34", None, body(&[b"12"]), (5, ""), Some(1))
            .await;
        assert!(matches!(
            wrong,
            Err(StagingError::CrcMismatch { expected: 1, .. })
        ));
        let whole = StagedFile {
            upload_id: "cd34".into(),
            parts: Vec::new(),
            size: 4,
            crc32: crc32fast::hash(b"keep"),
        };
        assert_eq!(staging.read(&whole).await.expect("still there"), b"keep");
        assert_eq!(store.list("").await.expect("list").len(), 1);
        assert!(matches!(
            staging
                .write("../x", None, body(&[b"1"]), (5, ""), None)
                .await,
            Err(StagingError::BadId)
        ));
    }
}
