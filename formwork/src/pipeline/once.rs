//! Once: a submission that repeats its rendered form's one-time token (a double click, a
//! resubmitted page, a script's retry or a replayed `fetch`) gets the first one's outcome; the
//! action does not run again. A plain form post is sent where the first went, with its flash;
//! a script gets the first answer's status and body.

use super::{posted::PostedForm, Answer, Call};
use crate::{
    flash::{
        write::{redirect, store_and_redirect, Keep},
        Flash, FlashSettings,
    },
    messages::{text, Message},
    ActionError, LocalPath,
};
use axum::response::Response;
use server_fn::error::FromServerFnError;
use std::{collections::BTreeMap, time::Duration};

/// How long a rendered form's submission token is remembered: a repeat of the same form
/// within this time replays the first outcome instead of running the action again.
pub const SUBMISSION_MEMORY: Duration = Duration::from_secs(24 * 60 * 60);

/// How long a repeated submission waits for the first one to finish.
const REPEAT_WAIT: Duration = Duration::from_secs(10);

/// Whether this call carries its rendered form's one-time token (what [`claim`] claims), and
/// there is a store to claim it in.
pub(super) fn carries_token(call: &Call, form: Option<&PostedForm>) -> bool {
    call.pipeline.flash.is_some() && form.is_some_and(|form| form.once.is_some())
}

/// The token to record this post's outcome under, when it is a plain form post's first;
/// a repeat is answered with the first one's outcome.
pub(super) async fn claim(
    call: &Call,
    form: Option<&PostedForm>,
) -> Result<Option<String>, Answer> {
    let (Some(settings), Some(form)) = (call.pipeline.flash.as_ref(), form) else {
        return Ok(None);
    };
    let Some(token) = &form.once else {
        return Ok(None);
    };
    let token = &submission_key(token, form);
    match claim_token(settings, token).await {
        Claim::First => Ok(Some(token.clone())),
        Claim::Repeat if call.form_post().is_none() => {
            tracing::info!(action = %call.path, "repeated script submission: replaying the first answer");
            Err(Box::new(match first_outcome(settings, token).await {
                Some(remembered) => script_answer(&remembered),
                None => call.answer(&still_running()),
            }))
        }
        Claim::Repeat => {
            let back = form.return_to.clone().or_else(|| call.back.clone());
            Err(Box::new(replay(settings, token, &call.path, back).await))
        }
        // The database is down: the action would find it down too. Nothing runs, and the
        // form gets its input back with the reason.
        Claim::Unavailable(error) => Err(Box::new(call.refuse(&error, Some(form)).await)),
    }
}

/// What a submission is remembered under: its form's token, and for a form that many items
/// share (see [`crate::items`]), a digest of the item that was sent. Each row's post is then
/// its own submission, and a repeat of one row's is a repeat. A digest, so that the key stays
/// short whatever a client puts in the field.
fn submission_key(token: &str, form: &PostedForm) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write;
    let Some(value) = form.item.as_ref().and_then(|item| form.inputs.get(item)) else {
        return token.to_owned();
    };
    let digest = Sha256::digest(value.as_bytes());
    let mut key = String::with_capacity(token.len() + 33);
    key.push_str(token);
    key.push(':');
    for byte in &digest[..16] {
        let _ = write!(key, "{byte:02x}");
    }
    key
}

enum Claim {
    /// The first post of this form: run it.
    First,
    /// The form was posted before.
    Repeat,
    /// The store could not be written: its database is down.
    Unavailable(ActionError),
}

async fn claim_token(settings: &FlashSettings, token: &str) -> Claim {
    let now = crate::unix_now();
    let until = now + SUBMISSION_MEMORY.as_secs() as i64;
    match settings.store.claim_submission(token, now, until).await {
        Ok(true) => Claim::First,
        Ok(false) => Claim::Repeat,
        Err(error) => Claim::Unavailable(ActionError::unavailable(format!(
            "could not claim a submission token: {error}"
        ))),
    }
}

/// How a first submission ended, kept under its token for repeats.
#[derive(serde::Serialize, serde::Deserialize)]
struct Remembered {
    flash: Flash,
    target: Option<String>,
}

pub(super) async fn remember(
    settings: &FlashSettings,
    token: &str,
    flash: &Flash,
    target: Option<&LocalPath>,
) {
    let stored = match record(flash, target) {
        Some(outcome) => settings.store.finish_submission(token, &outcome).await,
        None => Err("the outcome could not be encoded".to_owned()),
    };
    if let Err(error) = stored {
        tracing::error!(%error, "could not record a submission's outcome; repeats will wait in vain");
    }
}

/// The record of how a first submission ended (`flash`, sent on to `target`), as
/// [`FlashStore::finish_submission`](crate::flash::FlashStore::finish_submission) keeps it.
pub(super) fn record(flash: &Flash, target: Option<&LocalPath>) -> Option<String> {
    let remembered = Remembered {
        flash: flash.clone(),
        target: target.map(ToString::to_string),
    };
    serde_json::to_string(&remembered)
        .inspect_err(|error| tracing::error!(%error, "could not encode a submission's outcome"))
        .ok()
}

/// How the first submission of `token` ended, waiting for it to end (at most
/// [`REPEAT_WAIT`]); `None` when it has not, or its record cannot be read.
async fn first_outcome(settings: &FlashSettings, token: &str) -> Option<Remembered> {
    let deadline = tokio::time::Instant::now() + REPEAT_WAIT;
    loop {
        match settings.store.submission_outcome(token).await {
            Ok(Some(outcome)) => {
                return serde_json::from_str::<Remembered>(&outcome)
                    .inspect_err(
                        |error| tracing::error!(%error, "unreadable remembered submission"),
                    )
                    .ok();
            }
            Ok(None) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(None) => return None,
            Err(error) => {
                tracing::error!(%error, "could not read a remembered submission");
                return None;
            }
        }
    }
}

fn still_running() -> ActionError {
    ActionError::Conflict {
        message: text(Message::StillRunning).into_owned(),
    }
}

/// A script's answer to a repeat: the first answer's status and body, and its redirect.
fn script_answer(remembered: &Remembered) -> Response {
    use axum::response::IntoResponse;
    use http::{header, HeaderValue, StatusCode};
    let flash = &remembered.flash;
    let status = if flash.ok {
        StatusCode::OK
    } else {
        ActionError::de(flash.body.clone().into()).status()
    };
    let mut response = (status, flash.body.clone()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if !flash.ok {
        if let Ok(path) = HeaderValue::from_str(&flash.action) {
            headers.insert(server_fn::error::SERVER_FN_ERROR_HEADER, path);
        }
    }
    if let Some(target) = remembered.target.as_deref().and_then(LocalPath::parse) {
        if let Ok(location) = HeaderValue::from_str(target.as_str()) {
            headers.insert(header::LOCATION, location);
            headers.insert(
                http::HeaderName::from_static(server_fn::redirect::REDIRECT_HEADER),
                HeaderValue::from_static(""),
            );
        }
    }
    response
}

/// A repeated post: wait for the first one to finish, then send the browser where the first
/// one went, with its outcome. The action does not run again.
async fn replay(
    settings: &FlashSettings,
    token: &str,
    action: &str,
    back: Option<LocalPath>,
) -> Response {
    tracing::info!(
        action,
        "repeated form submission: replaying the first outcome"
    );
    if let Some(remembered) = first_outcome(settings, token).await {
        let target = remembered.target.as_deref().and_then(LocalPath::parse);
        return store_and_redirect(settings, &remembered.flash, target.or(back), Keep::Store).await;
    }
    redirect(
        settings,
        action,
        Err(&still_running()),
        BTreeMap::new(),
        back,
    )
    .await
}
