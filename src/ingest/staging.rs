//! The staging area: bytes of ImageX uploads that are not objects yet. Each upload has a
//! directory named by its upload id; a direct upload is one file, a chunked one a file per
//! part until it is assembled. Every file is written to a temporary name, fsynced and
//! renamed, so what is there after a crash or a restart is whole.

use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::fs;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const DATA: &str = "data";

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
    #[error("staging I/O failed: {0}")]
    Io(#[from] io::Error),
}

/// Size and CRC32 of a staged file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Staged {
    pub size: u64,
    pub crc32: u32,
}

#[derive(Debug, Clone)]
pub struct Staging {
    root: PathBuf,
}

impl Staging {
    pub async fn open(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        fs::create_dir_all(&root).await?;
        Ok(Self { root })
    }

    /// Upload ids are generated hex; anything else never reaches the disk.
    fn dir(&self, upload_id: &str) -> io::Result<PathBuf> {
        if upload_id.is_empty() || !upload_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad upload id"));
        }
        Ok(self.root.join(upload_id))
    }

    pub fn data_path(&self, upload_id: &str) -> io::Result<PathBuf> {
        Ok(self.dir(upload_id)?.join(DATA))
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
        let dir = self.dir(upload_id)?;
        fs::create_dir_all(&dir).await?;
        let name = part.map_or_else(|| DATA.to_owned(), |n| format!("part-{n}"));
        let temp = dir.join(format!(".tmp-{name}-{}", crate::auth::random_hex(4)));
        let result = write_file(&temp, body, limit)
            .await
            .and_then(|staged| match expected_crc {
                Some(expected) if expected != staged.crc32 => Err(StagingError::CrcMismatch {
                    expected,
                    actual: staged.crc32,
                }),
                _ => Ok(staged),
            });
        match result {
            Ok(staged) => {
                fs::rename(&temp, dir.join(&name)).await?;
                fs::File::open(&dir).await?.sync_all().await?;
                Ok(staged)
            }
            Err(error) => {
                let _ = fs::remove_file(&temp).await;
                Err(error)
            }
        }
    }

    /// Joins `parts` (in this order) into the whole file and removes them.
    pub async fn assemble(&self, upload_id: &str, parts: &[i64]) -> Result<Staged, StagingError> {
        let dir = self.dir(upload_id)?;
        let files: Vec<PathBuf> = parts
            .iter()
            .map(|n| dir.join(format!("part-{n}")))
            .collect();
        let reader = futures_util::stream::iter(files.clone())
            .then(|path| async move { fs::read(path).await.map(Bytes::from) })
            .boxed();
        let staged = self
            .write(upload_id, None, reader, (u64::MAX, ""), None)
            .await?;
        for file in files {
            let _ = fs::remove_file(file).await;
        }
        Ok(staged)
    }

    /// Removes one part (refused after it was written).
    pub async fn remove_part(&self, upload_id: &str, part: i64) {
        if let Ok(dir) = self.dir(upload_id) {
            let _ = fs::remove_file(dir.join(format!("part-{part}"))).await;
        }
    }

    /// Forgets everything staged for the upload.
    pub async fn remove(&self, upload_id: &str) -> io::Result<()> {
        match fs::remove_dir_all(self.dir(upload_id)?).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Reads the whole staged file.
    pub async fn read(&self, upload_id: &str) -> io::Result<Vec<u8>> {
        let mut file = fs::File::open(self.data_path(upload_id)?).await?;
        let mut out = Vec::new();
        file.read_to_end(&mut out).await?;
        Ok(out)
    }
}

async fn write_file<S, E>(
    path: &Path,
    mut body: S,
    (limit, limit_name): (u64, &'static str),
) -> Result<Staged, StagingError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut file = fs::File::create(path).await?;
    let mut hasher = crc32fast::Hasher::new();
    let mut size = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| StagingError::Body(e.to_string()))?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(StagingError::TooLarge { limit_name, limit });
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await?;
    }
    file.sync_all().await?;
    Ok(Staged {
        size,
        crc32: hasher.finalize(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, io::Error>> + Unpin {
        futures_util::stream::iter(
            parts
                .iter()
                .map(|p| Ok(Bytes::from_static(p)))
                .collect::<Vec<_>>(),
        )
    }

    #[tokio::test]
    async fn parts_assemble_in_order_with_their_crc() {
        let dir = tempfile::tempdir().expect("dir");
        let staging = Staging::open(dir.path()).await.expect("open");
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
        let whole = staging.assemble("ab12", &[1, 2]).await.expect("assemble");
        assert_eq!(
            whole,
            Staged {
                size: 11,
                crc32: crc32fast::hash(b"hello world")
            }
        );
        assert_eq!(staging.read("ab12").await.expect("read"), b"hello world");
        staging.remove("ab12").await.expect("remove");
        assert!(staging.read("ab12").await.is_err());
    }

    #[tokio::test]
    async fn an_oversize_body_leaves_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let staging = Staging::open(dir.path()).await.expect("open");
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
        assert_eq!(
            std::fs::read_dir(dir.path().join("cd34"))
                .expect("dir")
                .count(),
            0
        );
        assert!(
            staging
                .write("../x", None, body(&[b"1"]), (5, ""), None)
                .await
                .is_err()
        );
        let wrong = staging
            .write("cd34", None, body(&[b"12"]), (5, ""), Some(1))
            .await;
        assert!(matches!(
            wrong,
            Err(StagingError::CrcMismatch { expected: 1, .. })
        ));
        assert!(
            staging.read("cd34").await.is_err(),
            "a body with the wrong CRC is not kept"
        );
    }
}
