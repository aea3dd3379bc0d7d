//! The veImageX reply shapes. Errors keep the status and numeric code of [`ApiError`]; only
//! the envelope differs: `ResponseMetadata.Error` for actions, `success`/`error` for the
//! upload host. Every failure is a 4xx/5xx, never a 2xx with an error inside (clients do
//! not look inside).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::request_id;

pub const VERSION: &str = "2018-08-01";

fn metadata(action: &str, region: &str) -> Value {
    json!({
        "RequestId": request_id::current(),
        "Action": action,
        "Version": VERSION,
        "Service": "imagex",
        "Region": region,
    })
}

/// A successful action: `{"ResponseMetadata": ..., "Result": result}`.
pub fn action_ok(action: &str, region: &str, result: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({"ResponseMetadata": metadata(action, region), "Result": result}))
}

/// The action being answered, to wrap its errors.
#[derive(Debug, Clone)]
pub struct Act {
    pub action: String,
    pub region: String,
}

impl Act {
    pub fn fail(&self, error: impl Into<ApiError>) -> ActionError {
        ActionError {
            action: self.action.clone(),
            region: self.region.clone(),
            error: error.into(),
        }
    }

    pub fn ok(&self, result: Value) -> HttpResponse {
        action_ok(&self.action, &self.region, result)
    }
}

/// A failed action, answered in the veImageX shape.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct ActionError {
    pub action: String,
    pub region: String,
    pub error: ApiError,
}

impl ResponseError for ActionError {
    fn status_code(&self) -> StatusCode {
        self.error.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.error.log();
        let mut meta = metadata(&self.action, &self.region);
        meta["Error"] = json!({
            "Code": self.error.code_name(),
            "CodeN": self.error.code(),
            "Message": self.error.to_string(),
        });
        self.error
            .response_builder()
            .json(json!({"ResponseMetadata": meta, "Result": {}}))
    }
}

/// A successful upload-host call.
pub fn host_ok(payload: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "Version": "",
        "success": 0,
        "error": {"code": 200, "error": "", "error_code": 0, "message": ""},
        "payload": payload,
    }))
}

/// A failed upload-host call.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HostError(pub ApiError);

impl<E: Into<ApiError>> From<E> for HostError {
    fn from(error: E) -> Self {
        HostError(error.into())
    }
}

impl ResponseError for HostError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.0.log();
        let status = self.status_code();
        self.0.response_builder().json(json!({
            "Version": "",
            "success": -1,
            "error": {
                "code": status.as_u16(),
                "error": self.0.code_name(),
                "error_code": self.0.code(),
                "message": self.0.to_string(),
            },
            "payload": {},
        }))
    }
}
