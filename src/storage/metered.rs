//! A [`Storage`] that counts and times every operation of the store it wraps, under the
//! backend's name and the store's role (objects or staging), for `/metrics`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{
    ByteRange, ByteStream, ObjectInfo, ObjectKey, ObjectRead, ResponseHeaders, Storage,
    StorageError,
};
use crate::metrics::{self, Operation};

#[derive(Debug)]
pub struct Metered {
    inner: Arc<dyn Storage>,
    /// The backend (`local`, `s3`) and the store (`objects`, `staging`).
    labels: (&'static str, &'static str),
}

impl Metered {
    pub fn wrap(inner: Arc<dyn Storage>, backend: &'static str, store: &'static str) -> Arc<Self> {
        Arc::new(Self {
            inner,
            labels: (backend, store),
        })
    }

    fn record<T>(
        &self,
        operation: Operation,
        start: Instant,
        result: Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let outcome = match &result {
            Ok(_) => "ok",
            Err(StorageError::NotFound(_)) => "not_found",
            Err(StorageError::Unavailable(_)) => "unavailable",
            Err(StorageError::Io { .. }) => "error",
        };
        metrics::get().storage.observe(
            self.labels,
            operation,
            outcome,
            metrics::seconds_since(start),
        );
        result
    }
}

#[async_trait]
impl Storage for Metered {
    async fn put(&self, key: &ObjectKey, body: ByteStream) -> Result<u64, StorageError> {
        let start = Instant::now();
        let result = self.inner.put(key, body).await;
        self.record(Operation::Put, start, result)
    }

    async fn get(
        &self,
        key: &ObjectKey,
        range: Option<ByteRange>,
    ) -> Result<ObjectRead, StorageError> {
        let start = Instant::now();
        let result = self.inner.get(key, range).await;
        self.record(Operation::Get, start, result)
    }

    async fn head(&self, key: &ObjectKey) -> Result<ObjectInfo, StorageError> {
        let start = Instant::now();
        let result = self.inner.head(key).await;
        self.record(Operation::Head, start, result)
    }

    async fn delete(&self, key: &ObjectKey) -> Result<bool, StorageError> {
        let start = Instant::now();
        let result = self.inner.delete(key).await;
        self.record(Operation::Delete, start, result)
    }

    async fn delete_all(&self, prefix: &str) -> Result<(), StorageError> {
        let start = Instant::now();
        let result = self.inner.delete_all(prefix).await;
        self.record(Operation::DeleteAll, start, result)
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectKey>, StorageError> {
        let start = Instant::now();
        let result = self.inner.list(prefix).await;
        self.record(Operation::List, start, result)
    }

    async fn sweep_temporary(
        &self,
        older_than: Duration,
        everywhere: bool,
    ) -> Result<u64, StorageError> {
        let start = Instant::now();
        let result = self.inner.sweep_temporary(older_than, everywhere).await;
        self.record(Operation::Sweep, start, result)
    }

    async fn check(&self) -> Result<(), StorageError> {
        let start = Instant::now();
        let result = self.inner.check().await;
        self.record(Operation::Check, start, result)
    }

    async fn presigned_get(
        &self,
        key: &ObjectKey,
        ttl: Duration,
        headers: &ResponseHeaders,
    ) -> Result<Option<String>, StorageError> {
        let start = Instant::now();
        let result = self.inner.presigned_get(key, ttl, headers).await;
        self.record(Operation::Presign, start, result)
    }
}
