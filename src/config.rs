//! The one typed settings tree: embedded defaults, then an optional TOML file, then
//! `IMGATE__SECTION__KEY` environment variables, then command-line flags.

mod layers;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cdn::{AutoFormat, TemplateSettings, default_templates};
pub use crate::metrics::MetricsSettings;
use crate::pipeline::PipelineSettings;
pub use crate::storage::{Backend, StorageSettings};

pub use crate::catalog::CatalogSettings;
pub use crate::clock::Duration;
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
    pub imagex: ImagexSettings,
    pub metrics: MetricsSettings,
    pub console: ConsoleSettings,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Address and port to listen on. Default `127.0.0.1:8888`; port 0 picks a free one.
    pub listen: SocketAddr,
    /// HTTP worker threads; 0 means one per core. Default 0.
    pub workers: usize,
    /// Serve https with this certificate and key (PEM files). Default: plain http.
    pub tls: Option<TlsSettings>,
    /// How long requests in flight (and their processing jobs) may take to finish after
    /// SIGTERM or SIGINT before their connections are closed. Default `30s`.
    pub shutdown_grace: Duration,
    /// How long the node keeps accepting after SIGTERM or SIGINT while `/readyz` answers
    /// 503, so load balancers see it before connections are refused. Default `0s`.
    pub drain_delay: Duration,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// Certificate chain, PEM.
    pub cert: PathBuf,
    /// Private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
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
    /// Named templates for variant URLs. Default `resize`, `crop` and `noop`.
    pub templates: BTreeMap<String, TemplateSettings>,
    /// Largest width or height a template URL may ask for. Default 4096.
    pub max_side: u32,
    /// When not empty, the only widths and heights template URLs may ask for. Default empty.
    pub allowed_sizes: Vec<u32>,
    /// Quality (1-100) of lossy variants made from template URLs. Default 80.
    pub variant_quality: u8,
    /// What `.auto` template URLs answer, in order of preference: the first format the
    /// request's `Accept` names (`image/avif`, `image/webp`), else the stored format.
    /// Default `["avif", "webp"]`.
    pub auto_formats: Vec<AutoFormat>,
    /// Most pixels an AVIF variant may have: AVIF costs about 0.3 s of a processing thread
    /// per megapixel, four times WebP. A larger `.avif` URL answers 400; `.auto` answers its
    /// next format instead. Default 2097152 (2 MiP: a 1920x1080 frame fits).
    pub avif_max_pixels: u64,
    /// Memory for the bodies of recently served small objects, in bytes. Default 64 MiB.
    pub memory_cache_bytes: usize,
    /// Most object records kept in memory. Default 100000.
    pub memory_cache_entries: usize,
    /// How long an object stays in memory (how late another instance's deletion is seen).
    /// Default `60s`.
    pub memory_cache_ttl: Duration,
}

/// The ImageX flow (methods 2 and 3).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImagexSettings {
    /// The service id, and the first segment of every StoreUri. Default `imgate`.
    pub service_id: String,
    /// Region named in replies and expected in signatures. Default `cn-north-1`.
    pub region: String,
    /// Lifetime of temporary upload credentials. Default `1h`.
    pub credential_ttl: Duration,
    /// Time from apply to commit. Default `30m`.
    pub session_ttl: Duration,
    /// Largest file by the ImageX or PUT flow, in bytes. Default 100 MiB.
    pub max_file_bytes: u64,
    /// Largest part of a chunked upload, in bytes. Default 64 MiB.
    pub max_part_bytes: u64,
    /// Most parts of a chunked upload. Default 10000.
    pub max_parts: u32,
    /// `host:port` handed to clients as the upload host. Default: the request's `Host`.
    pub upload_host: Option<String>,
    /// How often expired upload sessions are removed. Default `1m`.
    pub cleanup_interval: Duration,
    /// How long a commit's claim on a file lasts unless its holder renews it (it does,
    /// every third of this, while it works). After a crash, a retried commit takes over
    /// once this has passed. Default `30s`.
    pub commit_lease: Duration,
    /// Origins allowed to call from a browser page on another origin (CORS). Default none.
    pub cors_origins: Vec<String>,
}

/// The web console (`http::console`). Its settings live here, not beside it, because
/// `http` reads the settings tree and `config` may not import it back.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleSettings {
    /// Serve the console's pages. Default true. The APIs it uses answer either way.
    pub enabled: bool,
    /// Path the console is served under, like `/console`. Default `/console`.
    pub path: String,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            path: "/console".to_owned(),
        }
    }
}

/// First path segments of the service's own routes, which `cdn.path_prefix` must avoid.
const RESERVED_SEGMENTS: [&str; 5] = ["api", "healthz", "readyz", "metrics", "openapi.json"];

impl ConsoleSettings {
    /// `console.path` is one or more path segments, clear of the API and the CDN.
    fn validate(&self, cdn_prefix: &str) -> Result<(), ConfigError> {
        let path = &self.path;
        let segments_ok = path.len() > 1
            && path.starts_with('/')
            && path[1..].split('/').all(|segment| {
                !segment.is_empty()
                    && segment
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        let clash = [cdn_prefix, "/api"].into_iter().find(|taken| {
            path == taken
                || path.starts_with(&format!("{taken}/"))
                || taken.starts_with(&format!("{path}/"))
        });
        match (segments_ok, clash) {
            (false, _) => Err(ConfigError::Invalid(format!(
                "console.path must look like `/console` (segments of A-Z a-z 0-9 - _), got `{path}`"
            ))),
            (true, Some(taken)) => Err(ConfigError::Invalid(format!(
                "console.path `{path}` overlaps `{taken}`, which the service already answers"
            ))),
            (true, None) => Ok(()),
        }
    }
}

impl Default for ImagexSettings {
    fn default() -> Self {
        Self {
            service_id: "imgate".to_owned(),
            region: "cn-north-1".to_owned(),
            credential_ttl: Duration::from_secs(3600),
            session_ttl: Duration::from_secs(30 * 60),
            max_file_bytes: 100 * 1024 * 1024,
            max_part_bytes: 64 * 1024 * 1024,
            max_parts: 10_000,
            upload_host: None,
            cleanup_interval: Duration::from_secs(60),
            commit_lease: Duration::from_secs(30),
            cors_origins: Vec::new(),
        }
    }
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
            imagex: ImagexSettings::default(),
            metrics: MetricsSettings::default(),
            console: ConsoleSettings::default(),
        }
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8888)),
            workers: 0,
            tls: None,
            shutdown_grace: Duration::from_secs(30),
            drain_delay: Duration::from_secs(0),
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
            templates: default_templates(),
            max_side: 4096,
            allowed_sizes: Vec::new(),
            variant_quality: 80,
            auto_formats: vec![AutoFormat::Avif, AutoFormat::Webp],
            avif_max_pixels: 2 * 1024 * 1024,
            memory_cache_bytes: 64 * 1024 * 1024,
            memory_cache_entries: 100_000,
            memory_cache_ttl: Duration::from_secs(60),
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
        // The CDN is routed ahead of everything else, so it must not shadow a route.
        let first_segment = prefix[1..].split('/').next().unwrap_or_default();
        if RESERVED_SEGMENTS.contains(&first_segment) {
            return Err(ConfigError::Invalid(format!(
                "cdn.path_prefix `{prefix}` overlaps `/{first_segment}`, which the service already answers"
            )));
        }
        let service = &self.imagex.service_id;
        if crate::storage::ObjectKey::parse(service).is_err() || service.contains('/') {
            return Err(ConfigError::Invalid(format!(
                "imagex.service_id `{service}` must be one path segment of A-Z a-z 0-9 - _"
            )));
        }
        self.console.validate(prefix)?;
        if self.storage.backend == Backend::S3 {
            self.storage.s3.validate().map_err(ConfigError::Invalid)?;
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

    pub fn staging_root(&self) -> PathBuf {
        self.data_dir.join("staging")
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
            None => {
                let scheme = if self.server.tls.is_some() {
                    "https"
                } else {
                    "http"
                };
                format!("{scheme}://{bound}{}", self.cdn.path_prefix)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_path_stays_clear_of_the_api_and_the_cdn() {
        let with_path = |path: &str| ConsoleSettings {
            enabled: true,
            path: path.into(),
        };
        assert!(with_path("/console").validate("/imgate").is_ok());
        assert!(with_path("/ops/console-2").validate("/imgate").is_ok());
        for (path, says) in [
            ("/", "must look like"),
            ("console", "must look like"),
            ("/console/", "must look like"),
            ("/con sole", "must look like"),
            ("/api", "overlaps `/api`"),
            ("/api/console", "overlaps `/api`"),
            ("/imgate", "overlaps `/imgate`"),
        ] {
            let refused = with_path(path).validate("/imgate").expect_err(path);
            assert!(refused.to_string().contains(says), "{path}: {refused}");
        }
    }
}
