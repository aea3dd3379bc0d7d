//! The one typed settings tree: embedded defaults, then an optional TOML file, then
//! `IMGATE__SECTION__KEY` environment variables, then command-line flags.

mod duration;
mod layers;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::pipeline::PipelineSettings;

pub use duration::Duration;
pub use layers::ConfigError;

/// Everything imgate can be told. Every field has a default, so an empty file is valid.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where the catalog, the local object store and the generated secret live. Default `./data`.
    pub data_dir: PathBuf,
    pub server: ServerSettings,
    pub storage: StorageSettings,
    pub catalog: CatalogSettings,
    pub auth: AuthSettings,
    pub uploads: UploadSettings,
    pub cdn: CdnSettings,
    pub pipeline: PipelineSettings,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Address and port to listen on. Default `127.0.0.1:8888`; port 0 picks a free one.
    pub listen: SocketAddr,
    /// HTTP worker threads; 0 means one per core. Default 0.
    pub workers: usize,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSettings {
    /// Root directory of the local object store. Default `<data_dir>/objects`.
    pub root: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogSettings {
    /// Database URL. Default `sqlite://<data_dir>/imgate.db`.
    pub url: Option<String>,
    /// Connections in the pool. Default 8.
    pub max_connections: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// Secret that signs session cookies and URLs (at least 32 bytes). Default: generated
    /// once into `<data_dir>/secret`.
    pub secret: Option<String>,
    /// How long a web session lasts after login. Default `7d`.
    pub session_ttl: Duration,
    /// Set the `Secure` flag on session cookies (serve over https). Default false.
    pub secure_cookies: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct UploadSettings {
    /// Largest decoded file accepted by the Base64 method, in bytes. Default 5 MiB.
    pub base64_max_bytes: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CdnSettings {
    /// Path under which stored objects are served. Default `/imgate`.
    pub path_prefix: String,
    /// Base of the URLs handed to clients, e.g. `https://cdn.example.com/imgate`.
    /// Default `http://<server.listen><path_prefix>`.
    pub public_base: Option<String>,
    /// Serve only signed URLs (`x-expires`, `x-signature`). Default false.
    pub private: bool,
    /// Lifetime of a signed URL. Default `1h`.
    pub url_ttl: Duration,
    /// Secrets for URL signatures: the first signs, any verifies (rotation). Default: the
    /// auth secret.
    pub signing_secrets: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            server: ServerSettings::default(),
            storage: StorageSettings::default(),
            catalog: CatalogSettings::default(),
            auth: AuthSettings::default(),
            uploads: UploadSettings::default(),
            cdn: CdnSettings::default(),
            pipeline: PipelineSettings::default(),
        }
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8888)),
            workers: 0,
        }
    }
}

impl Default for CatalogSettings {
    fn default() -> Self {
        Self {
            url: None,
            max_connections: 8,
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            secret: None,
            session_ttl: Duration::from_secs(7 * 24 * 3600),
            secure_cookies: false,
        }
    }
}

impl Default for UploadSettings {
    fn default() -> Self {
        Self {
            base64_max_bytes: 5 * 1024 * 1024,
        }
    }
}

impl Default for CdnSettings {
    fn default() -> Self {
        Self {
            path_prefix: "/imgate".to_owned(),
            public_base: None,
            private: false,
            url_ttl: Duration::from_secs(3600),
            signing_secrets: Vec::new(),
        }
    }
}

impl Settings {
    /// Defaults, then `file` if given, then the process environment. Each layer overrides
    /// single keys, so `[pipeline.icon] max_edge = 512` keeps the icon profile's other values.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        layers::load(file, std::env::vars())
    }

    /// Checks what serde cannot: relations between fields and value ranges.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let prefix = &self.cdn.path_prefix;
        if !prefix.starts_with('/') || prefix.len() < 2 || prefix.ends_with('/') {
            return Err(ConfigError::Invalid(format!(
                "cdn.path_prefix must look like `/name`, got `{prefix}`"
            )));
        }
        if self.uploads.base64_max_bytes == 0 {
            return Err(ConfigError::Invalid(
                "uploads.base64_max_bytes must be above 0".into(),
            ));
        }
        if let Some(secret) = &self.auth.secret
            && secret.len() < 32
        {
            return Err(ConfigError::Invalid(
                "auth.secret must be at least 32 bytes".into(),
            ));
        }
        Ok(())
    }

    pub fn storage_root(&self) -> PathBuf {
        self.storage
            .root
            .clone()
            .unwrap_or_else(|| self.data_dir.join("objects"))
    }

    pub fn catalog_url(&self) -> String {
        self.catalog
            .url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("imgate.db").display()))
    }

    /// Public base for object URLs, given the address the server actually bound.
    pub fn public_base(&self, bound: SocketAddr) -> String {
        match &self.cdn.public_base {
            Some(base) => base.trim_end_matches('/').to_owned(),
            None => format!("http://{bound}{}", self.cdn.path_prefix),
        }
    }
}
