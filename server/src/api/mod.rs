//! The API routes: plain axum handlers for third parties, which actions are not. Actions are
//! the site's own forms (their URLs, bodies and answers are the framework's business and may
//! change with any release); whoever integrates from outside (a mobile app, a mail provider's
//! webhook) gets a stable, versioned, documented surface here instead.
//!
//! - [`posts`]: `GET /api/v1/posts` (cursor pagination) and `GET /api/v1/posts/{slug}`,
//!   read-only JSON for mobile clients;
//! - [`webhooks`]: `POST /api/webhooks/newsletter-bounce`, signed by the mail provider.
//!
//! Errors are JSON too: `{"error": "bad_request", "message": "…"}` with the status.

pub mod posts;
pub mod webhooks;

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};

/// Where the API lives; the action pipeline leaves these paths alone.
pub const PREFIXES: &[&str] = &["/api/v1/", "/api/webhooks/"];

/// An API error: its status and a sentence for the developer reading it.
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: message.into(),
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: format!("{what} was not found."),
        }
    }

    /// A failure on our side: logged in full, answered with a reference only.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let reference = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        tracing::error!(%cause, reference, "an API request failed");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: format!("Something went wrong on our side. Quote reference {reference}."),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(serde_json::json!({ "error": self.code, "message": self.message })),
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}
