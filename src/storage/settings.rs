//! Which object store to use (`[storage]`); the S3 store's own settings are beside it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::S3Settings;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSettings {
    /// Where objects live: `local` (files under `root`) or `s3`. Default `local`.
    pub backend: Backend,
    /// Root directory of the local object store. Default `<data_dir>/objects`.
    pub root: Option<PathBuf>,
    /// The S3-compatible store, when `backend = "s3"`.
    pub s3: S3Settings,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    #[default]
    Local,
    S3,
}
