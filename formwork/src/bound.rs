//! Bound arguments: values the server fixes when it renders a form, like JavaScript's
//! `.bind()` on a Server Action (the post id on a "Delete" button).
//!
//! A bound value travels in the form as `value.signature`, signed with the server's
//! [`SigningKey`](crate::signing::SigningKey) together with the action's path. An action takes
//! it as [`Bound<T>`]: reading the request checks the signature, so the action only ever sees
//! values its own forms were given. A value that was changed, or signed for another action,
//! fails to read and the request is answered `400 Bad Request`.
//!
//! ```
//! use formwork::{ActionError, Bound};
//! use leptos::prelude::*;
//!
//! #[formwork::action(access = Public)]
//! pub async fn delete_post(id: Bound<i64>) -> Result<(), ActionError> {
//!     let id = id.into_inner(); // the id this server put in the form
//!     # let _ = id;
//!     Ok(())
//! }
//!
//! #[component]
//! fn DeleteButton(post: i64) -> impl IntoView {
//!     let id = formwork::bound::sign::<DeletePost>(&post);
//!     view! { <input type="hidden" name="id" value=id/> }
//! }
//! # fn main() {}
//! ```
//!
//! Signing needs the key, so bound values are rendered on the server (in the browser
//! [`sign`] has no key and gives an empty string; islands get signed values as props).
//! A value is bound to its action, not to one field: an action with two bound fields of the
//! same type should not rely on them being told apart.
//!
//! A form that many rows share ([`crate::items`]) signs once for all of them instead: it
//! carries the list of values it offers, signed ([`sign_offer_with`]), and each row's button
//! sends its plain value. Reading such a value checks that it is on the list the request
//! brought.

use serde::{de::Error as _, Deserialize, Deserializer, Serialize, Serializer};
use server_fn::ServerFn;
use std::{fmt::Display, str::FromStr};

/// What a client that changed a bound value is told (with status 400).
fn tampered() -> std::borrow::Cow<'static, str> {
    crate::messages::text(crate::messages::Message::StaleForm)
}

/// A value the server put in the form, verified when the request is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound<T>(T);

impl<T> Bound<T> {
    /// The verified value.
    pub fn into_inner(self) -> T {
        self.0
    }

    /// The verified value, borrowed.
    pub fn get(&self) -> &T {
        &self.0
    }
}

/// `value.signature` for a form field bound to action `A` (empty in the browser, which has
/// no key; see the module docs).
pub fn sign<A: ServerFn>(value: &impl Display) -> String {
    #[cfg(feature = "ssr")]
    return server::sign(A::PATH, &value.to_string()).unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    {
        let _ = value;
        String::new()
    }
}

impl<T: Display> Serialize for Bound<T> {
    /// Only the value: signatures are made by [`sign`] when a form is rendered.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de, T: FromStr> Deserialize<'de> for Bound<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let signed = String::deserialize(deserializer)?;
        #[cfg(feature = "ssr")]
        let value = match signed.rsplit_once('.') {
            Some((value, tag)) if server::verify(value, tag) => value,
            // A row's plain value, on the list its shared form offered.
            _ if server::offered(&signed) => signed.as_str(),
            _ => return Err(D::Error::custom(tampered())),
        };
        #[cfg(not(feature = "ssr"))]
        let value = signed
            .rsplit_once('.')
            .map(|(value, _)| value)
            .ok_or_else(|| D::Error::custom(tampered()))?;
        value
            .parse()
            .map(Bound)
            .map_err(|_| D::Error::custom(tampered()))
    }
}

/// The signed list of values a shared form offers ([`sign_offer_with`]), as a plain post of
/// that form brought it: the pipeline puts it in the request's extensions, and reading a
/// [`Bound`] argument checks a plain value against it.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub struct Offer(pub String);

/// The list of `values` for the action at `action_path`, signed: each value with its length
/// (so no two lists read alike), then `.signature`. What a shared form carries in its
/// [`BOUND_OFFER_FIELD`](crate::protocol::BOUND_OFFER_FIELD).
#[cfg(feature = "ssr")]
pub fn sign_offer_with<'a>(
    key: &crate::signing::SigningKey,
    action_path: &str,
    values: impl IntoIterator<Item = &'a str>,
) -> String {
    let mut offer = String::with_capacity(128);
    for value in values {
        push_decimal(&mut offer, value.len());
        offer.push(':');
        offer.push_str(value);
        offer.push(',');
    }
    let tag = key.tag(&[b"bound-offer", action_path.as_bytes(), offer.as_bytes()]);
    offer.push('.');
    offer.push_str(&tag);
    offer
}

/// `n` in decimal digits, onto the end of `text` (without the formatting machinery: a list
/// writes one for every row).
#[cfg(feature = "ssr")]
fn push_decimal(text: &mut String, n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        // A remainder of ten is one digit.
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for digit in &digits[at..] {
        text.push(char::from(*digit));
    }
}

/// Whether `offer` (made by [`sign_offer_with`]) is signed for the action at `action_path`
/// and lists `value`.
#[cfg(feature = "ssr")]
pub(crate) fn offer_lists(
    key: &crate::signing::SigningKey,
    action_path: &str,
    offer: &str,
    value: &str,
) -> bool {
    let Some((list, tag)) = offer.rsplit_once('.') else {
        return false;
    };
    if !key.check(
        &[b"bound-offer", action_path.as_bytes(), list.as_bytes()],
        tag,
    ) {
        return false;
    }
    // Signed by this server, so well formed; read with care all the same.
    let mut rest = list;
    while let Some((length, after)) = rest.split_once(':') {
        let Ok(length) = length.parse::<usize>() else {
            return false;
        };
        let (Some(item), Some(next)) = (after.get(..length), after.get(length..)) else {
            return false;
        };
        if item == value {
            return true;
        }
        rest = next.strip_prefix(',').unwrap_or(next);
    }
    false
}

/// `value.signature` for the action at `action_path`, with an explicit key (for tests and
/// tools; pages use [`sign`]).
#[cfg(feature = "ssr")]
pub fn sign_with(key: &crate::signing::SigningKey, action_path: &str, value: &str) -> String {
    let tag = key.tag(&[b"bound", action_path.as_bytes(), value.as_bytes()]);
    let mut signed = String::with_capacity(value.len() + 1 + tag.len());
    signed.push_str(value);
    signed.push('.');
    signed.push_str(&tag);
    signed
}

#[cfg(feature = "ssr")]
mod server {
    use crate::signing::SigningKey;
    use leptos::prelude::use_context;

    /// `value.signature` for `action`, with the key the server provided as context (read
    /// through the forms' scope: one lookup for a list's rows).
    pub fn sign(action: &str, value: &str) -> Option<String> {
        let scope = crate::form::scope::current()?;
        scope.key().map(|key| super::sign_with(key, action, value))
    }

    /// Whether the request brought a shared form's signed list of values for the action it
    /// calls, and `value` is on it.
    pub fn offered(value: &str) -> bool {
        let Some(key) = use_context::<SigningKey>() else {
            return false;
        };
        crate::request::with(|parts| {
            parts
                .extensions
                .get::<super::Offer>()
                .is_some_and(|offer| super::offer_lists(&key, parts.uri.path(), &offer.0, value))
        })
        .unwrap_or(false)
    }

    /// Whether `tag` signs `value` for the action this request calls.
    pub fn verify(value: &str, tag: &str) -> bool {
        let Some(key) = use_context::<SigningKey>() else {
            tracing::error!("bound argument read without a SigningKey in context");
            return false;
        };
        crate::request::with(|parts| {
            key.check(
                &[b"bound", parts.uri.path().as_bytes(), value.as_bytes()],
                tag,
            )
        })
        .unwrap_or_else(|| {
            tracing::error!("bound argument read without the request in context");
            false
        })
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::signing::SigningKey;
    use leptos::prelude::{provide_context, Owner};

    fn in_request<R>(key: &SigningKey, path: &str, f: impl FnOnce() -> R) -> R {
        let owner = Owner::new();
        owner.with(|| {
            provide_context(key.clone());
            let (parts, ()) = http::Request::post(path)
                .body(())
                .unwrap_or_default()
                .into_parts();
            provide_context(parts);
            f()
        })
    }

    fn read(signed: &str) -> Result<Bound<i64>, String> {
        serde_json::from_value::<Bound<i64>>(serde_json::Value::String(signed.into()))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_value_signed_for_an_action_reads_back_only_there() {
        let key = SigningKey::random();
        let signed = in_request(&key, "/api/delete", || server::sign("/api/delete", "42"))
            .unwrap_or_default();
        assert!(signed.starts_with("42."), "{signed}");
        assert_eq!(
            in_request(&key, "/api/delete", || read(&signed)),
            Ok(Bound(42))
        );
        // Another action, another key, a changed value, no signature: all refused alike.
        let tampered = signed.replacen("42", "43", 1);
        for (path, input, key) in [
            ("/api/other", signed.as_str(), key.clone()),
            ("/api/delete", signed.as_str(), SigningKey::random()),
            ("/api/delete", tampered.as_str(), key.clone()),
            ("/api/delete", "42", key.clone()),
        ] {
            assert_eq!(
                in_request(&key, path, || read(input)),
                Err(super::tampered().into_owned()),
                "{path} {input}"
            );
        }
    }

    #[test]
    fn a_plain_value_reads_back_only_from_the_list_its_form_offered_for_that_action() {
        let key = SigningKey::random();
        let offer = sign_offer_with(&key, "/api/delete", ["4", "42", "7.5", "1:2,"]);
        let with_offer = |path: &str, offer: &str, key: &SigningKey, input: &str| {
            let owner = Owner::new();
            owner.with(|| {
                provide_context(key.clone());
                let (mut parts, ()) = http::Request::post(path)
                    .body(())
                    .unwrap_or_default()
                    .into_parts();
                parts.extensions.insert(Offer(offer.to_owned()));
                provide_context(parts);
                read(input)
            })
        };
        assert_eq!(with_offer("/api/delete", &offer, &key, "42"), Ok(Bound(42)));
        assert_eq!(with_offer("/api/delete", &offer, &key, "4"), Ok(Bound(4)));
        // Lengths of any number of digits.
        let long = "x".repeat(1234);
        let offer_long = sign_offer_with(&key, "/api/delete", ["", &long]);
        assert!(
            offer_long.starts_with(&format!("0:,1234:{long},.")),
            "{offer_long}"
        );
        assert!(offer_lists(&key, "/api/delete", &offer_long, &long));
        assert!(offer_lists(&key, "/api/delete", &offer_long, ""));
        // Values are told apart by their length, whatever they hold.
        let list = offer
            .rsplit_once('.')
            .map(|(list, _)| list)
            .unwrap_or_default();
        assert!(offer_lists(&key, "/api/delete", &offer, "7.5"), "{list}");
        assert!(offer_lists(&key, "/api/delete", &offer, "1:2,"), "{list}");
        for part in ["1", "2", "2,", "7", "5", "", "42,"] {
            assert!(
                !offer_lists(&key, "/api/delete", &offer, part),
                "{part} in {list}"
            );
        }
        // Not on the list; another action's list; another key; a list changed to add a value.
        let added = offer.replacen("2:42,", "2:42,2:43,", 1);
        for (path, offer, key, input) in [
            ("/api/delete", offer.as_str(), key.clone(), "43"),
            ("/api/other", offer.as_str(), key.clone(), "42"),
            ("/api/delete", offer.as_str(), SigningKey::random(), "42"),
            ("/api/delete", added.as_str(), key.clone(), "43"),
        ] {
            assert_eq!(
                with_offer(path, offer, &key, input),
                Err(super::tampered().into_owned()),
                "{path} {offer} {input}"
            );
        }
        // Without a list, a plain value is refused as before.
        assert_eq!(
            in_request(&key, "/api/delete", || read("42")),
            Err(super::tampered().into_owned())
        );
    }

    #[test]
    fn without_a_key_nothing_is_signed_or_accepted() {
        let owner = Owner::new();
        owner.with(|| {
            assert_eq!(server::sign("/api/delete", "1"), None);
            assert!(!server::verify("1", "tag"));
        });
    }
}
