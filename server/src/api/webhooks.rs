//! `POST /api/webhooks/newsletter-bounce`: the mail provider reports an address that bounced,
//! and it is unsubscribed.
//!
//! A delivery carries three headers and a JSON body `{"email": "…"}`:
//!
//! ```text
//! x-webhook-id:        a unique id of this delivery (a retry repeats it)
//! x-webhook-timestamp: when it was sent, in Unix seconds
//! x-webhook-signature: sha256=<hex HMAC-SHA256 of "{id}.{timestamp}.{raw body}">
//! ```
//!
//! keyed with `NEWSLETTER_WEBHOOK_SECRET`. The signature covers the id and the time too, so
//! neither can be swapped. A bad or missing signature is a 401; a delivery sent more than
//! five minutes ago (or more than one minute ahead) is refused, so a captured one cannot be
//! played back later; a delivery whose id was handled already is answered 200 and ignored.
//! Without a configured secret the endpoint does not exist (404).

use super::ApiError;
use app::store::Bounce;
use axum::{
    body::Body,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use formwork::{cache::DataCache, invalidation::InvalidationBus, live::LiveHub};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::{sync::Arc, time::Duration};
use time::OffsetDateTime;

/// The largest body a delivery may have.
pub const BODY_LIMIT: usize = 16 * 1024;
/// How old a delivery may be.
pub const MAX_AGE: Duration = Duration::from_secs(5 * 60);
/// How far ahead of this server's clock a sender's may run.
pub const MAX_SKEW: Duration = Duration::from_secs(60);

/// What the webhooks need besides the app's storage.
#[derive(Clone, Default)]
pub struct Webhooks {
    /// `NEWSLETTER_WEBHOOK_SECRET`; `None` turns the endpoint off.
    pub secret: Option<Arc<[u8]>>,
    /// Tells the other instances what changed.
    pub bus: Option<Arc<dyn InvalidationBus>>,
}

#[derive(serde::Deserialize)]
struct Report {
    email: String,
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, ApiError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::bad_request(format!("The `{name}` header is missing.")))
}

fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The signature a delivery must carry (exposed for senders' tests and ours).
pub fn sign(secret: &[u8], id: &str, timestamp: &str, body: &[u8]) -> Option<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    Some(format!(
        "sha256={}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// Checks a delivery's headers and signature against `body`; returns its id.
pub fn verify(
    secret: &[u8],
    headers: &HeaderMap,
    body: &[u8],
    now: OffsetDateTime,
) -> Result<String, ApiError> {
    let id = header(headers, "x-webhook-id")?;
    if id.len() > 200 || id.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "The `x-webhook-id` header is at most 200 printable characters.",
        ));
    }
    let timestamp = header(headers, "x-webhook-timestamp")?;
    let sent = timestamp
        .parse::<i64>()
        .ok()
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .ok_or_else(|| {
            ApiError::bad_request("`x-webhook-timestamp` must be a time in Unix seconds.")
        })?;
    let signature = header(headers, "x-webhook-signature")?;
    let given = signature
        .strip_prefix("sha256=")
        .and_then(hex)
        .ok_or_else(|| unauthorized("The signature must be `sha256=` and a hex HMAC-SHA256."))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(ApiError::internal)?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    // In constant time: how much of a guess was right never shows.
    mac.verify_slice(&given)
        .map_err(|_| unauthorized("The signature does not match this delivery."))?;
    if sent < now - MAX_AGE {
        return Err(unauthorized(
            "This delivery is more than five minutes old; send a fresh one.",
        ));
    }
    if sent > now + MAX_SKEW {
        return Err(unauthorized(
            "This delivery's timestamp is in the future; check the sender's clock.",
        ));
    }
    Ok(id.to_owned())
}

/// `POST /api/webhooks/newsletter-bounce`
pub async fn newsletter_bounce(
    State(hooks): State<Webhooks>,
    State(app): State<app::state::AppState>,
    State(cache): State<DataCache>,
    State(live): State<LiveHub>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(secret) = hooks.secret.as_deref() else {
        return ApiError::not_found("This webhook").into_response();
    };
    let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("A delivery is at most {} KB.", BODY_LIMIT / 1024),
        )
        .into_response();
    };
    let now = OffsetDateTime::now_utc();
    let id = match verify(secret, &headers, &body, now) {
        Ok(id) => id,
        Err(error) => {
            tracing::warn!("refused a newsletter bounce delivery");
            return error.into_response();
        }
    };
    let email = match serde_json::from_slice::<Report>(&body) {
        Ok(report) if report.email.contains('@') && report.email.len() <= 320 => {
            report.email.trim().to_lowercase()
        }
        Ok(_) => return ApiError::bad_request("`email` must be an email address.").into_response(),
        Err(error) => {
            return ApiError::bad_request(format!(
                "The body must be JSON like {{\"email\": \"…\"}}: {error}."
            ))
            .into_response()
        }
    };
    // Ids older than any delivery still accepted can go.
    let forget_before = now - MAX_AGE - MAX_SKEW - Duration::from_secs(60);
    let outcome = match app.store.bounce(&id, &email, forget_before).await {
        Ok(outcome) => outcome,
        Err(error) => return ApiError::internal(error).into_response(),
    };
    let status = match outcome {
        Bounce::Unsubscribed => {
            formwork::invalidation::revalidate_outside(
                &cache,
                Some(&live),
                hooks.bus.as_deref(),
                &[app::tags::NEWSLETTER],
            )
            .await;
            "unsubscribed"
        }
        Bounce::NotSubscribed => "not_subscribed",
        Bounce::Replayed => "already_handled",
    };
    tracing::info!(delivery = %id, status, "newsletter bounce handled");
    Json(serde_json::json!({ "status": status })).into_response()
}
