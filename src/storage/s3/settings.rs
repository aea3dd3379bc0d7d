//! Settings of the S3 backend (`[storage.s3]`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::clock::Duration;
use crate::storage::ObjectKey;

/// Longest life of a presigned URL S3 accepts: 7 days.
const MAX_PRESIGN_SECS: u64 = 7 * 24 * 3600;

/// Smallest part S3 accepts in a multipart upload (all but the last part).
pub const MIN_PART_BYTES: u64 = 5 * 1024 * 1024;

/// Where and how to reach an S3-compatible store. Credentials not given here come from the
/// SDK's standard chain: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, the shared profile
/// files, web identity, ECS or EC2 instance roles.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Settings {
    /// The bucket, which must exist. Required when `storage.backend = "s3"`.
    pub bucket: String,
    /// Region to sign for. Default `us-east-1` (what most S3-compatible stores expect).
    pub region: String,
    /// Endpoint of an S3-compatible store, e.g. `http://127.0.0.1:9000`. Default: AWS.
    pub endpoint: Option<String>,
    /// Address buckets as `endpoint/bucket/key` instead of `bucket.endpoint/key`. Most
    /// self-hosted stores (MinIO, Garage, Ceph) need this. Default false.
    pub path_style: bool,
    /// Prefix put before every key, e.g. `imgate/`, to share a bucket. Default empty.
    pub prefix: String,
    /// Static credentials; when absent the SDK's standard chain is used.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    /// Extra trusted CA certificate (PEM) for an endpoint with a private certificate.
    pub ca_cert: Option<PathBuf>,
    /// Bodies larger than this are sent as a multipart upload in parts of this size, so no
    /// more than a couple of parts are ever in memory. At least 5 MiB. Default 8 MiB.
    pub part_bytes: u64,
    /// How long to wait for a connection to the store. Default `5s`.
    pub connect_timeout: Duration,
    /// How long a response may stall before the request fails. Default `30s`.
    pub read_timeout: Duration,
    /// Attempts per request, the first included, for errors S3 marks as retryable. Default 3.
    pub max_attempts: u32,
    /// How `GET`s of stored objects are answered: `proxy` streams them through imgate (with
    /// ETag, Range and 304); `redirect` answers 307 to a presigned URL of the store.
    /// Default `proxy`.
    pub serve: ServeMode,
    /// Lifetime of presigned URLs in `redirect` mode. Default `15m`.
    pub presign_ttl: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServeMode {
    Proxy,
    Redirect,
}

impl Default for S3Settings {
    fn default() -> Self {
        Self {
            bucket: String::new(),
            region: "us-east-1".into(),
            endpoint: None,
            path_style: false,
            prefix: String::new(),
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
            ca_cert: None,
            part_bytes: 8 * 1024 * 1024,
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(30),
            max_attempts: 3,
            serve: ServeMode::Proxy,
            presign_ttl: Duration::from_secs(15 * 60),
        }
    }
}

impl S3Settings {
    /// Checks what serde cannot; the message names the setting.
    pub fn validate(&self) -> Result<(), String> {
        if self.bucket.is_empty() {
            return Err("storage.s3.bucket is required when storage.backend is `s3`".into());
        }
        if self.part_bytes < MIN_PART_BYTES {
            return Err(format!(
                "storage.s3.part_bytes must be at least {MIN_PART_BYTES} (S3's smallest part), got {}",
                self.part_bytes
            ));
        }
        if self.access_key_id.is_some() != self.secret_access_key.is_some() {
            return Err(
                "storage.s3.access_key_id and storage.s3.secret_access_key go together".into(),
            );
        }
        if self.max_attempts == 0 {
            return Err("storage.s3.max_attempts must be at least 1".into());
        }
        if !self.prefix.is_empty() {
            let valid = self
                .prefix
                .strip_suffix('/')
                .is_some_and(|segments| ObjectKey::parse(segments).is_ok());
            if !valid {
                return Err(format!(
                    "storage.s3.prefix must be key segments ending with `/` (like `imgate/`), got `{}`",
                    self.prefix
                ));
            }
        }
        let ttl = self.presign_ttl.as_secs();
        if !(1..=MAX_PRESIGN_SECS).contains(&ttl) {
            return Err(format!(
                "storage.s3.presign_ttl must be 1s to 7d (S3's longest), got {}",
                self.presign_ttl
            ));
        }
        Ok(())
    }
}
