//! Objects as files under one root directory. A write goes to a temporary file in the
//! root's `.tmp/` (no key can name it), is fsynced, renamed over the key and the target
//! directory fsynced, so a crash or a failed upload never leaves a partial object visible;
//! what a crash leaves in `.tmp/` is swept once it is old.

use std::io::{self, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use tokio::fs;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio_util::io::ReaderStream;

use super::{ByteRange, ByteStream, ObjectInfo, ObjectKey, ObjectRead, Storage, StorageError};

/// Read buffer for serving files, in bytes.
const READ_CHUNK: usize = 64 * 1024;

/// Where writes in progress live, under the root.
const TEMPORARY_DIR: &str = ".tmp";

/// How temporary files were named beside their target before they moved to `.tmp/`.
const OLD_TEMPORARY_PREFIX: &str = ".tmp-";

#[derive(Debug, Clone)]
pub struct LocalStorage {
    root: PathBuf,
}

impl LocalStorage {
    /// Opens (creating if needed) the store rooted at `root`.
    pub async fn open(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        fs::create_dir_all(root.join(TEMPORARY_DIR)).await?;
        Ok(Self { root })
    }

    fn path_of(&self, key: &ObjectKey) -> PathBuf {
        key.segments().fold(self.root.clone(), |p, s| p.join(s))
    }

    async fn write_atomically(&self, path: &Path, mut body: ByteStream) -> io::Result<u64> {
        let dir = path.parent().unwrap_or(&self.root);
        fs::create_dir_all(dir).await?;
        let temp = self
            .root
            .join(TEMPORARY_DIR)
            .join(crate::random::random_hex(8));
        let result = async {
            let mut file = fs::File::create(&temp).await?;
            let mut size = 0u64;
            while let Some(chunk) = body.next().await {
                let chunk = chunk?;
                size += chunk.len() as u64;
                file.write_all(&chunk).await?;
            }
            file.sync_all().await?;
            drop(file);
            fs::rename(&temp, path).await?;
            sync_dir(dir).await?;
            Ok(size)
        }
        .await;
        if result.is_err() {
            let _ = fs::remove_file(&temp).await;
        }
        result
    }
}

async fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir).await?.sync_all().await
}

fn io_error(key: &ObjectKey, source: io::Error) -> StorageError {
    if source.kind() == io::ErrorKind::NotFound {
        StorageError::NotFound(key.clone())
    } else {
        StorageError::Io {
            key: key.to_string(),
            source,
        }
    }
}

fn info_of(meta: &std::fs::Metadata) -> io::Result<ObjectInfo> {
    Ok(ObjectInfo {
        size: meta.len(),
        modified: meta.modified()?,
    })
}

#[async_trait]
impl Storage for LocalStorage {
    async fn put(&self, key: &ObjectKey, body: ByteStream) -> Result<u64, StorageError> {
        self.write_atomically(&self.path_of(key), body)
            .await
            .map_err(|e| io_error(key, e))
    }

    async fn get(
        &self,
        key: &ObjectKey,
        range: Option<ByteRange>,
    ) -> Result<ObjectRead, StorageError> {
        let open = async {
            let mut file = fs::File::open(self.path_of(key)).await?;
            let meta = file.metadata().await?;
            if !meta.is_file() {
                return Err(io::ErrorKind::NotFound.into());
            }
            let info = info_of(&meta)?;
            let (start, len) = match range {
                Some(r) => (r.start, r.length()),
                None => (0, info.size),
            };
            file.seek(SeekFrom::Start(start)).await?;
            let body = ReaderStream::with_capacity(file.take(len), READ_CHUNK).boxed();
            Ok(ObjectRead { info, body })
        };
        open.await.map_err(|e| io_error(key, e))
    }

    async fn head(&self, key: &ObjectKey) -> Result<ObjectInfo, StorageError> {
        let meta = fs::metadata(self.path_of(key))
            .await
            .map_err(|e| io_error(key, e))?;
        if !meta.is_file() {
            return Err(StorageError::NotFound(key.clone()));
        }
        info_of(&meta).map_err(|e| io_error(key, e))
    }

    async fn delete(&self, key: &ObjectKey) -> Result<bool, StorageError> {
        match fs::remove_file(self.path_of(key)).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_error(key, e)),
        }
    }

    async fn delete_all(&self, prefix: &str) -> Result<(), StorageError> {
        // A whole directory goes at once, with any temporary file a crash left in it.
        let Some(dir) = prefix
            .strip_suffix('/')
            .and_then(|d| ObjectKey::parse(d).ok())
        else {
            return super::delete_each(self, prefix).await;
        };
        match fs::remove_dir_all(self.path_of(&dir)).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_error(&dir, e)),
            _ => Ok(()),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectKey>, StorageError> {
        let root = self.root.clone();
        let prefix = prefix.to_owned();
        tokio::task::spawn_blocking(move || list_under(&root, &prefix))
            .await
            .map_err(|e| StorageError::Unavailable(e.to_string()))?
            .map_err(|source| StorageError::Io {
                key: "(listing)".into(),
                source,
            })
    }

    async fn sweep_temporary(
        &self,
        older_than: Duration,
        everywhere: bool,
    ) -> Result<u64, StorageError> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || sweep_temporary(&root, older_than, everywhere))
            .await
            .map_err(|e| StorageError::Unavailable(e.to_string()))?
            .map_err(|source| StorageError::Io {
                key: "(sweeping temporary files)".into(),
                source,
            })
    }

    async fn check(&self) -> Result<(), StorageError> {
        match fs::metadata(&self.root).await {
            Ok(meta) if meta.is_dir() => Ok(()),
            Ok(_) => Err(StorageError::Unavailable(format!(
                "{} is not a directory",
                self.root.display()
            ))),
            Err(e) => Err(StorageError::Unavailable(format!(
                "{}: {e}",
                self.root.display()
            ))),
        }
    }
}

/// Removes temporary files last written over `older_than` ago: those in `.tmp/`, and with
/// `everywhere` those an earlier version left beside their targets. Answers how many.
fn sweep_temporary(root: &Path, older_than: Duration, everywhere: bool) -> io::Result<u64> {
    let is_old = |entry: &std::fs::DirEntry| {
        entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|at| at.elapsed().is_ok_and(|age| age >= older_than))
    };
    let mut removed = 0;
    let mut pending = vec![(root.join(TEMPORARY_DIR), true)];
    if everywhere {
        pending.push((root.to_path_buf(), false));
    }
    while let Some((dir, in_temporary)) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let kind = entry.file_type()?;
            if kind.is_dir() {
                if everywhere && !in_temporary && name != TEMPORARY_DIR {
                    pending.push((entry.path(), false));
                }
                continue;
            }
            let temporary = in_temporary || name.starts_with(OLD_TEMPORARY_PREFIX);
            if temporary && is_old(&entry) {
                match std::fs::remove_file(entry.path()) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(removed)
}

/// Walks the tree below the directory part of `prefix`, skipping temporary files.
fn list_under(root: &Path, prefix: &str) -> io::Result<Vec<ObjectKey>> {
    let start_dir = match prefix.rfind('/') {
        Some(i) => &prefix[..i],
        None => "",
    };
    let mut pending = vec![(root.join(start_dir), start_dir.to_owned())];
    let mut keys = Vec::new();
    while let Some((dir, rel)) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let key = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if entry.file_type()?.is_dir() {
                pending.push((entry.path(), key));
            } else if key.starts_with(prefix)
                && let Ok(key) = ObjectKey::parse(&key)
            {
                keys.push(key);
            }
        }
    }
    Ok(keys)
}
