//! Optimistic updates, the `useOptimistic` analogue: show the expected state at once while
//! the action is in flight; settle to the server's state when it answers; roll back, with the
//! error shown in the form, when it fails.
//!
//! ```
//! use formwork::{form::Fields, prelude::*, Live, Optimistic};
//!
//! #[formwork::action(access = Public, method = GET)]
//! pub async fn list_done() -> Result<Vec<bool>, ActionError> {
//!     Ok(vec![false])
//! }
//!
//! #[formwork::action(access = Public)]
//! pub async fn set_done(done: bool) -> Result<Vec<bool>, ActionError> {
//!     Ok(vec![done])
//! }
//!
//! /// The change a submission is expected to make, shown at once.
//! fn ticked(fields: &Fields, list: &mut Vec<bool>) {
//!     if let Some(done) = fields.get("done").and_then(|d| d.parse().ok()) {
//!         list.iter_mut().for_each(|item| *item = done);
//!     }
//! }
//!
//! #[island]
//! fn Checklist(initial: Vec<bool>) -> impl IntoView {
//!     let shown = Optimistic::new(Live::new::<ListDone>(initial, vec!["done".into()]));
//!     let state = FormState::<SetDone>::new().optimistic(shown, ticked);
//!     # let _ = state;
//!     view! { <p>{move || format!("{:?}", shown.get())}</p> }
//! }
//! # fn main() {}
//! ```
//!
//! Each submission adds its change on top of the last state the server sent. The action's
//! answer (the new state) replaces that state and drops the change in one step, so the page
//! never shows the old state in between (no flicker) and never shows a change twice (no
//! duplicates). A failure drops the change and fetches the server's state. Changes that
//! overlapped are followed by one fetch, so however their answers were ordered, the page
//! ends on the server's state.

use crate::live::Live;
use leptos::prelude::*;
use std::sync::Arc;

type Change<T> = Arc<dyn Fn(&mut T) + Send + Sync>;

/// A [`Live`] value as the page shows it: the server's last state with the changes still in
/// flight applied on top. Cheap to copy.
pub struct Optimistic<T> {
    base: Live<T>,
    changes: RwSignal<Vec<(u64, Change<T>)>>,
    /// The next change's number, and whether changes overlapped since the list was empty.
    counter: StoredValue<(u64, bool)>,
}

impl<T> Clone for Optimistic<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Optimistic<T> {}

/// One change in flight (see [`Optimistic::begin`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

impl<T> Optimistic<T>
where
    T: Clone + Send + Sync + 'static,
{
    /// Shows `base` as it is, with no change in flight.
    pub fn new(base: Live<T>) -> Self {
        Self {
            base,
            changes: RwSignal::new(Vec::new()),
            counter: StoredValue::new((0, false)),
        }
    }

    /// What to show: the server's last state with the changes in flight applied (tracked).
    pub fn get(&self) -> T {
        let mut value = self.base.get();
        self.changes
            .with(|changes| changes.iter().for_each(|(_, change)| change(&mut value)));
        value
    }

    /// Reads what to show without cloning it when no change is in flight (tracked).
    pub fn with<R>(&self, read: impl FnOnce(&T) -> R) -> R {
        if self.changes.with(Vec::is_empty) {
            self.base.signal().with(read)
        } else {
            read(&self.get())
        }
    }

    /// Shows `change` at once, until the action it stands for ends.
    pub fn begin(&self, change: impl Fn(&mut T) + Send + Sync + 'static) -> Ticket {
        let busy = self.changes.with_untracked(|c| !c.is_empty());
        let number = self
            .counter
            .try_update_value(|(next, overlapped)| {
                *next += 1;
                *overlapped |= busy;
                *next
            })
            .unwrap_or_default();
        self.base.hold();
        self.changes.update(|c| c.push((number, Arc::new(change))));
        Ticket(number)
    }

    /// The action succeeded and answered with the new state (`revalidation`: the id its
    /// response named, which then needs no fetch of its own).
    pub fn settle(&self, ticket: Ticket, state: T, revalidation: Option<&str>) {
        self.base.signal().set(state);
        self.end(ticket, revalidation, false);
    }

    /// The action failed: the change goes, and the server's state is fetched.
    pub fn fail(&self, ticket: Ticket) {
        self.end(ticket, None, true);
    }

    fn end(&self, ticket: Ticket, revalidation: Option<&str>, refetch: bool) {
        self.changes.update(|c| c.retain(|(n, _)| *n != ticket.0));
        let last = self.changes.with_untracked(Vec::is_empty);
        let overlapped = last
            && self
                .counter
                .try_update_value(|(_, overlapped)| std::mem::take(overlapped))
                .unwrap_or(false);
        self.base.release(revalidation, refetch || overlapped);
    }
}

/// Where a form's submission or an event handler's call shows its change at once: an
/// [`Optimistic`] value and the change its input (the form's fields, the call's arguments)
/// makes, behind one small interface, so a form or a handle that never calls `optimistic`
/// carries none of this code for its action's type (measured: about 1 KB brotli of WASM).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))] // only the browser sends
pub(crate) trait Shown<I, T>: Send + Sync {
    fn begin(&self, input: &I) -> Ticket;
    fn settle(&self, ticket: Ticket, value: T, revalidation: Option<&str>);
    fn fail(&self, ticket: Ticket);
}

/// A [`Shown`] as forms and handles keep it.
pub(crate) type ShownAt<I, T> = Arc<dyn Shown<I, T>>;

impl<I, T> Shown<I, T> for (Optimistic<T>, fn(&I, &mut T))
where
    I: Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    fn begin(&self, input: &I) -> Ticket {
        let (change, input) = (self.1, input.clone());
        self.0.begin(move |value| change(&input, value))
    }
    fn settle(&self, ticket: Ticket, value: T, revalidation: Option<&str>) {
        self.0.settle(ticket, value, revalidation);
    }
    fn fail(&self, ticket: Ticket) {
        self.0.fail(ticket);
    }
}

/// Ends a change shown at once with the action's outcome: the answer becomes the state (with
/// the id of what it revalidated, which then needs no fetch of its own), or the change goes.
#[cfg(feature = "hydrate")]
pub(crate) fn finish<I, T: Clone>(
    shown: Option<(ShownAt<I, T>, Ticket)>,
    outcome: &Result<T, crate::ActionError>,
    revalidated: Option<&(String, Vec<String>)>,
) {
    let Some((target, ticket)) = shown else {
        return;
    };
    match outcome {
        Ok(value) => target.settle(
            ticket,
            value.clone(),
            revalidated.map(|(id, _)| id.as_str()),
        ),
        Err(_) => target.fail(ticket),
    }
}

#[cfg(all(test, not(feature = "hydrate")))]
mod tests {
    use super::*;

    fn list(items: &[i32]) -> Vec<i32> {
        items.to_vec()
    }

    #[test]
    fn a_change_shows_at_once_and_settles_on_the_answer_without_showing_twice() {
        let owner = Owner::new();
        owner.with(|| {
            let shown = Optimistic::new(Live::fixed(list(&[1, 2])));
            let adding = shown.begin(|v: &mut Vec<i32>| v.push(3));
            assert_eq!(shown.get(), [1, 2, 3], "at once");
            // The server's answer holds the new item: it replaces the state and the change
            // goes in the same step, so it shows once.
            shown.settle(adding, list(&[1, 2, 3]), Some("r1"));
            assert_eq!(shown.get(), [1, 2, 3]);
            assert_eq!(shown.with(Vec::len), 3);
        });
    }

    #[test]
    fn a_failed_change_is_rolled_back_and_others_in_flight_stay() {
        let owner = Owner::new();
        owner.with(|| {
            let shown = Optimistic::new(Live::fixed(list(&[1])));
            let first = shown.begin(|v: &mut Vec<i32>| v.push(2));
            let second = shown.begin(|v: &mut Vec<i32>| v.retain(|&x| x != 1));
            assert_eq!(shown.get(), [2]);
            shown.fail(first);
            assert_eq!(
                shown.get(),
                Vec::<i32>::new(),
                "only the failed change went"
            );
            shown.settle(second, Vec::new(), None);
            assert_eq!(shown.get(), Vec::<i32>::new());
        });
    }

    #[test]
    fn changes_apply_in_order_over_the_latest_state() {
        let owner = Owner::new();
        owner.with(|| {
            let shown = Optimistic::new(Live::fixed(list(&[1])));
            let a = shown.begin(|v: &mut Vec<i32>| v.push(2));
            let _b = shown.begin(|v: &mut Vec<i32>| v.iter_mut().for_each(|x| *x *= 10));
            assert_eq!(shown.get(), [10, 20]);
            // A's answer arrives: B still shows on top of it.
            shown.settle(a, list(&[1, 2, 5]), None);
            assert_eq!(shown.get(), [10, 20, 50]);
        });
    }
}
