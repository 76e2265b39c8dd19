//! A form that uploads files to a multipart action, with and without JavaScript.
//!
//! Without JavaScript it is a plain `multipart/form-data` post: the pipeline keeps its text
//! fields and its outcome in the flash and answers `303` (files are never kept). With
//! JavaScript formwork's browser runtime ([`crate::runtime`]) sends it with
//! `XMLHttpRequest`, the one browser API that reports an upload's progress, wherever the form
//! stands (in an island too: an upload holds no island state). [`UploadProgress`] shows the
//! bytes sent out of the total, and while the upload runs the [`UploadButton`] cancels it.
//! Before a byte is sent, each chosen file's size is checked against [`FileInput`]'s
//! `max_bytes`, so a file far over the limit is refused at once instead of after its first
//! megabytes; what a file is, the action decides from its bytes. The runtime then shows the
//! page the upload comes back to, as for any form.
//!
//! `fetch` cannot report upload progress, which is why no anchor framework shows it out of the
//! box.

use crate::{
    form::{form_children, hidden_fields, summary},
    messages::{text, Message},
    protocol::{ONCE_FIELD, RETURN_FIELD},
    ActionError, FormState,
};
use leptos::prelude::*;
use serde::de::DeserializeOwned;
use server_fn::ServerFn;

/// A multipart form posting to the action behind `state` (see the module docs).
#[component]
pub fn UploadForm<A, C>(
    /// The state of the action the form posts to (its outcome is rendered from it).
    state: FormState<A>,
    /// The `class` attribute of the `<form>` element.
    #[prop(optional)]
    class: &'static str,
    children: TypedChildren<C>,
) -> impl IntoView
where
    A: ServerFn<Error = ActionError> + 'static,
    A::Output: Clone + Send + Sync + DeserializeOwned + 'static,
    C: IntoView + 'static,
{
    let children = children.into_inner();
    let status = crate::status::FormContext::provide(state.live.map(|l| l.pending), A::PATH);
    // The children note their inputs' ids before the summary above them renders.
    let content = form_children(children());
    let (return_to, once) = hidden_fields();
    view! {
        <form
            action=A::PATH
            method="post"
            enctype="multipart/form-data"
            class=class
            data-fw-form="upload"
        >
            <input type="hidden" name=RETURN_FIELD value=return_to/>
            <input type="hidden" name=ONCE_FIELD value=once/>
            {summary(state, status.ids, None)}
            {content}
        </form>
    }
}

/// Where an upload's progress shows while it runs (with JavaScript): a `<progress>` of the
/// bytes sent out of the total, and the same in words. Hidden until the runtime fills it.
#[component]
pub fn UploadProgress() -> impl IntoView {
    view! {
        <div class="upload-progress" data-fw-progress hidden>
            <progress max="1" value="0" aria-label=text(Message::UploadProgress)></progress>
            <span class="upload-bytes" aria-live="polite"></span>
        </div>
    }
}

/// The form's submit button. While an upload runs (with JavaScript) it says `cancel_label`
/// and cancels it.
#[component]
pub fn UploadButton(
    /// The label at rest.
    label: &'static str,
    /// The label while the upload runs ("Cancel upload").
    cancel_label: &'static str,
) -> impl IntoView {
    view! { <button type="submit" data-fw-cancel=cancel_label>{label}</button> }
}

/// A labelled file input bound to a [`crate::Field`]: its messages (a wrong type, a file too
/// large) stand next to it, from the browser's check or from the action.
#[component]
pub fn FileInput(
    /// The form field this input is for: its name and messages.
    field: crate::Field,
    /// The element id (the label points at it).
    id: &'static str,
    /// The text of the input's `<label>`.
    label: &'static str,
    /// What the file chooser offers (`image/jpeg,image/png`): a convenience for the user,
    /// never a check.
    #[prop(optional)]
    accept: Option<&'static str>,
    /// The most bytes a chosen file may have: with JavaScript a larger one is refused before
    /// a byte is sent, in the words of the server's 413 (the action holds its own limit).
    #[prop(optional)]
    max_bytes: Option<u64>,
) -> impl IntoView {
    let too_large =
        max_bytes.map(|limit_bytes| ActionError::PayloadTooLarge { limit_bytes }.to_string());
    view! {
        <label for=id>{label}</label>
        <input
            id=field.anchor(id)
            name=field.name()
            type="file"
            accept=accept
            data-fw-max-bytes=max_bytes
            data-fw-too-large=too_large
            required=true
            aria-invalid=field.invalid()
            aria-describedby=field.described_by()
        />
        {field.messages()}
    }
}
