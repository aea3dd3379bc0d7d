//! Objects in an S3-compatible store (AWS S3, MinIO, R2, TOS, Garage, Ceph), through
//! `aws-sdk-s3`. Small bodies go up in one `PutObject`; larger ones stream as a multipart
//! upload that is aborted if anything fails, so a key holds the whole new object or nothing.

mod copy;
mod errors;
mod settings;
mod upload;

use std::io;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
    retry::RetryConfig, timeout::TimeoutConfig,
};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use futures_util::stream::{self, StreamExt, TryStreamExt};

use self::errors::{classify, unavailable};
pub use self::settings::{MIN_PART_BYTES, S3Settings, ServeMode};
use super::{
    ByteRange, ByteStream, CopySource, ObjectInfo, ObjectKey, ObjectRead, ResponseHeaders, Storage,
    StorageError,
};

/// Deletes sent at the same time when removing many objects.
const DELETES_IN_FLIGHT: usize = 8;

#[derive(Debug, Clone)]
pub struct S3Storage {
    client: Client,
    /// For the sweeper's calls, on connections of its own: a store that does not know a
    /// call (s3s-fs answers ListMultipartUploads 501) may leave the connection it answered
    /// on unusable, and requests must not queue behind it.
    maintenance: Client,
    bucket: String,
    /// Put before every key; empty or ending in `/`.
    prefix: String,
    part_bytes: usize,
}

impl S3Storage {
    /// Builds a client from `settings`. Nothing is sent yet: [`Storage::check`] tells
    /// whether the store answers.
    pub async fn connect(settings: &S3Settings) -> Result<Self, StorageError> {
        settings.validate().map_err(StorageError::Unavailable)?;
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(settings.connect_timeout.as_std())
            .read_timeout(settings.read_timeout.as_std())
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .http_client(http_client(settings)?)
            .timeout_config(timeouts)
            .retry_config(RetryConfig::standard().with_max_attempts(settings.max_attempts));
        if let (Some(id), Some(secret)) = (&settings.access_key_id, &settings.secret_access_key) {
            loader = loader.credentials_provider(Credentials::new(
                id,
                secret,
                settings.session_token.clone(),
                None,
                "imgate-settings",
            ));
        }
        let shared = loader.load().await;
        // Newer checksum headers and trailers are not understood by every S3-compatible
        // store; send and check them only where the operation requires it.
        let mut config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(settings.path_style)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(endpoint) = &settings.endpoint {
            config = config.endpoint_url(endpoint);
        }
        let maintenance = config.clone().http_client(http_client(settings)?).build();
        Ok(Self {
            client: Client::from_conf(config.build()),
            maintenance: Client::from_conf(maintenance),
            bucket: settings.bucket.clone(),
            prefix: settings.prefix.clone(),
            part_bytes: usize::try_from(settings.part_bytes).unwrap_or(usize::MAX),
        })
    }

    /// The same bucket and client with `segment/` added to the key prefix (the staging
    /// area lives beside the objects this way).
    pub fn nested(&self, segment: &str) -> Self {
        Self {
            prefix: format!("{}{segment}/", self.prefix),
            ..self.clone()
        }
    }

    fn full_key(&self, key: &ObjectKey) -> String {
        format!("{}{key}", self.prefix)
    }
}

fn http_client(
    settings: &S3Settings,
) -> Result<aws_sdk_s3::config::SharedHttpClient, StorageError> {
    let mut trust = TrustStore::default();
    if let Some(path) = &settings.ca_cert {
        let pem = std::fs::read(path).map_err(|e| {
            StorageError::Unavailable(format!("storage.s3.ca_cert {}: {e}", path.display()))
        })?;
        trust = trust.with_pem_certificate(pem);
    }
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .map_err(|e| StorageError::Unavailable(format!("TLS setup for S3: {e}")))?;
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https())
}

#[async_trait]
impl Storage for S3Storage {
    async fn put(&self, key: &ObjectKey, body: ByteStream) -> Result<u64, StorageError> {
        upload::put(self, key, body).await
    }

    async fn get(
        &self,
        key: &ObjectKey,
        range: Option<ByteRange>,
    ) -> Result<ObjectRead, StorageError> {
        let output = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .set_range(range.map(|r| format!("bytes={}-{}", r.start, r.end)))
            .send()
            .await
            .map_err(|e| classify(e, key))?;
        let length = output.content_length().and_then(|n| u64::try_from(n).ok());
        // A ranged answer says the whole size after the slash of `Content-Range`.
        let size = output
            .content_range()
            .and_then(|r| r.rsplit('/').next()?.parse().ok())
            .or(length)
            .unwrap_or(0);
        let info = ObjectInfo {
            size,
            modified: modified(output.last_modified()),
        };
        // A body cut off part way is a lost connection: the store is unavailable.
        let body = stream::unfold(output.body, |mut body| async move {
            let chunk = body.next().await?;
            let chunk = chunk.map_err(|e| io::Error::new(io::ErrorKind::ConnectionAborted, e));
            Some((chunk, body))
        })
        .boxed();
        Ok(ObjectRead { info, body })
    }

    async fn head(&self, key: &ObjectKey) -> Result<ObjectInfo, StorageError> {
        let output = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .send()
            .await
            .map_err(|e| classify(e, key))?;
        Ok(ObjectInfo {
            size: output
                .content_length()
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0),
            modified: modified(output.last_modified()),
        })
    }

    async fn delete(&self, key: &ObjectKey) -> Result<bool, StorageError> {
        // S3 answers a delete the same whether or not the key existed.
        let existed = match self.head(key).await {
            Ok(_) => true,
            Err(StorageError::NotFound(_)) => false,
            Err(e) => return Err(e),
        };
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .send()
            .await
            .map_err(|e| classify(e, key))?;
        Ok(existed)
    }

    async fn delete_all(&self, prefix: &str) -> Result<(), StorageError> {
        let keys = self.list(prefix).await?;
        stream::iter(keys)
            .map(|key| async move {
                self.client
                    .delete_object()
                    .bucket(&self.bucket)
                    .key(self.full_key(&key))
                    .send()
                    .await
                    .map_err(|e| classify(e, &key))
            })
            .buffer_unordered(DELETES_IN_FLIGHT)
            .try_collect::<Vec<_>>()
            .await?;
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectKey>, StorageError> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(format!("{}{prefix}", self.prefix))
            .into_paginator()
            .send();
        let mut keys = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(unavailable)?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|object| object.key()?.strip_prefix(&self.prefix))
                    .filter_map(|key| ObjectKey::parse(key).ok()),
            );
        }
        Ok(keys)
    }

    /// Aborts multipart uploads under this store's prefix begun over `older_than` ago (a
    /// process that died in the middle of a large put). Stores without
    /// ListMultipartUploads answer nothing to sweep; the bucket's lifecycle rule for
    /// incomplete uploads (README) covers them.
    async fn sweep_temporary(&self, older_than: Duration, _: bool) -> Result<u64, StorageError> {
        let cutoff = SystemTime::now() - older_than;
        let listed = self
            .maintenance
            .list_multipart_uploads()
            .bucket(&self.bucket)
            .prefix(&self.prefix)
            .send()
            .await;
        let listed = match listed {
            Ok(listed) => listed,
            Err(e) => {
                tracing::debug!(error = %aws_sdk_s3::error::DisplayErrorContext(&e), "cannot list unfinished multipart uploads");
                return Ok(0);
            }
        };
        let mut aborted = 0;
        for upload in listed.uploads() {
            let (Some(key), Some(id)) = (upload.key(), upload.upload_id()) else {
                continue;
            };
            if modified(upload.initiated()) > cutoff {
                continue;
            }
            let done = self
                .maintenance
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(id)
                .send()
                .await;
            match done {
                Ok(_) => aborted += 1,
                Err(e) => {
                    tracing::warn!(%key, error = %aws_sdk_s3::error::DisplayErrorContext(&e), "could not abort an unfinished multipart upload")
                }
            }
        }
        Ok(aborted)
    }

    fn copy_source(&self, key: &ObjectKey, size: u64) -> Option<CopySource> {
        Some(CopySource {
            bucket: self.bucket.clone(),
            key: self.full_key(key),
            size,
        })
    }

    async fn compose(&self, key: &ObjectKey, sources: &[CopySource]) -> Result<bool, StorageError> {
        if !copy::can_compose(self, sources) {
            return Ok(false);
        }
        copy::compose(self, key, sources).await?;
        Ok(true)
    }

    async fn check(&self) -> Result<(), StorageError> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn presigned_get(
        &self,
        key: &ObjectKey,
        ttl: Duration,
        headers: &ResponseHeaders,
    ) -> Result<Option<String>, StorageError> {
        let config = PresigningConfig::expires_in(ttl)
            .map_err(|e| StorageError::Unavailable(format!("presigning: {e}")))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .response_content_type(&headers.content_type)
            .set_response_content_disposition(headers.content_disposition.clone())
            .set_response_cache_control(headers.cache_control.clone())
            .presigned(config)
            .await
            .map_err(|e| classify(e, key))?;
        Ok(Some(request.uri().to_owned()))
    }
}

fn modified(time: Option<&aws_sdk_s3::primitives::DateTime>) -> SystemTime {
    time.and_then(|t| SystemTime::try_from(*t).ok())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}
