//! What the client remembers between runs, in its cache directory: files already uploaded
//! (by content hash, server and biz type), so an identical file is not sent twice, and the
//! state of chunked uploads in progress, so a run that was cut off resumes. Files are
//! written whole (temporary name, then rename).

use std::io;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::api::Ticket;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedUpload {
    pub uri: String,
    pub url: String,
}

/// A chunked upload started in an earlier run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeState {
    pub ticket: Ticket,
    pub upload_id: String,
    pub part_size: usize,
}

#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// `$XDG_CACHE_HOME/imgate`, else `~/.cache/imgate`, else `.imgate-cache`.
    pub fn default_dir() -> PathBuf {
        std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))
            .map_or_else(
                || PathBuf::from(".imgate-cache"),
                |base| base.join("imgate"),
            )
    }

    /// The key of a file's content as uploaded to `server` for `biz`.
    pub fn key(server: &str, biz: u8, content_sha256: &str) -> String {
        crate::auth::sha256_hex(format!("{server}|{biz}|{content_sha256}"))[..40].to_owned()
    }

    fn path(&self, kind: &str, key: &str) -> PathBuf {
        self.dir.join(kind).join(format!("{key}.json"))
    }

    pub fn uploaded(&self, key: &str) -> Option<CachedUpload> {
        read(&self.path("uploaded", key))
    }

    pub fn remember(&self, key: &str, upload: &CachedUpload) -> io::Result<()> {
        write(&self.path("uploaded", key), upload)
    }

    pub fn resume_state(&self, key: &str) -> Option<ResumeState> {
        read(&self.path("resume", key))
    }

    pub fn save_resume(&self, key: &str, state: &ResumeState) -> io::Result<()> {
        write(&self.path("resume", key), state)
    }

    pub fn forget_resume(&self, key: &str) {
        let _ = std::fs::remove_file(self.path("resume", key));
    }
}

fn read<T: DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn write<T: Serialize>(path: &Path, value: &T) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let temp = dir.join(format!(".tmp-{}", crate::random::random_hex(6)));
    std::fs::write(&temp, serde_json::to_vec(value).map_err(io::Error::other)?)?;
    std::fs::rename(temp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_uploads_and_resume_state() {
        let dir = tempfile::tempdir().expect("dir");
        let cache = Cache::new(dir.path());
        let key = Cache::key("http://h", 1, "abc");
        assert_ne!(
            key,
            Cache::key("http://h", 2, "abc"),
            "the biz type is part of the key"
        );
        assert_eq!(cache.uploaded(&key), None);
        let upload = CachedUpload {
            uri: "u".into(),
            url: "http://h/u".into(),
        };
        cache.remember(&key, &upload).expect("write");
        assert_eq!(cache.uploaded(&key), Some(upload));
        let ticket = Ticket {
            store_uri: "s".into(),
            auth: "a".into(),
            session_key: "k".into(),
            upload_host: "h".into(),
        };
        let state = ResumeState {
            ticket,
            upload_id: "id".into(),
            part_size: 5,
        };
        cache.save_resume(&key, &state).expect("write");
        assert_eq!(cache.resume_state(&key), Some(state));
        cache.forget_resume(&key);
        assert_eq!(cache.resume_state(&key), None);
    }
}
