//! Once: a plain form post that repeats its rendered form's one-time token (a double click,
//! a resubmitted page) gets the first post's outcome; the action does not run again.

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
use std::{collections::BTreeMap, time::Duration};

/// How long a rendered form's submission token is remembered: a repeat of the same form
/// within this time replays the first outcome instead of running the action again.
pub const SUBMISSION_MEMORY: Duration = Duration::from_secs(24 * 60 * 60);

/// How long a repeated submission waits for the first one to finish.
const REPEAT_WAIT: Duration = Duration::from_secs(10);

/// Whether this call is a plain form post carrying its rendered form's one-time token (what
/// [`claim`] claims).
pub(super) fn carries_token(call: &Call, form: Option<&PostedForm>) -> bool {
    call.form_post().is_some() && form.is_some_and(|form| form.once.is_some())
}

/// The token to record this post's outcome under, when it is a plain form post's first;
/// a repeat is answered with the first one's outcome.
pub(super) async fn claim(
    call: &Call,
    form: Option<&PostedForm>,
) -> Result<Option<String>, Answer> {
    let (Some(settings), Some(form)) = (call.form_post(), form) else {
        return Ok(None);
    };
    let Some(token) = &form.once else {
        return Ok(None);
    };
    match claim_token(settings, token).await {
        Claim::First => Ok(Some(token.clone())),
        Claim::Repeat => {
            let back = form.return_to.clone().or_else(|| call.back.clone());
            Err(Box::new(replay(settings, token, &call.path, back).await))
        }
        // The database is down: the action would find it down too. Nothing runs, and the
        // form gets its input back with the reason.
        Claim::Unavailable(error) => Err(Box::new(call.refuse(&error, Some(form)).await)),
    }
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
    let remembered = Remembered {
        flash: flash.clone(),
        target: target.map(ToString::to_string),
    };
    let stored = match serde_json::to_string(&remembered) {
        Ok(outcome) => settings.store.finish_submission(token, &outcome).await,
        Err(error) => Err(error.to_string()),
    };
    if let Err(error) = stored {
        tracing::error!(%error, "could not record a submission's outcome; repeats will wait in vain");
    }
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
    let deadline = tokio::time::Instant::now() + REPEAT_WAIT;
    loop {
        match settings.store.submission_outcome(token).await {
            Ok(Some(outcome)) => match serde_json::from_str::<Remembered>(&outcome) {
                Ok(remembered) => {
                    let target = remembered.target.as_deref().and_then(LocalPath::parse);
                    let flash = &remembered.flash;
                    return store_and_redirect(settings, flash, target.or(back), Keep::Store).await;
                }
                Err(error) => {
                    tracing::error!(%error, "unreadable remembered submission");
                    break;
                }
            },
            Ok(None) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(None) => break,
            Err(error) => {
                tracing::error!(%error, "could not read a remembered submission");
                break;
            }
        }
    }
    let error = ActionError::Conflict {
        message: text(Message::StillRunning).into_owned(),
    };
    redirect(settings, action, Err(&error), BTreeMap::new(), back).await
}
