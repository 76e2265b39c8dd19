//! `ActionError`: the one error type of every action, and the HTTP status of each variant.

use crate::messages::{say, text, Message};
use serde::{Deserialize, Serialize};
use server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use std::collections::BTreeMap;

/// Messages per field, keyed by the form field's name (`"title"`, `"items[0].name"`).
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// What went wrong in an action, in words a person can act on.
///
/// Every variant has one HTTP status ([`ActionError::status`]). Internal failures never carry
/// their cause to the client: the server logs it next to a correlation id, and only the id
/// travels.
///
/// On the wire it is one flat JSON object: `error` names the variant, `message` is the text a
/// person reads, and the variant's data sits beside them
/// (`{"error":"validation","message":"…","fields":{"email":["…"]},"form":[]}`). One flat
/// shape decodes with the least code in the browser's WASM, and an API client can show
/// `message` without knowing the variants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(into = "Wire", from = "Wire")]
pub enum ActionError {
    /// 400: the request could not be read (broken encoding, wrong types, missing fields).
    #[error("{message}")]
    BadRequest {
        /// What could not be read, for a person.
        message: String,
    },
    /// 401: the action needs a signed-in user.
    #[error("{}", text(Message::SignIn))]
    Unauthenticated,
    /// 403: the caller may not do this; the message says why (another site's page, a role
    /// too low, someone else's comment).
    #[error("{message}")]
    Forbidden {
        /// Why the caller may not do this, for a person.
        message: String,
    },
    /// 404: the thing the action names does not exist (or the action itself does not).
    #[error("{}", say(Message::NotFound, &[("what", .what)]))]
    NotFound {
        /// What was missing, as the start of a sentence (`"That post"`).
        what: String,
    },
    /// 409: the request conflicts with the current state.
    #[error("{message}")]
    Conflict {
        /// What the request conflicts with, for a person.
        message: String,
    },
    /// 413: the request body is larger than the action accepts.
    #[error("{}", say(Message::TooLarge, &[("limit", &size(*.limit_bytes))]))]
    PayloadTooLarge {
        /// The largest body the action accepts, in bytes.
        limit_bytes: u64,
    },
    /// 422: the input was read but is not valid.
    #[error("{}", validation_summary(.fields, .form))]
    Validation {
        /// Messages for single fields.
        fields: FieldErrors,
        /// Messages about the form as a whole.
        form: Vec<String>,
    },
    /// 429: too many requests; the client may retry after the given number of seconds.
    #[error("{}", say(Message::RateLimited, &[("seconds", .retry_after_secs)]))]
    RateLimited {
        /// Seconds until the client may try again.
        retry_after_secs: u64,
    },
    /// 500: something failed on the server. The cause is in the server's log under this id.
    #[error("{}", say(Message::Internal, &[("reference", .correlation_id)]))]
    Internal {
        /// The id the server logged the cause under.
        correlation_id: String,
    },
    /// 503: the server could not be reached, or its answer could not be read (client side).
    #[error("{}", text(Message::Unreachable))]
    Unavailable,
    /// 503 with `Retry-After`: something the server depends on (its database) is down or
    /// overloaded, so the action did not run to its end and changed nothing.
    #[error("{}", say(Message::TemporarilyUnavailable, &[("seconds", .retry_after_secs)]))]
    TemporarilyUnavailable {
        /// Seconds until the client may try again (the `Retry-After` value).
        retry_after_secs: u64,
    },
}

/// [`ActionError`] as it travels.
#[derive(Serialize, Deserialize)]
struct Wire {
    /// The variant, in snake case (`"not_found"`). Read as a plain string: an enum here
    /// would cost the browser's WASM a kilobyte more.
    error: String,
    #[serde(default)]
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    what: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    limit_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fields: Option<FieldErrors>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    form: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    correlation_id: Option<String>,
}

impl From<ActionError> for Wire {
    fn from(error: ActionError) -> Self {
        let mut wire = Wire {
            error: String::new(),
            message: error.to_string(),
            what: None,
            limit_bytes: None,
            fields: None,
            form: None,
            retry_after_secs: None,
            correlation_id: None,
        };
        let code = match error {
            ActionError::BadRequest { .. } => "bad_request",
            ActionError::Unauthenticated => "unauthenticated",
            ActionError::Forbidden { .. } => "forbidden",
            ActionError::NotFound { what } => {
                wire.what = Some(what);
                "not_found"
            }
            ActionError::Conflict { .. } => "conflict",
            ActionError::PayloadTooLarge { limit_bytes } => {
                wire.limit_bytes = Some(limit_bytes);
                "payload_too_large"
            }
            ActionError::Validation { fields, form } => {
                (wire.fields, wire.form) = (Some(fields), Some(form));
                "validation"
            }
            ActionError::RateLimited { retry_after_secs } => {
                wire.retry_after_secs = Some(retry_after_secs);
                "rate_limited"
            }
            ActionError::Internal { correlation_id } => {
                wire.correlation_id = Some(correlation_id);
                "internal"
            }
            ActionError::Unavailable => "unavailable",
            ActionError::TemporarilyUnavailable { retry_after_secs } => {
                wire.retry_after_secs = Some(retry_after_secs);
                "temporarily_unavailable"
            }
        };
        wire.error = code.to_owned();
        wire
    }
}

impl From<Wire> for ActionError {
    fn from(wire: Wire) -> Self {
        match wire.error.as_str() {
            "bad_request" => Self::BadRequest {
                message: wire.message,
            },
            "unauthenticated" => Self::Unauthenticated,
            "forbidden" => Self::Forbidden {
                message: wire.message,
            },
            "not_found" => Self::NotFound {
                what: wire.what.unwrap_or_default(),
            },
            "conflict" => Self::Conflict {
                message: wire.message,
            },
            "payload_too_large" => Self::PayloadTooLarge {
                limit_bytes: wire.limit_bytes.unwrap_or_default(),
            },
            "validation" => Self::Validation {
                fields: wire.fields.unwrap_or_default(),
                form: wire.form.unwrap_or_default(),
            },
            "rate_limited" => Self::RateLimited {
                retry_after_secs: wire.retry_after_secs.unwrap_or_default(),
            },
            "internal" => Self::Internal {
                correlation_id: wire.correlation_id.unwrap_or_default(),
            },
            "temporarily_unavailable" => Self::TemporarilyUnavailable {
                retry_after_secs: wire.retry_after_secs.unwrap_or_default(),
            },
            // "unavailable", and anything this client does not know.
            _ => Self::Unavailable,
        }
    }
}

/// How long a client is asked to wait when a dependency is down (`Retry-After`).
pub const RETRY_UNAVAILABLE_SECS: u64 = 5;

/// A byte count as people read it: `512 bytes`, `4 KB`, `1 MB`, `1.5 MB`.
fn size(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * KB;
    let (unit, name) = match bytes {
        b if b >= MB => (MB, "MB"),
        b if b >= KB => (KB, "KB"),
        _ => return format!("{bytes} bytes"),
    };
    let tenths = bytes * 10 / unit;
    if tenths.is_multiple_of(10) {
        format!("{} {name}", tenths / 10)
    } else {
        format!("{}.{} {name}", tenths / 10, tenths % 10)
    }
}

fn validation_summary(fields: &FieldErrors, form: &[String]) -> String {
    if let Some(first) = form.first() {
        return first.clone();
    }
    match fields.values().flatten().next() {
        Some(message) if fields.values().flatten().count() == 1 => message.clone(),
        _ => text(Message::FixFields).into_owned(),
    }
}

impl ActionError {
    /// A 422 with one message for one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(field.into(), vec![message.into()]);
        Self::Validation {
            fields,
            form: Vec::new(),
        }
    }

    /// A 422 from a map of field messages.
    pub fn fields(fields: FieldErrors) -> Self {
        Self::Validation {
            fields,
            form: Vec::new(),
        }
    }

    /// A 403 saying why, e.g. `ActionError::forbidden("Only its author can edit this post.")`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden {
            message: message.into(),
        }
    }

    /// A 404 naming what was missing, e.g. `ActionError::not_found("That post")`.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }

    /// Logs `cause` in full under a correlation id and returns the redacted 500. The id is
    /// the request's ([`crate::request_id`], the `x-request-id` it is answered with), or a
    /// new one outside any request.
    #[cfg(feature = "ssr")]
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let correlation_id = crate::request_id::current().map_or_else(
            || uuid::Uuid::new_v4().simple().to_string(),
            |id| id.to_string(),
        );
        tracing::error!(%correlation_id, error = %cause, "internal error in an action");
        Self::Internal { correlation_id }
    }

    /// Logs `cause` (a dependency that is down: the database, a timeout acquiring a
    /// connection) and returns the 503 that asks the client to try again shortly.
    #[cfg(feature = "ssr")]
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, "a dependency is unavailable; answering 503");
        Self::TemporarilyUnavailable {
            retry_after_secs: RETRY_UNAVAILABLE_SECS,
        }
    }

    /// The seconds a client should wait before trying again (`Retry-After`), for the errors
    /// that have one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_secs }
            | Self::TemporarilyUnavailable { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            Self::BadRequest { .. } => S::BAD_REQUEST,
            Self::Unauthenticated => S::UNAUTHORIZED,
            Self::Forbidden { .. } => S::FORBIDDEN,
            Self::NotFound { .. } => S::NOT_FOUND,
            Self::Conflict { .. } => S::CONFLICT,
            Self::PayloadTooLarge { .. } => S::PAYLOAD_TOO_LARGE,
            Self::Validation { .. } => S::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } => S::TOO_MANY_REQUESTS,
            Self::Internal { .. } => S::INTERNAL_SERVER_ERROR,
            Self::Unavailable | Self::TemporarilyUnavailable { .. } => S::SERVICE_UNAVAILABLE,
        }
    }

    /// The messages for one field, empty when it has none.
    pub fn field_messages(&self, field: &str) -> &[String] {
        match self {
            Self::Validation { fields, .. } => fields.get(field).map(Vec::as_slice).unwrap_or(&[]),
            _ => &[],
        }
    }
}

impl FromServerFnError for ActionError {
    type Encoder = JsonEncoding;

    /// Transport failures, mapped so that a client's mistake is a 4xx and never a 500.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::Deserialization(detail)
                if crate::decode::field_errors_in(&detail).is_some() =>
            {
                // A schema read the form and found fields wanting: a 422 at those fields.
                Self::Validation {
                    fields: crate::decode::field_errors_in(&detail).unwrap_or_default(),
                    form: Vec::new(),
                }
            }
            ServerFnErrorErr::Args(detail)
            | ServerFnErrorErr::MissingArg(detail)
            | ServerFnErrorErr::Deserialization(detail) => Self::BadRequest {
                message: say(Message::DataUnreadable, &[("detail", &first_line(&detail))]),
            },
            ServerFnErrorErr::UnsupportedRequestMethod(method) => Self::BadRequest {
                message: say(Message::MethodNotAccepted, &[("method", &method)]),
            },
            ServerFnErrorErr::Registration(_) => Self::not_found(text(Message::ThatAction)),
            // On the client: the form could not be turned into arguments.
            ServerFnErrorErr::Serialization(detail) => Self::BadRequest {
                message: say(Message::NotSent, &[("detail", &first_line(&detail))]),
            },
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => Self::Unavailable,
            ServerFnErrorErr::ServerError(cause) | ServerFnErrorErr::MiddlewareError(cause) => {
                Self::internal_from_transport(cause)
            }
        }
    }
}

impl ActionError {
    #[cfg(feature = "ssr")]
    fn internal_from_transport(cause: String) -> Self {
        Self::internal(cause)
    }

    #[cfg(not(feature = "ssr"))]
    fn internal_from_transport(_cause: String) -> Self {
        Self::Internal {
            correlation_id: "client".to_owned(),
        }
    }
}

/// Parser messages can be long and nested; the first line says what matters.
fn first_line(detail: &str) -> &str {
    let line = detail.lines().next().unwrap_or_default().trim();
    let mut end = line.len().min(300);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    &line[..end]
}

/// What a panic said, for the log: its payload is a `String` or a `&str` when it said anything.
#[cfg(feature = "ssr")]
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_documented_status() {
        let cases = [
            (
                ActionError::BadRequest {
                    message: "x".into(),
                },
                400,
            ),
            (ActionError::Unauthenticated, 401),
            (ActionError::forbidden("x"), 403),
            (ActionError::not_found("x"), 404),
            (
                ActionError::Conflict {
                    message: "x".into(),
                },
                409,
            ),
            (ActionError::PayloadTooLarge { limit_bytes: 1 }, 413),
            (ActionError::field("title", "bad"), 422),
            (
                ActionError::RateLimited {
                    retry_after_secs: 3,
                },
                429,
            ),
            (
                ActionError::Internal {
                    correlation_id: "abc".into(),
                },
                500,
            ),
            (ActionError::Unavailable, 503),
            (
                ActionError::TemporarilyUnavailable {
                    retry_after_secs: 5,
                },
                503,
            ),
        ];
        for (error, status) in cases {
            assert_eq!(error.status().as_u16(), status, "{error:?}");
        }
    }

    #[test]
    fn malformed_requests_are_client_errors() {
        for err in [
            ServerFnErrorErr::Args("missing field `title`".into()),
            ServerFnErrorErr::MissingArg("title".into()),
            ServerFnErrorErr::Deserialization("expected value at line 1".into()),
            ServerFnErrorErr::UnsupportedRequestMethod("PUT".into()),
        ] {
            let mapped = ActionError::from_server_fn_error(err);
            assert_eq!(mapped.status().as_u16(), 400, "{mapped:?}");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn internal_errors_carry_only_a_correlation_id() {
        let mapped = ActionError::from_server_fn_error(ServerFnErrorErr::ServerError(
            "relation \"posts\" does not exist".into(),
        ));
        let wire = String::from_utf8(mapped.ser().to_vec()).unwrap_or_default();
        assert!(!wire.contains("posts") && !wire.contains("exist"), "{wire}");
        assert!(
            wire.starts_with(r#"{"error":"internal","message":"Something went wrong"#),
            "{wire}"
        );
        assert!(
            matches!(mapped, ActionError::Internal { ref correlation_id } if correlation_id.len() == 32)
        );
    }

    #[test]
    fn the_wire_format_round_trips() {
        let error = ActionError::field("title", "Title is required.");
        assert_eq!(ActionError::de(error.ser()), error);
        for other in [
            ActionError::BadRequest {
                message: "m".into(),
            },
            ActionError::Unauthenticated,
            ActionError::forbidden("Only its owner can change this."),
            ActionError::not_found("That post"),
            ActionError::Conflict {
                message: "c".into(),
            },
            ActionError::PayloadTooLarge { limit_bytes: 9 },
            ActionError::RateLimited {
                retry_after_secs: 7,
            },
            ActionError::Internal {
                correlation_id: "abc".into(),
            },
            ActionError::Unavailable,
            ActionError::TemporarilyUnavailable {
                retry_after_secs: 5,
            },
        ] {
            assert_eq!(ActionError::de(other.ser()), other);
        }
        let wire: serde_json::Value = serde_json::from_slice(
            &ActionError::RateLimited {
                retry_after_secs: 7,
            }
            .ser(),
        )
        .unwrap_or_default();
        assert_eq!(
            wire,
            serde_json::json!({
                "error": "rate_limited",
                "message": "Too many requests. Please try again in 7 seconds.",
                "retry_after_secs": 7
            })
        );
        assert_eq!(error.to_string(), "Title is required.");
        assert_eq!(error.field_messages("title"), ["Title is required."]);
        assert!(error.field_messages("content").is_empty());
    }

    #[test]
    fn limits_are_given_in_units_people_read() {
        assert_eq!(size(512), "512 bytes");
        assert_eq!(size(4096), "4 KB");
        assert_eq!(size(1024 * 1024), "1 MB");
        assert_eq!(size(1024 * 1024 * 3 / 2), "1.5 MB");
        assert_eq!(
            ActionError::PayloadTooLarge { limit_bytes: 4096 }.to_string(),
            "This is too large to send: the limit is 4 KB. Make it smaller and try again."
        );
    }

    #[test]
    fn long_parser_messages_are_cut_at_a_character_boundary() {
        let long = "é".repeat(400);
        assert!(first_line(&long).len() <= 300);
        assert_eq!(first_line("one\ntwo"), "one");
    }
}
