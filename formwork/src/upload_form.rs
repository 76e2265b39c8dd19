//! A form that uploads files to a multipart action, with and without JavaScript.
//!
//! Without JavaScript it is a plain `multipart/form-data` post: the pipeline keeps its text
//! fields and its outcome in the flash and answers `303` (files are never kept). With
//! JavaScript the form sends itself with `XMLHttpRequest`, the one browser API that reports an
//! upload's progress: [`UploadProgress`] shows the bytes sent out of the total, and while it
//! runs the [`UploadButton`] cancels it. Before a byte is sent, each chosen file's size is
//! checked ([`FileInput`]'s `max_bytes`, or the form's `check` in an island), so a file far
//! over the limit is refused at once instead of after its first megabytes; what a file is,
//! the action decides from its bytes. Outside an island the browser runtime
//! ([`crate::runtime`]) does all this and shows the page the upload comes back to; in an
//! island its WASM does.
//!
//! `fetch` cannot report upload progress, which is why no anchor framework shows it out of the
//! box.

use crate::{
    form::{current_page, form_children, mark_ready, once_token, Pending},
    messages::{say, text, Message},
    protocol::{ONCE_FIELD, RETURN_FIELD},
    ActionError, FormState,
};
use leptos::{html, prelude::*};
use serde::de::DeserializeOwned;
use server_fn::ServerFn;

/// Looks at one chosen file before it is sent: its field name and its size in bytes.
/// `Some(message)` refuses it, shown at the field.
pub type FileCheck = fn(field: &str, size: u64) -> Option<String>;

/// The upload in flight: bytes sent, bytes in all, and (in the browser) how to stop it.
#[derive(Clone, Copy)]
struct Transfer {
    sent: RwSignal<f64>,
    total: RwSignal<f64>,
    /// The request in flight. Browser-only: a value held this way may only be dropped on
    /// the thread that made it, which a server's renders do not promise.
    #[cfg(feature = "hydrate")]
    cancel: StoredValue<Option<wasm_bindgen::JsValue>, LocalStorage>,
}

impl Transfer {
    /// Stops the request in flight, if there is one.
    fn cancel(&self) {
        #[cfg(feature = "hydrate")]
        if let Some(request) = self.cancel.get_value() {
            browser::abort(&request);
        }
    }
}

/// A multipart form posting to the action behind `state` (see the module docs).
#[component]
pub fn UploadForm<A, C>(
    /// The state this form reports into.
    state: FormState<A>,
    /// Checks each chosen file before it is sent (in the browser only; the action checks
    /// again, and decides).
    #[prop(optional)]
    check: Option<FileCheck>,
    /// The `class` attribute of the `<form>` element.
    #[prop(optional)]
    class: &'static str,
    children: TypedChildren<C>,
) -> impl IntoView
where
    A: ServerFn<Error = ActionError> + 'static,
    A::Output: DeserializeOwned + Clone + Send + Sync + 'static,
    C: IntoView + 'static,
{
    let children = children.into_inner();
    let node = NodeRef::<html::Form>::new();
    let transfer = Transfer {
        sent: RwSignal::new(0.0),
        total: RwSignal::new(0.0),
        #[cfg(feature = "hydrate")]
        cancel: StoredValue::new_local(None),
    };
    provide_context(Pending(state.pending));
    provide_context(transfer);
    mark_ready(node);

    #[cfg(feature = "hydrate")]
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        browser::submit::<A>(event, state, transfer, check);
    };
    #[cfg(not(feature = "hydrate"))]
    let on_submit = move |_: leptos::ev::SubmitEvent| {
        let _ = check;
    };

    view! {
        <form
            node_ref=node
            action=A::PATH
            method="post"
            enctype="multipart/form-data"
            class=class
            data-fw-form="upload"
            aria-busy=move || state.pending.get().then_some("true")
            on:submit=on_submit
        >
            <input type="hidden" name=RETURN_FIELD value=current_page()/>
            <input type="hidden" name=ONCE_FIELD value=once_token()/>
            {form_children(children())}
        </form>
    }
}

/// The upload's progress while it runs (with JavaScript): a `<progress>` of the bytes sent
/// out of the total, and the same in words.
#[component]
pub fn UploadProgress() -> impl IntoView {
    let transfer = use_context::<Transfer>();
    let pending = use_context::<Pending>().map(|p| p.0);
    let running = move || pending.is_some_and(|p| p.get());
    let sent = move || transfer.map_or(0.0, |t| t.sent.get());
    let total = move || transfer.map_or(0.0, |t| t.total.get());
    view! {
        <div class="upload-progress" data-fw-progress hidden=move || !running()>
            <progress max=move || total().max(1.0) value=sent aria-label=text(Message::UploadProgress)></progress>
            <span class="upload-bytes" aria-live="polite">
                {move || {
                    say(
                        Message::UploadSent,
                        &[("sent", &megabytes(sent())), ("total", &megabytes(total()))],
                    )
                }}
            </span>
        </div>
    }
}

/// Bytes as "1.2 MB".
fn megabytes(bytes: f64) -> String {
    format!("{:.1} MB", bytes / (1024.0 * 1024.0))
}

/// The form's submit button. While an upload runs it becomes the way to cancel it.
#[component]
pub fn UploadButton(
    /// The label at rest.
    label: &'static str,
    /// The label while the upload runs ("Cancel upload").
    cancel_label: &'static str,
) -> impl IntoView {
    let pending = use_context::<Pending>().map(|p| p.0);
    let transfer = use_context::<Transfer>();
    let busy = move || pending.is_some_and(|p| p.get());
    let on_click = move |event: leptos::ev::MouseEvent| {
        if busy() {
            event.prevent_default();
            if let Some(transfer) = transfer {
                transfer.cancel();
            }
        }
    };
    view! {
        <button
            type=move || if busy() { "button" } else { "submit" }
            class=move || if busy() { "cancel" } else { "" }
            data-fw-cancel=cancel_label
            on:click=on_click
        >
            {move || if busy() { cancel_label } else { label }}
        </button>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    //! The browser side. `XMLHttpRequest`, files and progress events are reached through
    //! `Reflect` rather than one typed binding per method: every imported method costs each
    //! page's shared JavaScript glue (and main module) its shim, uploads or not; these
    //! generic calls cost nothing the page does not already carry.
    use super::{FileCheck, Transfer};
    use crate::{ActionError, FieldErrors, FormState};
    use js_sys::{Function, Promise, Reflect};
    use leptos::prelude::*;
    use serde::de::DeserializeOwned;
    use server_fn::ServerFn;
    use wasm_bindgen::{closure::Closure, JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    fn get(target: &JsValue, key: &str) -> JsValue {
        Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    }

    fn set(target: &JsValue, key: &str, value: &JsValue) {
        let _ = Reflect::set(target, &JsValue::from_str(key), value);
    }

    /// `target.method(...args)`. The arguments go as an array-like object, which
    /// `Reflect.apply` takes as well as an array.
    fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
        let function: Function = get(target, method).dyn_into()?;
        let list = js_sys::Object::new();
        for (index, arg) in args.iter().enumerate() {
            let _ = Reflect::set(&list, &JsValue::from(index as u32), arg);
        }
        set(&list, "length", &JsValue::from(args.len() as u32));
        Reflect::apply(&function, target, list.unchecked_ref())
    }

    fn number(target: &JsValue, key: &str) -> f64 {
        get(target, key).as_f64().unwrap_or_default()
    }

    pub(super) fn submit<A>(
        event: leptos::ev::SubmitEvent,
        state: FormState<A>,
        transfer: Transfer,
        check: Option<FileCheck>,
    ) where
        A: ServerFn<Error = ActionError> + 'static,
        A::Output: DeserializeOwned + Clone + Send + Sync + 'static,
    {
        event.prevent_default();
        if state.pending.get_untracked() {
            return;
        }
        let Some(form) = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
        else {
            return;
        };
        let Ok(data) = web_sys::FormData::new_with_form(&form) else {
            let _ = form.submit();
            return;
        };
        state.pending.set(true);
        transfer.sent.set(0.0);
        transfer.total.set(0.0);
        leptos::task::spawn_local(async move {
            if let Some(check) = check {
                let problems = check_files(&form, check);
                if !problems.is_empty() {
                    state.outcome.set(None);
                    state.local.set(problems);
                    state.pending.set(false);
                    return;
                }
            }
            let outcome = match send(A::PATH, &data, transfer).await {
                Ok(Sent::Answer { ok: true, text }) => {
                    serde_json::from_str::<A::Output>(&text).map_err(|_| ActionError::Unavailable)
                }
                Ok(Sent::Answer { ok: false, text }) => {
                    Err(serde_json::from_str::<ActionError>(&text)
                        .unwrap_or(ActionError::Unavailable))
                }
                Ok(Sent::Cancelled) => Err(ActionError::Conflict {
                    message: crate::messages::text(crate::messages::Message::UploadCancelled)
                        .into_owned(),
                }),
                Err(_) => Err(ActionError::Unavailable),
            };
            let succeeded = outcome.is_ok();
            transfer.cancel.set_value(None);
            state.local.set(FieldErrors::new());
            state.outcome.set(Some(outcome));
            state.pending.set(false);
            if succeeded {
                form.reset();
            }
        });
    }

    /// Each chosen file's problems, by field, as `check` sees them.
    fn check_files(form: &web_sys::HtmlFormElement, check: FileCheck) -> FieldErrors {
        let mut problems = FieldErrors::new();
        let elements = get(form, "elements");
        for index in 0..number(&elements, "length") as u32 {
            let input = Reflect::get(&elements, &JsValue::from(index)).unwrap_or_default();
            let Some(name) = get(&input, "name").as_string() else {
                continue;
            };
            let files = get(&input, "files");
            if files.is_undefined() || files.is_null() {
                continue; // not a file input
            }
            let file = Reflect::get(&files, &JsValue::from(0)).unwrap_or_default();
            if file.is_undefined() {
                continue; // no file chosen
            }
            if let Some(message) = check(&name, number(&file, "size") as u64) {
                problems.insert(name, vec![message]);
            }
        }
        problems
    }

    enum Sent {
        Answer { ok: bool, text: String },
        Cancelled,
    }

    /// Posts `data` to `path` with `XMLHttpRequest`, reporting progress into `transfer`.
    async fn send(
        path: &str,
        data: &web_sys::FormData,
        transfer: Transfer,
    ) -> Result<Sent, JsValue> {
        let class: Function = get(&js_sys::global(), "XMLHttpRequest").dyn_into()?;
        let xhr = Reflect::construct(&class, js_sys::Object::new().unchecked_ref())?;
        // Its default `Accept: */*` asks for data, as a script call: the pipeline answers
        // with the action's value or typed error, not a redirect.
        call(&xhr, "open", &["POST".into(), path.into()])?;
        let progress = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            let event = JsValue::from(event);
            if get(&event, "lengthComputable").is_truthy() {
                transfer.total.set(number(&event, "total"));
            }
            transfer.sent.set(number(&event, "loaded"));
        });
        set(&get(&xhr, "upload"), "onprogress", progress.as_ref());
        let finished = Promise::new(&mut |resolve, reject| {
            set(&xhr, "onload", &resolve);
            set(&xhr, "onerror", &reject);
            set(&xhr, "onabort", &resolve);
        });
        transfer.cancel.set_value(Some(xhr.clone()));
        call(&xhr, "send", &[data.into()])?;
        let outcome = JsFuture::from(finished).await;
        drop(progress);
        outcome?;
        // An aborted request ends with status 0 and no answer.
        let status = number(&xhr, "status") as u16;
        if status == 0 {
            return Ok(Sent::Cancelled);
        }
        Ok(Sent::Answer {
            ok: (200..300).contains(&status),
            text: get(&xhr, "responseText").as_string().unwrap_or_default(),
        })
    }

    /// Stops the request (`XMLHttpRequest.abort()`).
    pub(super) fn abort(xhr: &JsValue) {
        let _ = call(xhr, "abort", &[]);
    }
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
            id=id
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
