//! What an S3 failure means to imgate: a missing key is `NotFound`; everything else (no
//! connection, timeouts, 5xx, refused credentials, a missing bucket) makes the backend
//! `Unavailable`, which clients see as a retryable 503.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::storage::{ObjectKey, StorageError};

pub(super) fn classify<E>(error: SdkError<E, HttpResponse>, key: &ObjectKey) -> StorageError
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
{
    let status = error.raw_response().map(|r| r.status().as_u16());
    // A 404 for a bucket that is not there is a broken deployment, not a missing object.
    if status == Some(404) && error.code() != Some("NoSuchBucket") {
        return StorageError::NotFound(key.clone());
    }
    unavailable(error)
}

pub(super) fn unavailable<E>(error: SdkError<E, HttpResponse>) -> StorageError
where
    E: std::error::Error + Send + Sync + 'static,
{
    StorageError::Unavailable(format!("S3: {}", DisplayErrorContext(&error)))
}
