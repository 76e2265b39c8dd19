//! Writing a flash: a plain form post's outcome and input, kept for the page the browser is
//! sent back to (`303 See Other`), in the flash store with a signed id in its cookie, or
//! whole in its signed cookie when the store is the database and it is down.

use super::{Flash, FlashSettings, FLASH_TTL};
use crate::{protocol::FLASH_COOKIE, ActionError, LocalPath};
use axum::{
    body::Body,
    http::{header, HeaderValue, StatusCode},
    response::Response,
};
use server_fn::error::FromServerFnError;
use std::collections::BTreeMap;

/// A flash for an outcome the pipeline decided itself (413, an unreadable body, …).
pub(crate) async fn redirect(
    settings: &FlashSettings,
    action: &str,
    outcome: Result<&str, &ActionError>,
    inputs: BTreeMap<String, String>,
    target: Option<LocalPath>,
) -> Response {
    let (ok, body) = match outcome {
        Ok(value) => (true, value.to_owned()),
        Err(error) => (false, String::from_utf8_lossy(&error.ser()).into_owned()),
    };
    let keep_in = match outcome {
        Err(ActionError::TemporarilyUnavailable { .. }) => Keep::Cookie,
        _ => Keep::Store,
    };
    let flash = Flash {
        action: action.to_owned(),
        ok,
        body,
        inputs,
    };
    store_and_redirect(settings, &flash, target, keep_in).await
}

/// Where a flash is kept for the page after the redirect.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep<'a> {
    /// In the flash store, its cookie holding only a signed id (falling back to the cookie
    /// when the store cannot be written).
    Store,
    /// As [`Keep::Store`], written together with the record of how the first submission of
    /// `token` ended (see `pipeline::once`): one write for both, in the store's batch.
    WithOutcome { token: &'a str, outcome: &'a str },
    /// Whole in its signed cookie: the store is the database, and it is known to be down.
    Cookie,
}

/// Keeps `flash` (in the store or its cookie) and answers `303 See Other` to `target` (`/`
/// without one).
pub(crate) async fn store_and_redirect(
    settings: &FlashSettings,
    flash: &Flash,
    target: Option<LocalPath>,
    keep_in: Keep<'_>,
) -> Response {
    let location = target.map_or_else(|| "/".to_owned(), |t| t.to_string());
    let mut response = Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::empty())
        .unwrap_or_default();
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    let id = crate::ordered_id();
    let payload = match serde_json::to_string(flash) {
        Ok(payload) => payload,
        Err(error) => {
            tracing::error!(%error, "could not encode a flash; its outcome is lost");
            return response;
        }
    };
    let expires_at = crate::unix_now() + FLASH_TTL.as_secs() as i64;
    let stored = match keep_in {
        Keep::Store => settings.store.put_flash(&id, &payload, expires_at).await,
        Keep::WithOutcome { token, outcome } => {
            let stored = settings
                .store
                .finish_submission_with_flash(token, outcome, &id, &payload, expires_at)
                .await;
            if let Err(error) = &stored {
                tracing::error!(%error, "could not record a submission's outcome; repeats will wait in vain");
            }
            stored
        }
        Keep::Cookie => Err("the database is unavailable".to_owned()),
    };
    let value = match stored {
        Ok(()) => settings.key.sign(&id),
        // The flash store is the database: when it cannot be written, the flash travels whole
        // in its (signed) cookie, and the page after the redirect needs no database for it.
        Err(error) => {
            tracing::warn!(%error, "could not store a flash; sending it in its cookie");
            sealed(settings, flash)
        }
    };
    if let Some(cookie) = flash_cookie(settings, &value, FLASH_TTL.as_secs()) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The longest flash cookie value: browsers keep cookies up to 4,096 bytes with their name and
/// attributes, and proxies limit the whole `Cookie` header (nginx: 8 KB by default).
const SEALED_MAX: usize = 3_600;

/// `flash` sealed into a cookie value of at most [`SEALED_MAX`] bytes: when its input is too
/// long for that, the longest fields are left out (the message always stays).
fn sealed(settings: &FlashSettings, flash: &Flash) -> String {
    let mut flash = flash.clone();
    loop {
        let payload = serde_json::to_string(&flash).unwrap_or_default();
        let value = settings.key.seal(&payload);
        if value.len() <= SEALED_MAX {
            return value;
        }
        let longest = flash
            .inputs
            .iter()
            .max_by_key(|(_, value)| value.len())
            .map(|(name, _)| name.clone());
        match longest {
            Some(name) => {
                tracing::warn!(field = %name, "a field too long for the flash cookie is not kept");
                flash.inputs.remove(&name);
            }
            None => return value,
        }
    }
}

/// The `Set-Cookie` value for the flash cookie (`max_age` 0 clears it).
pub(super) fn flash_cookie(
    settings: &FlashSettings,
    value: &str,
    max_age: u64,
) -> Option<HeaderValue> {
    settings
        .cookies
        .set(FLASH_COOKIE, value, std::time::Duration::from_secs(max_age))
}
