//! Which object store to use (`[storage]`); the S3 store's own settings are beside it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::S3Settings;
use crate::clock::Duration;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSettings {
    /// Where objects live: `local` (files under `root`) or `s3`. Default `local`.
    pub backend: Backend,
    /// Root directory of the local object store. Default `<data_dir>/objects`.
    pub root: Option<PathBuf>,
    /// The S3-compatible store, when `backend = "s3"`.
    pub s3: S3Settings,
    /// Age after which what an interrupted write left behind is swept: temporary files and
    /// unfinished multipart uploads not written to for this long, and objects stored
    /// without a record (for those, at least `imagex.session_ttl`, so that no commit can
    /// still be writing them). Default `1h`.
    pub sweep_after: Duration,
    /// How often the sweeper runs (it also runs at start-up). Default `10m`.
    pub sweep_interval: Duration,
}

impl Default for StorageSettings {
    fn default() -> Self {
        Self {
            backend: Backend::default(),
            root: None,
            s3: S3Settings::default(),
            sweep_after: Duration::from_secs(3600),
            sweep_interval: Duration::from_secs(600),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    #[default]
    Local,
    S3,
}
