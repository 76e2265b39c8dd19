//! The flash: how an action's outcome survives the redirect after a plain form post.
//!
//! Without JavaScript a form post ends in `303 See Other` back to the page the form came from
//! (post/redirect/get). The outcome of the action (its value or its error) and the user's
//! input travel to that next page in a flash:
//!
//! - the data stays on the server ([`FlashStore`], in the database, so any instance can read
//!   it) and the browser holds only its id (the millisecond it was made, then 80 random
//!   bits), signed with the server's key;
//! - it is short-lived (60 seconds) and single-use: reading it deletes it, so a reload shows
//!   a clean page and a replayed or forged cookie is ignored;
//! - it never touches the URL, so nothing leaks into history, logs or Referer headers.
//!
//! A page hands what it read to its forms as a [`FormSnapshot`]; an island gets the same
//! snapshot as a prop, so the server and the browser render the same state.

use crate::ActionError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a form shows when its page renders: the last outcome and the input that produced it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(bound(deserialize = "T: serde::de::DeserializeOwned"))]
pub struct FormSnapshot<T> {
    /// How the action last ended (its value or its error); `None` before any submission.
    pub outcome: Option<Result<T, ActionError>>,
    /// The submitted fields, by name (secret fields never appear here).
    pub inputs: BTreeMap<String, String>,
}

/// The server writes a snapshot into its island's props.
#[cfg(feature = "ssr")]
impl<T: Serialize> Serialize for FormSnapshot<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut snapshot = serializer.serialize_struct("FormSnapshot", 2)?;
        snapshot.serialize_field("outcome", &self.outcome)?;
        snapshot.serialize_field("inputs", &self.inputs)?;
        snapshot.end()
    }
}

/// In the browser a snapshot is only ever written by Leptos re-stating the props of an island
/// it hydrates, and that text is thrown away (tachys reads island props only when rendering
/// HTML, which the browser never does). So it writes nothing there, and the serializers of
/// the outcome and of [`ActionError`] stay out of the WASM (measured on /posts: see
/// bench/run.sh).
#[cfg(not(feature = "ssr"))]
impl<T> Serialize for FormSnapshot<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

impl<T> Default for FormSnapshot<T> {
    fn default() -> Self {
        Self {
            outcome: None,
            inputs: BTreeMap::new(),
        }
    }
}

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
pub(crate) mod read;
#[cfg(feature = "ssr")]
pub(crate) mod write;

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::signing::SigningKey;
    use std::{sync::Arc, time::Duration};

    /// How long a flash waits for the page after the redirect.
    pub const FLASH_TTL: Duration = Duration::from_secs(60);

    /// Where flashes are kept and how their cookie is signed.
    #[derive(Clone)]
    pub struct FlashSettings {
        /// Where flashes are kept until the next page reads them.
        pub store: Arc<dyn FlashStore>,
        /// Signs the flash id in the cookie.
        pub key: SigningKey,
        /// How the cookie is made (`Secure` and `__Host-` named on https).
        pub cookies: crate::cookies::CookiePolicy,
    }

    /// Where flashes wait between the POST and the GET. Implemented by the storage backends.
    #[async_trait::async_trait]
    pub trait FlashStore: Send + Sync + 'static {
        /// Stores `payload` under `id` until `expires_at` (unix seconds), sweeping flashes that
        /// expired (the SQL stores: once a minute at most).
        async fn put_flash(&self, id: &str, payload: &str, expires_at: i64) -> Result<(), String>;
        /// Removes and returns the payload under `id` if it has not expired.
        async fn take_flash(&self, id: &str, now: i64) -> Result<Option<String>, String>;

        /// Claims a form's one-time submission token until `expires_at` (unix seconds), and
        /// sweeps claims that expired before `now` (the SQL stores: once a minute at most).
        /// `true` for the first claim (a claim expired before `now` counts as none), `false`
        /// when the token was claimed before: the form was submitted twice.
        ///
        /// A store may answer before the claim is on disk, provided nothing written after the
        /// answer (the action's writes, the outcome) can be kept without it. SQLite's does:
        /// its claim is answered once it ran in the writer's transaction, and is written
        /// again, before anything else, while that transaction fails to commit.
        async fn claim_submission(
            &self,
            token: &str,
            now: i64,
            expires_at: i64,
        ) -> Result<bool, String>;

        /// Records how the first submission of `token` ended.
        async fn finish_submission(&self, token: &str, outcome: &str) -> Result<(), String>;

        /// Records how the first submission of `token` ended (as
        /// [`finish_submission`](Self::finish_submission)) and keeps the flash of that
        /// outcome under `id` (as [`put_flash`](Self::put_flash)): what a plain form post
        /// writes after its action. The SQL stores send both statements in one round trip.
        async fn finish_submission_with_flash(
            &self,
            token: &str,
            outcome: &str,
            id: &str,
            payload: &str,
            expires_at: i64,
        ) -> Result<(), String> {
            self.finish_submission(token, outcome).await?;
            self.put_flash(id, payload, expires_at).await
        }

        /// How the first submission of `token` ended, once it has.
        async fn submission_outcome(&self, token: &str) -> Result<Option<String>, String>;
    }

    /// One action's outcome on its way to the next page.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Flash {
        /// The action's path (`ServerFn::PATH`): only that action's forms read it.
        pub action: String,
        /// Whether the action succeeded; `body` is then its value, else its `ActionError`.
        pub ok: bool,
        /// The action's value or error, as JSON.
        pub body: String,
        /// The submitted fields to show again, by name (no secrets; on success only the one
        /// that tells the form apart from its siblings).
        pub inputs: BTreeMap<String, String>,
    }

    /// The flash this request brought, put in the request's extensions by the pipeline.
    #[derive(Debug, Clone)]
    pub struct ReceivedFlash(pub Arc<Flash>);

    /// Reads the flash for the action `A` from the request being rendered, if there is one.
    pub fn snapshot_for<A>() -> FormSnapshot<A::Output>
    where
        A: server_fn::ServerFn<Error = ActionError>,
        A::Output: serde::de::DeserializeOwned,
    {
        // Through the forms' scope: one lookup for a list's rows.
        snapshot_in::<A>(crate::form::scope::current().as_ref())
    }

    /// [`snapshot_for`], from the forms' scope a caller has looked up already.
    pub(crate) fn snapshot_in<A>(
        scope: Option<&crate::form::scope::FormScope>,
    ) -> FormSnapshot<A::Output>
    where
        A: server_fn::ServerFn<Error = ActionError>,
        A::Output: serde::de::DeserializeOwned,
    {
        let Some(flash) = scope.and_then(|scope| scope.flash().cloned()) else {
            return FormSnapshot::default();
        };
        if flash.action != A::PATH {
            return FormSnapshot::default();
        }
        let outcome = if flash.ok {
            serde_json::from_str::<A::Output>(&flash.body)
                .map_err(|error| ActionError::internal(format!("unreadable flash value: {error}")))
        } else {
            Err(
                serde_json::from_str::<ActionError>(&flash.body).unwrap_or_else(|error| {
                    ActionError::internal(format!("unreadable flash error: {error}"))
                }),
            )
        };
        FormSnapshot {
            outcome: Some(outcome),
            inputs: flash.inputs.clone(),
        }
    }
}
