//! `ApiError`: the one place where errors become the contract's HTTP status, numeric code
//! and message. 4xx messages say exactly what was wrong; 5xx messages are opaque and the
//! cause is logged with the request id.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use serde_json::json;

use crate::auth::AuthError;
use crate::catalog::CatalogError;
use crate::ingest::{IngestError, SessionError, StagingError};
use crate::pipeline::{PipelineError, PoolError};
use crate::request_id;
use crate::storage::StorageError;

/// Seconds a client waits before retrying a 503.
pub const RETRY_AFTER: HeaderValue = HeaderValue::from_static("5");

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("authentication required")]
    Unauthenticated,
    #[error("{0}")]
    InvalidCredential(&'static str),
    #[error("api key expired")]
    Expired,
    #[error("permission denied: {0}")]
    Forbidden(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("not found")]
    NotFound,
    #[error("file too large: {0}")]
    TooLarge(String),
    /// The content is not an allowed type (415).
    #[error("upload failed: {0}")]
    UnsupportedType(String),
    /// The content is of an allowed type but cannot be used (422).
    #[error("upload failed: {0}")]
    Unprocessable(String),
    /// The store or the catalog (`what`) cannot be reached; the client should retry.
    #[error("{what} unavailable")]
    Unavailable { what: &'static str, cause: String },
    /// The processing queue is full; the client should retry.
    #[error("server busy: {0}; retry later")]
    Busy(String),
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The contract's numeric code.
    pub fn code(&self) -> u32 {
        match self {
            ApiError::Unauthenticated => 40001,
            ApiError::InvalidCredential(_) => 40002,
            ApiError::Expired => 40003,
            ApiError::Forbidden(_) => 40004,
            ApiError::BadRequest(_) => 40000,
            ApiError::NotFound => 40400,
            ApiError::TooLarge(_) => 50002,
            ApiError::UnsupportedType(_) | ApiError::Unprocessable(_) => 50001,
            ApiError::Unavailable { .. } | ApiError::Busy(_) => 50003,
            ApiError::Internal(_) => 50000,
        }
    }

    /// The code's stable name, as veImageX clients log it (`ResponseMetadata.Error.Code`).
    pub fn code_name(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => "MissingAuthentication",
            ApiError::InvalidCredential(_) => "InvalidAuthorization",
            ApiError::Expired => "AuthorizationExpired",
            ApiError::Forbidden(_) => "AccessDenied",
            ApiError::BadRequest(_) => "InvalidParameter",
            ApiError::NotFound => "NotFound",
            ApiError::TooLarge(_) => "FileTooLarge",
            ApiError::UnsupportedType(_) | ApiError::Unprocessable(_) => "UploadFailed",
            ApiError::Unavailable { .. } | ApiError::Busy(_) => "ServiceUnavailable",
            ApiError::Internal(_) => "InternalError",
        }
    }

    /// A response of this error's status, with `Retry-After` on every 503 (the contract
    /// promises it, and clients wait that long before trying again); the body is the
    /// caller's, in the shape of its route.
    pub fn response_builder(&self) -> HttpResponseBuilder {
        let mut response = HttpResponse::build(self.status_code());
        if self.status_code() == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, RETRY_AFTER));
        }
        response
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    /// Logs the error with the request id (5xx with their cause) and answers the id.
    pub fn log(&self) -> String {
        let request_id = request_id::current();
        match self {
            ApiError::Internal(cause) | ApiError::Unavailable { cause, .. } => {
                tracing::error!(%request_id, code = self.code(), %cause, "request failed");
            }
            _ => tracing::info!(%request_id, code = self.code(), msg = %self, "request refused"),
        }
        request_id
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated | ApiError::InvalidCredential(_) | ApiError::Expired => {
                StatusCode::UNAUTHORIZED
            }
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable { .. } | ApiError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let request_id = self.log();
        let mut response = self.response_builder();
        response.json(json!({
            "code": self.code(),
            "msg": self.to_string(),
            "request_id": request_id,
        }))
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Missing => ApiError::Unauthenticated,
            AuthError::Invalid(why) => ApiError::InvalidCredential(why),
            AuthError::Expired => ApiError::Expired,
            AuthError::Forbidden(why) => ApiError::Forbidden(why),
            AuthError::Catalog(e) => e.into(),
        }
    }
}

impl From<CatalogError> for ApiError {
    fn from(error: CatalogError) -> Self {
        match error {
            CatalogError::Conflict(_) => ApiError::BadRequest(error.to_string()),
            _ if error.is_unavailable() => ApiError::Unavailable {
                what: "catalog",
                cause: error.to_string(),
            },
            _ => ApiError::internal(error),
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::NotFound(_) => ApiError::NotFound,
            StorageError::Unavailable(cause) => ApiError::Unavailable {
                what: "storage",
                cause,
            },
            StorageError::Io { .. } => ApiError::internal(error),
        }
    }
}

impl From<IngestError> for ApiError {
    fn from(error: IngestError) -> Self {
        match error {
            IngestError::Empty
            | IngestError::Base64(_)
            | IngestError::UnknownBizType(_)
            | IngestError::Conflict(_)
            | IngestError::Changed { .. } => ApiError::BadRequest(error.to_string()),
            IngestError::TooLarge { .. } => ApiError::TooLarge(error.to_string()),
            IngestError::UnknownFileType(_)
            | IngestError::Mismatch(_)
            | IngestError::OutputOnly(_)
            | IngestError::NotAllowed { .. } => ApiError::UnsupportedType(error.to_string()),
            IngestError::Pipeline(e) => e.into(),
            IngestError::Pool(e) => e.into(),
            IngestError::Storage(e) => e.into(),
            IngestError::Staging(e) => e.into(),
            IngestError::Catalog(e) => e.into(),
            IngestError::InvalidKey(e) => ApiError::internal(e),
        }
    }
}

impl From<SessionError> for ApiError {
    fn from(error: SessionError) -> Self {
        match error {
            SessionError::NotFound => ApiError::NotFound,
            SessionError::TooLarge(why) => ApiError::TooLarge(why),
            SessionError::Busy(_) => ApiError::Busy(error.to_string()),
            SessionError::Corrupt(_) => ApiError::internal(error),
            SessionError::Staging(e) => e.into(),
            SessionError::Catalog(e) => e.into(),
            SessionError::Ingest(e) => e.into(),
            _ => ApiError::BadRequest(error.to_string()),
        }
    }
}

impl From<PipelineError> for ApiError {
    fn from(error: PipelineError) -> Self {
        match error {
            PipelineError::Encode(_) => ApiError::internal(error),
            PipelineError::Undecodable(_)
            | PipelineError::OverLimit { .. }
            | PipelineError::TimedOut { .. }
            | PipelineError::TargetUnreachable { .. } => ApiError::Unprocessable(error.to_string()),
        }
    }
}

impl From<PoolError> for ApiError {
    fn from(error: PoolError) -> Self {
        match error {
            PoolError::Busy { .. } => ApiError::Busy(error.to_string()),
            PoolError::OverBudget { .. } => ApiError::Unprocessable(error.to_string()),
            PoolError::Panicked(_) => ApiError::internal(error),
        }
    }
}

impl From<StagingError> for ApiError {
    fn from(error: StagingError) -> Self {
        match error {
            StagingError::TooLarge { .. } => ApiError::TooLarge(error.to_string()),
            StagingError::Body(_) | StagingError::CrcMismatch { .. } => {
                ApiError::BadRequest(error.to_string())
            }
            StagingError::Storage(StorageError::NotFound(key)) => {
                ApiError::internal(format!("staged bytes `{key}` are missing"))
            }
            StagingError::Storage(e) => e.into(),
            StagingError::BadId => ApiError::internal(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_is_a_retryable_503() {
        let error = ApiError::from(PoolError::Busy { capacity: 3 });
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(error.code(), 50003);
        assert_eq!(
            response
                .headers()
                .get(header::RETRY_AFTER)
                .map(|v| v.as_bytes()),
            Some(&b"5"[..])
        );
        assert!(error.to_string().contains("3 jobs"), "{error}");
    }

    #[test]
    fn pipeline_refusals_are_422_and_encoder_faults_are_opaque() {
        let limit = PipelineError::OverLimit {
            what: "image is 9x9".into(),
            limit: "8 pixel side".into(),
            setting: "pipeline.limits.max_side",
        };
        let refused = ApiError::from(limit);
        assert_eq!(refused.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused
                .to_string()
                .starts_with("upload failed: image is 9x9, over the 8 pixel side limit")
        );
        let late = ApiError::from(PipelineError::TimedOut {
            what: "processing ran 20.0s, up to decoding".into(),
            limit: "20s".into(),
            setting: "pipeline.limits.max_job_time",
        });
        assert_eq!(late.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(late.code(), 50001);
        assert!(late.to_string().contains("20s job time limit"), "{late}");
        let fault = ApiError::from(PipelineError::Encode("libwebp said no".into()));
        assert_eq!(fault.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(fault.to_string(), "internal error");
    }
}
