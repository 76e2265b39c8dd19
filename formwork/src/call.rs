//! [`use_action`]: an action called from an event handler (a click, a change, a key), the
//! analogue of calling a Server Action inside React's `startTransition`.
//!
//! A form is the way to call an action that works without JavaScript, and an app keeps one
//! for that. Some controls are not forms, though: a toggle that saves as it flips, a keyboard
//! shortcut, a select that applies at once. In an island such a control calls the action
//! through an [`ActionHandle`], and gets what a form gets:
//! - [`pending`](ActionHandle::pending) while a call is in flight;
//! - a typed [`outcome`](ActionHandle::outcome): the action's value, or its [`ActionError`]
//!   mapped as a form maps it (a 422's field messages, a 429's wait, a redacted 500);
//! - optionally an [optimistic](ActionHandle::optimistic) change shown at once and rolled back
//!   if the call fails;
//! - this tab's regions and live resources refreshed for whatever the action revalidated (and
//!   every other tab's, through the live stream, as for a form).
//!
//! ```
//! use formwork::prelude::*;
//! use formwork::use_action;
//!
//! #[formwork::action(access = Public)]
//! pub async fn set_starred(id: i64, starred: bool) -> Result<bool, ActionError> {
//!     Ok(starred)
//! }
//!
//! #[island]
//! fn Star(id: i64, starred: bool) -> impl IntoView {
//!     let star = use_action::<SetStarred>();
//!     let on = move || star.value().unwrap_or(starred);
//!     view! {
//!         <button
//!             aria-pressed=move || on().to_string()
//!             disabled=move || star.pending()
//!             on:click=move |_| star.call(SetStarred { id, starred: !on() })
//!         >"Star"</button>
//!         <p role="alert">{move || star.error().map(|e| e.to_string())}</p>
//!     }
//! }
//! # fn main() {}
//! ```
//!
//! The arguments are sent as a form would send them (urlencoded, nested fields in brackets),
//! to the same endpoint, through the same pipeline: its access, rate limit and body limit
//! checks apply unchanged. A call has no rendered form, so it carries no one-time token: a
//! retry runs the action again. Actions called this way should be idempotent (set a state,
//! not flip it), as the app's are. An action that redirects sends the tab there.

use crate::{
    action::Action,
    form::Outcome,
    optimistic::{Optimistic, ShownAt},
    ActionError,
};
use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};
use server_fn::ServerFn;
use std::{marker::PhantomData, sync::Arc};

/// An action to call from event handlers, with its state (see [`use_action`]). Cheap to copy.
pub struct ActionHandle<A: ServerFn> {
    /// Calls in flight.
    running: RwSignal<u32>,
    outcome: RwSignal<Option<Outcome<A::Output>>>,
    /// The number of the latest call: only its answer becomes the outcome.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))] // only the browser calls
    latest: StoredValue<u64>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    optimism: Option<StoredValue<ShownAt<A, A::Output>>>,
    /// Shows a call's change at once, and gives back what takes it away.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    show: Option<StoredValue<Show<A>>>,
    action: PhantomData<fn() -> A>,
}

/// Takes away a change shown at once (see [`ActionHandle::optimistic_with`]).
pub type Undo = Box<dyn FnOnce()>;

type Show<A> = Arc<dyn Fn(&A) -> Undo + Send + Sync>;

impl<A: ServerFn> Clone for ActionHandle<A> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A: ServerFn> Copy for ActionHandle<A> {}

/// A handle to call action `A` from event handlers, with its pending state and outcome.
pub fn use_action<A>() -> ActionHandle<A>
where
    A: Action + ServerFn<Error = ActionError> + Serialize + Clone + Send + Sync + 'static,
    A::Output: Clone + Send + Sync + DeserializeOwned + 'static,
{
    ActionHandle {
        running: RwSignal::new(0),
        outcome: RwSignal::new(None),
        latest: StoredValue::new(0),
        optimism: None,
        show: None,
        action: PhantomData,
    }
}

impl<A> ActionHandle<A>
where
    A: Action + ServerFn<Error = ActionError> + Serialize + Clone + Send + Sync + 'static,
    A::Output: Clone + Send + Sync + DeserializeOwned + 'static,
{
    /// Shows `change` (of the call's arguments) in `target` at once, while a call is in
    /// flight: on success the page settles on the action's answer in the same round trip; on
    /// failure the change is rolled back and the server's state fetched (see
    /// [`Optimistic`]).
    pub fn optimistic(
        mut self,
        target: Optimistic<A::Output>,
        change: fn(&A, &mut A::Output),
    ) -> Self {
        let shown: ShownAt<A, A::Output> = Arc::new((target, change));
        self.optimism = Some(StoredValue::new(shown));
        self
    }

    /// Shows a call's change at once in any way the page likes (a class, an attribute, a
    /// signal of the island's): `show` makes the change for the call's arguments and returns
    /// the [`Undo`] that takes it away, which runs if the call fails. On success the change
    /// stays; the action's answer and what it revalidated follow as usual.
    pub fn optimistic_with(mut self, show: impl Fn(&A) -> Undo + Send + Sync + 'static) -> Self {
        let show: Show<A> = Arc::new(show);
        self.show = Some(StoredValue::new(show));
        self
    }

    /// Calls the action with `args`. Calls may overlap; [`outcome`](Self::outcome) is the
    /// latest call's. On the server (where no event handler runs) it does nothing.
    pub fn call(&self, args: A) {
        #[cfg(feature = "hydrate")]
        self.send(args);
        #[cfg(not(feature = "hydrate"))]
        let _ = args;
    }

    /// Whether a call is in flight (tracked).
    pub fn pending(&self) -> bool {
        self.running.get() > 0
    }

    /// How the latest call ended, if one did (tracked).
    pub fn outcome(&self) -> Option<Outcome<A::Output>> {
        self.outcome.get()
    }

    /// The latest call's value, if it succeeded (tracked).
    pub fn value(&self) -> Option<A::Output> {
        self.outcome
            .with(|o| o.as_ref().and_then(|o| o.as_ref().ok().cloned()))
    }

    /// The latest call's error, if it failed (tracked).
    pub fn error(&self) -> Option<ActionError> {
        self.outcome
            .with(|o| o.as_ref().and_then(|o| o.as_ref().err().cloned()))
    }

    /// Forgets the last outcome (a message the user dismissed).
    pub fn clear(&self) {
        self.outcome.set(None);
    }

    #[cfg(feature = "hydrate")]
    fn send(&self, args: A) {
        let handle = *self;
        let number = handle
            .latest
            .try_update_value(|n| {
                *n += 1;
                *n
            })
            .unwrap_or_default();
        let body = match arguments(&args) {
            Ok(body) => body,
            Err(error) => {
                handle.outcome.set(Some(Err(error)));
                return;
            }
        };
        let shown = handle
            .optimism
            .and_then(|shown| shown.try_get_value())
            .map(|shown| {
                let ticket = shown.begin(&args);
                (shown, ticket)
            });
        let undo = handle
            .show
            .and_then(|show| show.try_get_value())
            .map(|show| show(&args));
        handle.running.update(|n| *n += 1);
        leptos::task::spawn_local(async move {
            let sent = crate::form::send::<A>(&body).await;
            let crate::form::Sent::Answered {
                outcome,
                revalidated,
            } = sent
            else {
                // The action sent the tab elsewhere; the call stays pending until it goes.
                return;
            };
            crate::optimistic::finish(shown, &outcome, revalidated.as_ref());
            if let (Some(undo), true) = (undo, outcome.is_err()) {
                undo();
            }
            if handle.latest.get_value() == number {
                handle.outcome.set(Some(outcome));
            }
            handle.running.update(|n| *n = n.saturating_sub(1));
            if let Some((id, items)) = revalidated {
                crate::live::client::revalidate(&id, &items).await;
            }
        });
    }
}

/// `args` as a form would post them, urlencoded (see [`pairs`]).
#[cfg(feature = "hydrate")]
fn arguments<A: Serialize>(args: &A) -> Result<String, ActionError> {
    let unsendable = |_| ActionError::BadRequest {
        message: "These arguments cannot be sent.".into(),
    };
    let params = web_sys::UrlSearchParams::new().map_err(unsendable)?;
    for (name, value) in pairs(args)? {
        params.append(&name, &value);
    }
    Ok(params.to_string().into())
}

/// `args` as a form's fields: a nested field as `outer[inner]`, a list's items as `list[0]`,
/// `list[1]`, … (what the action's decoder reads), and `None` left out.
#[cfg(any(feature = "hydrate", test))]
fn pairs<A: Serialize>(args: &A) -> Result<Vec<(String, String)>, ActionError> {
    let value = serde_json::to_value(args).map_err(|_| ActionError::BadRequest {
        message: "These arguments cannot be sent.".into(),
    })?;
    let mut pairs = Vec::new();
    flatten(None, &value, &mut pairs);
    Ok(pairs)
}

#[cfg(any(feature = "hydrate", test))]
fn flatten(name: Option<String>, value: &serde_json::Value, pairs: &mut Vec<(String, String)>) {
    use serde_json::Value;
    let scalar = match value {
        Value::Null => return,
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let key = name
                    .as_ref()
                    .map_or_else(|| i.to_string(), |n| format!("{n}[{i}]"));
                flatten(Some(key), item, pairs);
            }
            return;
        }
        Value::Object(fields) => {
            for (field, item) in fields {
                let key = name
                    .as_ref()
                    .map_or_else(|| field.clone(), |n| format!("{n}[{field}]"));
                flatten(Some(key), item, pairs);
            }
            return;
        }
    };
    if let Some(name) = name {
        pairs.push((name, scalar));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Inner {
        title: String,
        note: Option<String>,
    }

    #[derive(Serialize)]
    struct Args {
        id: i64,
        done: bool,
        #[serde(flatten)]
        post: Inner,
        tags: Vec<String>,
        range: Range,
    }

    #[derive(Serialize)]
    struct Range {
        from: u8,
        to: u8,
    }

    #[test]
    fn arguments_are_sent_as_a_form_sends_them() {
        let mut sent = pairs(&Args {
            id: 7,
            done: true,
            post: Inner {
                title: "Tea & cake = 100%".into(),
                note: None,
            },
            tags: vec!["a b".into(), "c".into()],
            range: Range { from: 1, to: 2 },
        })
        .unwrap_or_default();
        sent.sort();
        let expected = [
            ("done", "true"),
            ("id", "7"),
            ("range[from]", "1"),
            ("range[to]", "2"),
            ("tags[0]", "a b"),
            ("tags[1]", "c"),
            ("title", "Tea & cake = 100%"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        assert_eq!(sent, expected);
    }
}
