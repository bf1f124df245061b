//! Errors in Google's API shape (`{"error": {"code", "message", "status"}}`), which gcloud and
//! Google's client libraries print as the message.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug)]
pub struct ApiError {
    pub code: StatusCode,
    pub status: &'static str,
    pub message: String,
}

impl ApiError {
    /// A bad or missing request field, named in the message.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self {
            code: StatusCode::BAD_REQUEST,
            status: "INVALID_ARGUMENT",
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            code: StatusCode::NOT_FOUND,
            status: "NOT_FOUND",
            message: message.into(),
        }
    }

    /// The catalog could not be read (a build in progress that never published, a broken
    /// output directory).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self {
            code: StatusCode::SERVICE_UNAVAILABLE,
            status: "UNAVAILABLE",
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            code: StatusCode::INTERNAL_SERVER_ERROR,
            status: "INTERNAL",
            message: message.into(),
        }
    }

    /// An error from the CLI's own code path: usage errors (an unknown model, a bad flag value)
    /// are the caller's; anything else is ours.
    pub fn from_cli(e: anyhow::Error) -> Self {
        if e.downcast_ref::<crate::settings::UsageError>().is_some() {
            Self::invalid(format!("{e:#}"))
        } else {
            Self::internal(format!("{e:#}"))
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {
            "code": self.code.as_u16(),
            "message": self.message,
            "status": self.status,
        }});
        (self.code, Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
