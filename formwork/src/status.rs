//! [`use_form_status`]: the state of the form a component stands in, for any component inside
//! it (React's `useFormStatus`).
//!
//! [`SubmitButton`](crate::SubmitButton) is one such component; with this an app builds its own:
//! a spinner, a line that says what is being sent, inputs disabled while the form is on its
//! way.
//!
//! ```
//! use formwork::prelude::*;
//! use formwork::use_form_status;
//!
//! /// "Sending as ada@example.org…" while the form is on its way.
//! #[component]
//! fn SendingAs() -> impl IntoView {
//!     let status = use_form_status();
//!     view! {
//!         <p class="sending" role="status" {..status.shown_while_pending()}>
//!             "Sending as " {status.sent("email")} "…"
//!         </p>
//!     }
//! }
//! ```
//!
//! The same component works wherever its form stands:
//! - **Outside an island** the page is server-rendered and the browser runtime sends the form.
//!   The attributes these methods render tell the runtime what to do while it is sending:
//!   show or hide the element, disable it, or fill in the value being sent.
//! - **Inside a hydrated island** the status is reactive: [`FormStatus::pending`] and
//!   [`FormStatus::data`] are tracked, and the same attributes follow them.
//!
//! Without JavaScript a form is never pending: the browser posts it and shows the next page,
//! and these elements stay as they are at rest.

use crate::form::Fields;
use leptos::{
    attr::{custom::custom_attribute, Attribute},
    prelude::*,
};

/// The enclosing form, as [`crate::ActionForm`] and [`crate::UploadForm`] provide it to their
/// children.
#[derive(Clone, Copy)]
pub(crate) struct FormContext {
    /// Whether a submission is in flight; `None` for a form that never changes (a final
    /// render on the server: see [`crate::FormState::restore`]).
    pub(crate) pending: Option<RwSignal<bool>>,
    /// The fields being sent, while one is: an island's submit sets them, so they exist only
    /// in the browser (a server render of a form makes no node for them).
    pub(crate) data: Option<RwSignal<Option<Fields>>>,
    /// The URL the form posts to.
    pub(crate) action: &'static str,
    /// Where the form's inputs note their ids for its error summary; `None` when the form has
    /// no summary to link from (a final render).
    pub(crate) ids: Option<crate::form::FieldIds>,
}

impl FormContext {
    /// The context of a form whose state may change (`pending`), or of a final one (`None`):
    /// provided for its children.
    pub(crate) fn provide(pending: Option<RwSignal<bool>>, action: &'static str) -> Self {
        let context = Self {
            pending,
            data: cfg!(feature = "hydrate").then(|| RwSignal::new(None)),
            action,
            ids: pending.map(|_| crate::form::FieldIds::new()),
        };
        provide_context(context);
        context
    }
}

/// The status of the form a component is rendered in (see the [module docs](self)).
#[derive(Clone, Copy)]
pub struct FormStatus {
    form: Option<FormContext>,
}

/// The status of the enclosing [`crate::ActionForm`] or [`crate::UploadForm`]: whether it is
/// being sent, what, and to which action. Outside a form it is never pending.
pub fn use_form_status() -> FormStatus {
    FormStatus {
        form: use_context::<FormContext>(),
    }
}

/// What the browser runtime does with an element while its form is being sent
/// (`data-fw-sending="field"`, on the `<span>` of [`FormStatus::sent`], names the field whose
/// value it writes in).
const STATUS_ATTRIBUTE: &str = "data-fw-status";

impl FormStatus {
    /// Whether the form is being sent (tracked). Always `false` on the server, outside a form
    /// and without JavaScript; outside an island the runtime shows it through the attributes
    /// below instead.
    pub fn pending(self) -> bool {
        self.form
            .and_then(|form| form.pending)
            .is_some_and(|pending| pending.get())
    }

    /// The URL of the action the form posts to (`/api/send_message`), or `None` outside a
    /// form.
    pub fn action(self) -> Option<&'static str> {
        self.form.map(|form| form.action)
    }

    /// The fields being sent, by name, while the form is (tracked; in an island).
    pub fn data(self) -> Option<Fields> {
        if !self.pending() {
            return None;
        }
        self.form?.data?.get()
    }

    /// The value of one field being sent, while the form is (tracked; in an island).
    pub fn value(self, name: &str) -> Option<String> {
        if !self.pending() {
            return None;
        }
        self.form?
            .data?
            .with(|data| data.as_ref()?.get(name).cloned())
    }

    /// Attributes for an element shown only while the form is being sent: it is `hidden` at
    /// rest. Spread them onto the element: `<p {..status.shown_while_pending()}>`.
    pub fn shown_while_pending(self) -> impl Attribute {
        (
            custom_attribute(STATUS_ATTRIBUTE, "pending"),
            leptos::attr::hidden(move || !self.pending()),
        )
    }

    /// Attributes for an element hidden while the form is being sent (a hint that makes no
    /// sense once it is on its way).
    pub fn hidden_while_pending(self) -> impl Attribute {
        (
            custom_attribute(STATUS_ATTRIBUTE, "idle"),
            leptos::attr::hidden(move || self.pending()),
        )
    }

    /// Attributes for a control (a `<fieldset>`, an input, a button) disabled while the form
    /// is being sent, so nothing is changed that the submission would not carry.
    pub fn disabled_while_pending(self) -> impl Attribute {
        (
            custom_attribute(STATUS_ATTRIBUTE, "disabled"),
            leptos::attr::disabled(move || self.pending()),
        )
    }

    /// Attributes for an element only a browser without JavaScript needs: the Save button of
    /// a form that sends itself ([`ActionForm`](crate::ActionForm)'s `submit_on_change`). It
    /// is hidden once the browser runtime drives the form (in an island, once hydrated).
    pub fn hidden_with_js(self) -> impl Attribute {
        let hydrated = RwSignal::new(false);
        Effect::new(move |_| hydrated.set(true));
        (
            custom_attribute(STATUS_ATTRIBUTE, "no-js"),
            leptos::attr::hidden(move || hydrated.get()),
        )
    }

    /// The value of field `name` being sent, as text that follows the form (empty at rest):
    /// "Sending as {email}…". A plain `<span>`: give the line around it `role="status"` if it
    /// should be announced.
    pub fn sent(self, name: &'static str) -> impl IntoView {
        view! {
            <span data-fw-sending=name>{move || self.value(name)}</span>
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component as an app would write it, with every helper.
    #[component]
    fn Status() -> impl IntoView {
        let status = use_form_status();
        view! {
            <p class="sending" {..status.shown_while_pending()}>"Sending as " {status.sent("email")}</p>
            <p class="hint" {..status.hidden_while_pending()}>"We answer within a day."</p>
            <fieldset {..status.disabled_while_pending()}></fieldset>
            <div class="save" {..status.hidden_with_js()}></div>
            <span class="action">{status.action()}</span>
        }
    }

    fn render(pending: Option<bool>) -> String {
        let owner = Owner::new();
        owner.with(|| {
            if let Some(pending) = pending {
                // As an island's form provides it, with the fields it is sending.
                provide_context(FormContext {
                    pending: Some(RwSignal::new(pending)),
                    data: Some(RwSignal::new(Some(Fields::from([(
                        "email".to_owned(),
                        "<ada>@example.org".to_owned(),
                    )])))),
                    action: "/api/send",
                    ids: None,
                });
            }
            view! { <Status/> }.to_html()
        })
    }

    /// The opening tag of the first element whose tag holds `marker`.
    fn tag<'a>(html: &'a str, marker: &str) -> &'a str {
        let at = html
            .find(marker)
            .unwrap_or_else(|| panic!("no {marker}: {html}"));
        let open = html[..at].rfind('<').unwrap_or(0);
        let close = at + html[at..].find('>').unwrap_or(0);
        &html[open..=close]
    }

    /// Whether a tag carries the boolean attribute `name` (`hidden`, `disabled`).
    fn has(tag: &str, name: &str) -> bool {
        tag.trim_end_matches('>')
            .split_whitespace()
            .any(|part| part == name)
    }

    #[test]
    fn at_rest_the_status_says_so_and_carries_what_the_runtime_needs() {
        let html = render(Some(false));
        let sending = tag(&html, r#"class="sending""#);
        assert!(
            sending.contains(r#"data-fw-status="pending""#) && has(sending, "hidden"),
            "{html}"
        );
        let value = tag(&html, "data-fw-sending");
        assert!(
            value.contains(r#"<span data-fw-sending="email">"#),
            "{html}"
        );
        assert!(
            !html.contains("@example.org"),
            "nothing is being sent: {html}"
        );
        let hint = tag(&html, r#"class="hint""#);
        assert!(
            hint.contains(r#"data-fw-status="idle""#) && !has(hint, "hidden"),
            "{html}"
        );
        let fieldset = tag(&html, "<fieldset");
        assert!(
            fieldset.contains(r#"data-fw-status="disabled""#) && !has(fieldset, "disabled"),
            "{html}"
        );
        assert!(
            html.contains(r#"<span class="action">/api/send</span>"#),
            "{html}"
        );
        // The server's markup is for a browser without JavaScript: the runtime hides it.
        let save = tag(&html, r#"class="save""#);
        assert!(
            save.contains(r#"data-fw-status="no-js""#) && !has(save, "hidden"),
            "{html}"
        );
    }

    #[test]
    fn while_pending_it_shows_what_is_sent_escaped() {
        let html = render(Some(true));
        assert!(!has(tag(&html, r#"class="sending""#), "hidden"), "{html}");
        assert!(html.contains("&lt;ada&gt;@example.org</span>"), "{html}");
        assert!(has(tag(&html, r#"class="hint""#), "hidden"), "{html}");
        assert!(has(tag(&html, "<fieldset"), "disabled"), "{html}");
    }

    #[test]
    fn outside_a_form_nothing_is_pending() {
        let html = render(None);
        assert!(has(tag(&html, r#"class="sending""#), "hidden"), "{html}");
        assert!(!html.contains("/api/"), "{html}");
        let owner = Owner::new();
        owner.with(|| {
            let status = use_form_status();
            assert!(!status.pending());
            assert_eq!(status.action(), None);
            assert_eq!(status.data(), None);
        });
    }
}
