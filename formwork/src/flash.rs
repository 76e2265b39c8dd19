//! The flash: how an action's outcome survives the redirect after a plain form post.
//!
//! Without JavaScript a form post ends in `303 See Other` back to the page the form came from
//! (post/redirect/get). The outcome of the action (its value or its error) and the user's
//! input travel to that next page in a flash:
//!
//! - the data stays on the server ([`FlashStore`], in the database, so any instance can read
//!   it) and the browser holds only a random id, signed with the server's key;
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

/// The hidden field that carries the page a form was rendered on.
pub const RETURN_FIELD: &str = "__fw_return";
/// The hidden field that names the form's secret fields (comma-separated), never kept.
pub const SECRET_FIELD: &str = "__fw_secret";
/// The hidden field with the rendered form's one-time submission token.
pub const ONCE_FIELD: &str = "__fw_once";
/// The hidden field that names the input telling one of several forms to the same action
/// apart (see [`FormState::for_item`](crate::FormState::for_item)); that input is kept even
/// after a success, so the outcome finds its way back to the right form.
pub const ITEM_FIELD: &str = "__fw_item";

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;
    use std::{sync::Arc, time::Duration};

    /// How long a flash waits for the page after the redirect.
    pub const FLASH_TTL: Duration = Duration::from_secs(60);
    /// The cookie that holds the signed flash id.
    pub const FLASH_COOKIE: &str = "fw_flash";

    /// Where flashes wait between the POST and the GET. Implemented by the storage backends.
    #[async_trait::async_trait]
    pub trait FlashStore: Send + Sync + 'static {
        /// Stores `payload` under `id` until `expires_at` (unix seconds).
        async fn put_flash(&self, id: &str, payload: &str, expires_at: i64) -> Result<(), String>;
        /// Removes and returns the payload under `id` if it has not expired.
        async fn take_flash(&self, id: &str, now: i64) -> Result<Option<String>, String>;

        /// Claims a form's one-time submission token until `expires_at` (unix seconds), and
        /// sweeps claims that expired before `now`. `true` for the first claim, `false` when
        /// the token was claimed before: the form was submitted twice.
        async fn claim_submission(
            &self,
            token: &str,
            now: i64,
            expires_at: i64,
        ) -> Result<bool, String>;

        /// Records how the first submission of `token` ended.
        async fn finish_submission(&self, token: &str, outcome: &str) -> Result<(), String>;

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

    /// How a flash cookie that carries its flash whole begins (see [`SigningKey::seal`]).
    const INLINE_PREFIX: &str = "i.";

    /// The server's secret for what it hands the browser and must get back unchanged: flash
    /// ids and bound arguments ([`crate::bound`]).
    #[derive(Clone)]
    pub struct SigningKey(Arc<[u8]>);

    impl SigningKey {
        /// A key from configured secret bytes (at least 32).
        pub fn new(secret: &[u8]) -> Result<Self, String> {
            if secret.len() < 32 {
                return Err("the flash secret must be at least 32 bytes".into());
            }
            Ok(Self(secret.into()))
        }

        /// A random key for this process only: flashes then do not survive a restart or reach
        /// another instance.
        pub fn random() -> Self {
            let bytes: Vec<u8> = (0..2)
                .flat_map(|_| uuid::Uuid::new_v4().into_bytes())
                .collect();
            Self(bytes.into())
        }

        fn mac(&self) -> Hmac<Sha256> {
            // HMAC takes keys of any length; this cannot fail.
            #[allow(clippy::expect_used)]
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts any key length")
        }

        /// The signature of `parts` (joined unambiguously), base64url.
        pub fn tag(&self, parts: &[&[u8]]) -> String {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(self.mac_of(parts).finalize().into_bytes())
        }

        /// Whether `tag` is the signature of `parts` (checked in constant time).
        pub fn check(&self, parts: &[&[u8]], tag: &str) -> bool {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(tag)
                .is_ok_and(|tag| self.mac_of(parts).verify_slice(&tag).is_ok())
        }

        fn mac_of(&self, parts: &[&[u8]]) -> Hmac<Sha256> {
            let mut mac = self.mac();
            for part in parts {
                // Length-prefixed, so that no two different lists of parts sign alike.
                mac.update(&(part.len() as u64).to_be_bytes());
                mac.update(part);
            }
            mac
        }

        /// `id.signature`, for the flash cookie.
        pub fn sign(&self, id: &str) -> String {
            format!("{id}.{}", self.tag(&[b"flash", id.as_bytes()]))
        }

        /// The id, if `cookie` carries a valid signature.
        pub fn verify<'a>(&self, cookie: &'a str) -> Option<&'a str> {
            let (id, tag) = cookie.split_once('.')?;
            self.check(&[b"flash", id.as_bytes()], tag).then_some(id)
        }

        /// `i.<payload, base64url>.<signature>`: a flash carried whole in its cookie, for when
        /// the flash store cannot be written (its database is down).
        pub fn seal(&self, payload: &str) -> String {
            use base64::Engine;
            let sealed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload);
            let tag = self.tag(&[b"flash-inline", sealed.as_bytes()]);
            format!("{INLINE_PREFIX}{sealed}.{tag}")
        }

        /// The payload of a cookie made by [`SigningKey::seal`], if its signature holds.
        pub fn open(&self, cookie: &str) -> Option<String> {
            use base64::Engine;
            let (sealed, tag) = cookie.strip_prefix(INLINE_PREFIX)?.split_once('.')?;
            if !self.check(&[b"flash-inline", sealed.as_bytes()], tag) {
                return None;
            }
            let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(sealed)
                .ok()?;
            String::from_utf8(payload).ok()
        }
    }

    /// Reads the flash for the action `A` from the request being rendered, if there is one.
    pub fn snapshot_for<A>() -> FormSnapshot<A::Output>
    where
        A: server_fn::ServerFn<Error = ActionError>,
        A::Output: serde::de::DeserializeOwned,
    {
        let Some(flash) = leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<ReceivedFlash>().cloned())
        else {
            return FormSnapshot::default();
        };
        let flash = flash.0;
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

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_signed_id_verifies_and_a_forged_one_does_not() {
            let key = SigningKey::random();
            let cookie = key.sign("abc123");
            assert_eq!(key.verify(&cookie), Some("abc123"));
            assert_eq!(key.verify("abc123"), None);
            assert_eq!(key.verify("abc124.AAAA"), None);
            let (_, tag) = cookie.split_once('.').unwrap_or_default();
            assert_eq!(
                key.verify(&format!("other.{tag}")),
                None,
                "a signature is bound to its id"
            );
            assert_eq!(
                SigningKey::random().verify(&cookie),
                None,
                "another key rejects it"
            );
        }

        #[test]
        fn a_sealed_flash_opens_only_unchanged_and_never_as_an_id() {
            let key = SigningKey::random();
            let payload = r#"{"action":"/api/x","ok":false,"inputs":{"title":"</script> ✓"}}"#;
            let cookie = key.seal(payload);
            assert_eq!(key.open(&cookie).as_deref(), Some(payload));
            assert_eq!(key.verify(&cookie), None, "a sealed flash is not an id");
            assert_eq!(
                key.open(&key.sign("abc123")),
                None,
                "an id is not a sealed flash"
            );
            let (sealed, tag) = cookie.rsplit_once('.').unwrap_or_default();
            let changed = format!("{}A.{tag}", sealed);
            assert_eq!(key.open(&changed), None, "a changed payload is refused");
            assert_eq!(
                SigningKey::random().open(&cookie),
                None,
                "another key rejects it"
            );
        }

        #[test]
        fn short_secrets_are_refused() {
            assert!(SigningKey::new(b"short").is_err());
            assert!(SigningKey::new(&[7u8; 32]).is_ok());
        }
    }
}
