//! `<ActionForm>`: an HTML form bound to one action, enhanced wherever it stands.
//!
//! Without JavaScript it is a plain `<form method="post">` to the action's URL, and the
//! server's pipeline answers with a redirect back to the page, which renders the outcome.
//!
//! With JavaScript, outside an island, the browser runtime ([`crate::runtime`]) sends it: the
//! schema's checks first (from the rule each field carries), a pending state, no reload, and
//! the page it comes back to shown in place (the islands, other forms' input, the focus and the
//! scroll kept), so the outcome is the server's own markup. Inside a hydrated island the island's WASM
//! submits it instead, for what needs its own state (an optimistic list): the outcome in
//! [`FormState`], the form cleared only on success, the page's regions refreshed.
//!
//! The island's side is deliberately small: the browser's own `FormData` is the encoder, and
//! no server_fn client code is linked, so a form costs an island only a few kilobytes of WASM.

use crate::{
    action::Action,
    flash::FormSnapshot,
    optimistic::{Optimistic, ShownAt},
    protocol::{ITEM_FIELD, ONCE_FIELD, RETURN_FIELD, SECRET_FIELD},
    schema::{Kind, Rule, Schema},
    ActionError, FieldErrors,
};
use leptos::{html, prelude::*};
use serde::de::DeserializeOwned;
use server_fn::ServerFn;
use std::{collections::BTreeMap, marker::PhantomData, sync::Arc};

/// The outcome of the last submission: the action's value, or why it failed.
pub type Outcome<T> = Result<T, ActionError>;

/// The state of one form: whether a submission is in flight, how the last one ended, and the
/// input it was made with.
///
/// `A` is the server function's argument type (`CreatePost` for `create_post`).
pub struct FormState<A: ServerFn> {
    /// What can change while the page is open. `None` for a form that never will: one
    /// rendered on the server outside an island (no code hydrates it; the browser runtime
    /// drives it) with no submission to report. Such a form, a delete button on every row of
    /// a list, then costs no reactive node at all (see [`FormState::restore`]).
    pub(crate) live: Option<Live<A::Output>>,
    /// The input a plain post came back with, or the form's [`defaults`](Self::defaults); none
    /// for a fresh form (most of a page's forms), which then costs no reactive node for it.
    pub(crate) inputs: Option<StoredValue<BTreeMap<String, String>>>,
    /// The input that tells this form apart from others to the same action on the page.
    item: Option<&'static str>,
    /// What a submission shows at once, while in flight (see [`FormState::optimistic`]).
    optimism: Option<StoredValue<ShownAt<Fields, A::Output>>>,
    action: PhantomData<fn() -> A>,
}

/// A submitted form's fields, by name (the last value of a repeated name).
pub type Fields = BTreeMap<String, String>;

/// The reactive part of a [`FormState`] whose action answers with `T`.
pub(crate) struct Live<T> {
    pub(crate) pending: RwSignal<bool>,
    pub(crate) outcome: RwSignal<Option<Outcome<T>>>,
    /// Messages the browser found itself, by field; they stand in for the server's until
    /// the next submission (an empty list means "checked, and now fine").
    pub(crate) local: RwSignal<FieldErrors>,
}

impl<T> Clone for Live<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Live<T> {}

impl<A: ServerFn> Clone for FormState<A> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A: ServerFn> Copy for FormState<A> {}

impl<A> FormState<A>
where
    A: Action + ServerFn<Error = ActionError>,
    A::Output: Clone + Send + Sync + DeserializeOwned + 'static,
{
    /// The state for a form outside an island. On the server it starts from the flash of a
    /// plain form post to this action, if the request brought one.
    pub fn new() -> Self {
        Self::restore(snapshot::<A>())
    }

    /// The state for one of several forms to the same action on one page (a delete button
    /// on every row): a plain post's outcome, success or failure, comes back only to the form
    /// whose `key` field was submitted with `value`.
    pub fn for_item(key: &'static str, value: &str) -> Self {
        Self::restore_item(snapshot::<A>(), key, value)
    }

    /// [`FormState::for_item`] from a snapshot: the one an island's page passed in as a
    /// prop, or one a component read itself with [`snapshot`] (to decide first whether it
    /// has anything to show).
    pub fn restore_item(snapshot: FormSnapshot<A::Output>, key: &'static str, value: &str) -> Self {
        let state = if snapshot.inputs.get(key).map(String::as_str) == Some(value) {
            Self::restore(snapshot)
        } else {
            Self::restore(FormSnapshot::default())
        };
        Self {
            item: Some(key),
            ..state
        }
    }

    /// The state for a form inside an island, from the snapshot its page passed in as a prop
    /// (see [`snapshot`]), so server and browser render the same.
    ///
    /// Rendered on the server outside an island, a form with no outcome to show is final:
    /// it gets no signals, and [`ActionForm`] renders it without any reactive node
    /// (measured on `/posts` signed in, with twenty delete buttons: a fifth less CPU per
    /// request).
    pub fn restore(snapshot: FormSnapshot<A::Output>) -> Self {
        let live = (snapshot.outcome.is_some() || !final_render()).then(|| Live {
            pending: RwSignal::new(false),
            outcome: RwSignal::new(snapshot.outcome),
            local: RwSignal::new(FieldErrors::new()),
        });
        Self {
            live,
            inputs: (!snapshot.inputs.is_empty()).then(|| StoredValue::new(snapshot.inputs)),
            item: None,
            optimism: None,
            action: PhantomData,
        }
    }

    /// With JavaScript, shows `change` (of the submitted fields) in `target` at once, while
    /// the submission is in flight. The action's answer is the new state: on success the page
    /// settles on it in the same round trip; on failure the change is rolled back, the error
    /// shows in the form as usual, and the server's state is fetched.
    pub fn optimistic(
        mut self,
        target: Optimistic<A::Output>,
        change: fn(&Fields, &mut A::Output),
    ) -> Self {
        let shown: ShownAt<Fields, A::Output> = Arc::new((target, change));
        self.optimism = Some(StoredValue::new(shown));
        self
    }

    /// Values the form starts with when no submission came back (an edit form's current
    /// record). After a failed plain post, the user's own input wins.
    pub fn defaults<K: Into<String>, V: Into<String>>(
        mut self,
        values: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        if self.inputs.is_none() {
            let values = values.into_iter().map(|(k, v)| (k.into(), v.into()));
            self.inputs = Some(StoredValue::new(values.collect()));
        }
        self
    }

    /// Whether a submission is in flight (always `false` without JavaScript).
    pub fn pending(&self) -> Signal<bool> {
        match self.live {
            Some(live) => live.pending.into(),
            None => Signal::stored(false),
        }
    }

    /// How the last submission ended, if there was one.
    pub fn outcome(&self) -> Signal<Option<Outcome<A::Output>>> {
        match self.live {
            Some(live) => live.outcome.into(),
            None => Signal::stored(None),
        }
    }

    /// Reads the last outcome (tracked); `None` for a final form.
    fn with_outcome<T>(
        live: Option<Live<A::Output>>,
        read: impl FnOnce(&Option<Outcome<A::Output>>) -> T,
    ) -> T {
        match live {
            Some(live) => live.outcome.with(read),
            None => read(&None),
        }
    }

    /// Renders `view` with the last submission's value while it stands, and nothing
    /// otherwise (tracked): a form's success message. Lighter than [`FormState::value`]: it
    /// reads the state directly, so no derived signal of the value's type is built.
    pub fn success<V>(
        &self,
        view: impl Fn(A::Output) -> V + Send + Sync + 'static,
    ) -> impl Fn() -> Option<V> + Send + Sync + 'static {
        let live = self.live;
        move || {
            Self::with_outcome(live, |o| match o {
                Some(Ok(value)) => Some(view(value.clone())),
                _ => None,
            })
        }
    }

    /// The last submission's value, if it succeeded.
    pub fn value(&self) -> Signal<Option<A::Output>> {
        let live = self.live;
        Signal::derive(move || {
            Self::with_outcome(live, |o| o.as_ref().and_then(|o| o.as_ref().ok().cloned()))
        })
    }

    /// The last submission's error, if it failed.
    pub fn error(&self) -> Signal<Option<ActionError>> {
        let live = self.live;
        Signal::derive(move || {
            Self::with_outcome(live, |o| o.as_ref().and_then(|o| o.as_ref().err().cloned()))
        })
    }

    /// The messages for one field: the browser's own check if it made one since the last
    /// submission, else the last submission's (empty when there are none).
    pub fn field_errors(&self, field: &'static str) -> Signal<Vec<String>> {
        let Some(live) = self.live else {
            return Signal::stored(Vec::new());
        };
        Signal::derive(move || {
            live.local
                .with(|l| l.get(field).cloned())
                .unwrap_or_else(|| {
                    live.outcome.with(|o| match o {
                        Some(Err(e)) => e.field_messages(field).to_vec(),
                        _ => Vec::new(),
                    })
                })
        })
    }

    /// Whether the browser's check found a problem that is still there.
    pub fn locally_invalid(&self) -> Signal<bool> {
        match self.live {
            Some(live) => Signal::derive(move || local_problems(live.local)),
            None => Signal::stored(false),
        }
    }

    /// The form's fields, one typed handle each (`state.fields().title`): the fields of the
    /// action's schema, with their rules, kept input and messages.
    pub fn fields(&self) -> <A::Schema as Schema>::Fields {
        let state = *self;
        <A::Schema as Schema>::fields(move |name| state.field(name))
    }

    /// One field by its name: for a field outside the action's schema (an upload's file),
    /// where [`FormState::fields`] has no handle. A name the schema does not know gets no
    /// rule.
    pub fn field(&self, name: &'static str) -> Field {
        Field {
            name,
            rule: crate::schema::rule_of(<A::Schema as Schema>::FIELDS, name),
            errors: self.field_errors(name),
            inputs: self.inputs,
        }
    }
}

impl<A> Default for FormState<A>
where
    A: Action + ServerFn<Error = ActionError>,
    A::Output: Clone + Send + Sync + DeserializeOwned + 'static,
{
    fn default() -> Self {
        Self::new()
    }
}

/// One field of a form: its messages from the last submission, and the attributes that tie
/// them to the input for assistive technology (`aria-invalid`, `aria-describedby`).
#[derive(Clone, Copy)]
pub struct Field {
    name: &'static str,
    rule: Option<Rule>,
    errors: Signal<Vec<String>>,
    inputs: Option<StoredValue<BTreeMap<String, String>>>,
}

impl Field {
    /// The field's name in the form.
    pub fn name(self) -> &'static str {
        self.name
    }

    /// The rule from the form's schema, if it has one for this field.
    pub fn rule(self) -> Option<Rule> {
        self.rule
    }

    /// The field's label: its rule's, or its name when it has no rule.
    pub fn label(self) -> &'static str {
        self.rule.map_or(self.name, |r| r.label)
    }

    /// For `required`.
    pub fn required(self) -> bool {
        self.rule.is_some_and(|r| r.required)
    }

    /// For `minlength` (absent when `required` already says it, and for what is not text).
    pub fn minlength(self) -> Option<usize> {
        self.rule
            .filter(Rule::is_text)
            .map(|r| r.min_chars)
            .filter(|min| *min > 1)
    }

    /// For `maxlength` (text only).
    pub fn maxlength(self) -> Option<usize> {
        self.rule.filter(Rule::is_text).map(|r| r.max_chars)
    }

    /// For a number's `min`.
    pub fn min(self) -> Option<f64> {
        self.rule.and_then(|r| r.range).map(|(min, _)| min)
    }

    /// For a number's `max`.
    pub fn max(self) -> Option<f64> {
        self.rule.and_then(|r| r.range).map(|(_, max)| max)
    }

    /// For a number's `step` (`1` for a whole number, `0.01` for two places).
    pub fn step(self) -> Option<String> {
        self.rule.and_then(|r| r.step())
    }

    /// For an `<input>`'s `type`.
    pub fn input_type(self) -> &'static str {
        self.rule.map_or("text", |r| r.input_type())
    }

    /// For the browser runtime's check before sending (`data-fw-rule`): the rule as
    /// `kind required min max` (characters for text, values for numbers, `-` for none),
    /// then a decimal's places, or a choice's values joined by `|`.
    pub fn rule_spec(self) -> Option<String> {
        self.rule.map(|rule| {
            let required = u8::from(rule.required);
            let kind = rule.kind_name();
            match rule.kind {
                Kind::Integer | Kind::Decimal => {
                    let bound =
                        |b: Option<f64>| b.map_or_else(|| "-".to_owned(), |b| b.to_string());
                    format!(
                        "{kind} {required} {} {} {}",
                        bound(rule.range.map(|r| r.0)),
                        bound(rule.range.map(|r| r.1)),
                        rule.places
                    )
                }
                Kind::Choice => format!("{kind} {required} {}", rule.choices.join("|")),
                Kind::Checkbox => format!("{kind} {required}"),
                Kind::Text | Kind::Email | Kind::Password => {
                    format!("{kind} {required} {} {}", rule.min_chars, rule.max_chars)
                }
            }
        })
    }

    /// For `data-fw-same-as`: the field this one must repeat.
    pub fn same_as(self) -> Option<&'static str> {
        self.rule.and_then(|rule| rule.same_as)
    }

    /// For `data-fw-label`: the label the rule's messages name, when the field has a rule.
    pub fn rule_label(self) -> Option<&'static str> {
        self.rule.map(|rule| rule.label)
    }

    /// What the user had typed here when a plain form post came back.
    pub fn value(self) -> Option<String> {
        self.inputs
            .and_then(|inputs| inputs.with_value(|inputs| inputs.get(self.name).cloned()))
    }

    /// For `aria-invalid`: `"true"` while the field has messages.
    pub fn invalid(self) -> impl Fn() -> Option<&'static str> + Copy {
        move || self.errors.with(|e| !e.is_empty()).then_some("true")
    }

    /// For `aria-describedby`: the id of the messages while there are any.
    pub fn described_by(self) -> impl Fn() -> Option<String> + Copy {
        move || {
            self.errors
                .with(|e| !e.is_empty())
                .then(|| format!("{}-error", self.name))
        }
    }

    /// The id of this field's input, noted for the form's error summary, which links each
    /// problem to its field: for an input of your own markup (`id=field.anchor("title")`).
    /// [`TextInput`], [`TextArea`] and [`crate::FileInput`] note theirs themselves.
    pub fn anchor(self, id: impl Into<String>) -> String {
        let id = id.into();
        if let Some(ids) = use_context::<crate::status::FormContext>().and_then(|form| form.ids) {
            ids.0.update_value(|ids| ids.push((self.name, id.clone())));
        }
        id
    }

    /// The messages, rendered where the field wants them (id `<name>-error`).
    pub fn messages(self) -> impl IntoView {
        move || {
            let text = self.errors.get().join(" ");
            (!text.is_empty()).then(|| {
                view! { <p class="field-error" id=format!("{}-error", self.name)>{text}</p> }
            })
        }
    }
}

/// A labelled single-line input bound to a [`Field`]: the kept input as its value, its
/// messages below it, and the aria attributes that tie them together.
///
/// Its constraints (`type`, `required`, `minlength`, `maxlength`) come from the field's rule in
/// the form's schema; a password's value is never put back.
#[component]
pub fn TextInput(
    /// The form field this input is for: its name, rule, kept input and messages.
    field: Field,
    /// The element id (the label points at it).
    id: &'static str,
    /// The text of the input's `<label>`: the label of the field's rule when not given.
    #[prop(optional)]
    label: Option<&'static str>,
    /// The input's `autocomplete` attribute (`"email"`, `"current-password"`); none when
    /// not given.
    #[prop(optional)]
    autocomplete: Option<&'static str>,
) -> impl IntoView {
    let secret = field.rule().is_some_and(|rule| rule.kind == Kind::Password);
    let label = label.unwrap_or_else(|| field.label());
    view! {
        <label for=id>{label}</label>
        <input
            id=field.anchor(id)
            name=field.name
            type=field.input_type()
            required=field.required()
            minlength=field.minlength()
            maxlength=field.maxlength()
            min=field.min()
            max=field.max()
            step=field.step()
            autocomplete=autocomplete
            value=(!secret).then(|| field.value()).flatten()
            aria-invalid=field.invalid()
            aria-describedby=field.described_by()
            data-fw-rule=field.rule_spec()
            data-fw-label=field.rule_label()
            data-fw-same-as=field.same_as()
        />
        {field.messages()}
    }
}

/// A labelled checkbox bound to a [`Field`] whose rule is [`Rule::checkbox`]: ticked it sends
/// `on`, unticked nothing (read as `false`). A required one must be ticked (`required`).
#[component]
pub fn Checkbox(
    /// The form field this box is for.
    field: Field,
    /// The element id (the label points at it).
    id: &'static str,
    /// The label's text: the rule's label when not given.
    #[prop(optional)]
    label: Option<&'static str>,
    /// Ticked when the form first shows (an edit form's current value).
    #[prop(optional)]
    checked: bool,
) -> impl IntoView {
    let label = label.unwrap_or_else(|| field.label());
    // After a plain post came back, what the user had ticked.
    let checked = field
        .value()
        .map_or(checked, |value| value == "on" || value == "true");
    view! {
        <label class="choice" for=id>
            <input
                id=field.anchor(id)
                type="checkbox"
                name=field.name
                checked=checked
                required=field.required()
                aria-invalid=field.invalid()
                aria-describedby=field.described_by()
                data-fw-rule=field.rule_spec()
                data-fw-label=field.rule_label()
            />
            {label}
        </label>
        {field.messages()}
    }
}

/// A labelled `<select>` bound to a [`Field`] whose rule is [`Rule::choice`]: one option per
/// `(value, text)` (the values the rule allows), with an empty first option for a choice not
/// yet made when nothing is `selected`.
#[component]
pub fn Select(
    /// The form field this select is for.
    field: Field,
    /// The element id (the label points at it).
    id: &'static str,
    /// The options: the value sent, and the text shown.
    options: Vec<(&'static str, &'static str)>,
    /// The label's text: the rule's label when not given.
    #[prop(optional)]
    label: Option<&'static str>,
    /// The value chosen when the form first shows.
    #[prop(optional)]
    selected: Option<&'static str>,
) -> impl IntoView {
    let label = label.unwrap_or_else(|| field.label());
    let chosen = field
        .value()
        .filter(|value| !value.is_empty())
        .or_else(|| selected.map(str::to_owned));
    let blank = chosen.is_none();
    view! {
        <label for=id>{label}</label>
        <select
            id=field.anchor(id)
            name=field.name
            required=field.required()
            aria-invalid=field.invalid()
            aria-describedby=field.described_by()
            data-fw-rule=field.rule_spec()
            data-fw-label=field.rule_label()
        >
            {blank.then(|| view! { <option value="">"—"</option> })}
            {options
                .into_iter()
                .map(|(value, text)| {
                    let selected = chosen.as_deref() == Some(value);
                    view! { <option value=value selected=selected>{text}</option> }
                })
                .collect_view()}
        </select>
        {field.messages()}
    }
}

/// A labelled multi-line input bound to a [`Field`], like [`TextInput`].
///
/// Its kept input is written escaped. tachys 0.2 (checked up to 0.2.19) writes the children
/// of a `<textarea>` into server-rendered HTML **unescaped**: its element table marks
/// `textarea`, like `script`, `style` and `noscript`, as an element whose children are not
/// escaped (`html/element/elements.rs`, `textarea … false`). A kept input holding
/// `</textarea><form …>` would end the element and put the user's markup in the page.
/// Upstream bug, as we would file it: "tachys: `<textarea>{text}</textarea>` renders `text`
/// without HTML escaping during SSR; a value containing `</textarea>` breaks out of the
/// element. Textarea content is RCDATA: `&` and `<` must be escaped like any text." The
/// server writes the text escaped; in the browser the child is a text node, which the DOM
/// never parses as HTML, so it stays as it is.
#[component]
pub fn TextArea(
    /// The form field this input is for: its name, rule, kept input and messages.
    field: Field,
    /// The element id (the label points at it).
    id: &'static str,
    /// The text of the input's `<label>`: the label of the field's rule when not given.
    #[prop(optional)]
    label: Option<&'static str>,
    /// The visible number of text lines (5 when not given).
    #[prop(default = 5)]
    rows: u32,
) -> impl IntoView {
    let value = field.value();
    let label = label.unwrap_or_else(|| field.label());
    #[cfg(feature = "ssr")]
    let value = value.map(|value| crate::meta::escape_text(&value));
    view! {
        <label for=id>{label}</label>
        <textarea
            id=field.anchor(id)
            name=field.name
            rows=rows
            required=field.required()
            minlength=field.minlength()
            maxlength=field.maxlength()
            aria-invalid=field.invalid()
            aria-describedby=field.described_by()
            data-fw-rule=field.rule_spec()
            data-fw-label=field.rule_label()
        >
            {value}
        </textarea>
        {field.messages()}
    }
}

/// What the form says when only its fields have problems (they carry the details).
fn fix_fields() -> String {
    crate::messages::text(crate::messages::Message::FixFields).into_owned()
}

/// Whether the browser's own check left a field with a problem (tracked).
fn local_problems(local: RwSignal<FieldErrors>) -> bool {
    local.with(|l| l.values().any(|m| !m.is_empty()))
}

/// The ids of one form's inputs by field name, in the order they were rendered, as the input
/// components note them ([`Field::anchor`]): the form's error summary links to them.
#[derive(Clone, Copy)]
pub(crate) struct FieldIds(StoredValue<Vec<(&'static str, String)>>);

impl FieldIds {
    /// A fresh list for a form's inputs, for the form's children to note theirs in (the
    /// form provides it in its [`FormContext`](crate::status::FormContext)).
    pub(crate) fn new() -> Self {
        Self(StoredValue::new(Vec::new()))
    }
}

/// The last submission's problems, as an error summary (see [`FormError`]). [`ActionForm`]
/// and [`crate::UploadForm`] render it first thing in the form, with links to their fields.
///
/// `outside` names the form (its `id`) when the summary stands outside it, beside the button
/// that sent it (see [`crate::items`]): the browser runtime finds it there by that name.
pub(crate) fn summary<A>(
    state: FormState<A>,
    ids: Option<FieldIds>,
    outside: Option<Arc<str>>,
) -> impl IntoView
where
    A: ServerFn<Error = ActionError> + 'static,
    A::Output: Clone + Send + Sync + DeserializeOwned + 'static,
{
    // Read straight from the state's signals: a form that never asks for `error()` carries
    // no derived signal of its error type. A final form has nothing to say.
    state.live.map(|live| {
        move || {
            let (text, problems) = live.outcome.with(|outcome| {
                live.local.with(|local| {
                    let server = match outcome {
                        Some(Err(ActionError::Validation { fields, .. })) => Some(fields),
                        _ => None,
                    };
                    let text = match outcome {
                        Some(Err(ActionError::Validation { form, .. })) if !form.is_empty() => {
                            Some(form.join(" "))
                        }
                        Some(Err(ActionError::Validation { .. })) => Some(fix_fields()),
                        Some(Err(other)) => Some(other.to_string()),
                        _ => local.values().any(|m| !m.is_empty()).then(fix_fields),
                    };
                    // The browser's own check stands in for the server's, field by field.
                    let mut problems = server.cloned().unwrap_or_default();
                    for (name, messages) in local {
                        problems.insert(name.clone(), messages.clone());
                    }
                    problems.retain(|_, messages| !messages.is_empty());
                    (text, problems)
                })
            });
            text.map(|text| summary_view(text, listed(problems, ids), outside.clone()))
        }
    })
}

/// The problems in the order of the form's inputs (the rest after them, by name), each with
/// its input's id when the form noted one.
fn listed(mut problems: FieldErrors, ids: Option<FieldIds>) -> Vec<(String, Option<String>)> {
    let mut items = Vec::with_capacity(problems.len());
    if let Some(ids) = ids {
        ids.0.with_value(|ids| {
            for (name, id) in ids {
                if let Some(messages) = problems.remove(*name) {
                    items.push((messages.join(" "), Some(id.clone())));
                }
            }
        });
    }
    items.extend(
        problems
            .into_values()
            .map(|messages| (messages.join(" "), None)),
    );
    items
}

/// The summary's markup: announced when it appears (a live region), focusable, and focused
/// on the page a plain post comes back to (`autofocus`); the runtime focuses it after a swap.
/// Its type is erased: every form's view type would otherwise carry it, past the compiler's
/// type depth limit in an island.
fn summary_view(
    text: String,
    items: Vec<(String, Option<String>)>,
    outside: Option<Arc<str>>,
) -> AnyView {
    use leptos::either::Either;
    let list = (!items.is_empty()).then(|| {
        let items = items
            .into_iter()
            .map(|(message, id)| match id {
                Some(id) => Either::Left(view! { <li><a href=format!("#{id}")>{message}</a></li> }),
                None => Either::Right(view! { <li>{message}</li> }),
            })
            .collect_view();
        view! { <ul>{items}</ul> }
    });
    view! {
        <div class="error-summary" role="alert" tabindex="-1" autofocus=true data-fw-summary="" data-fw-for=outside>
            <p class="form-error">{text}</p>
            {list}
        </div>
    }
    .into_any()
}

/// The last submission's problems, for an outcome shown outside its form (a form inside an
/// [`ActionForm`] or [`crate::UploadForm`] has this summary at its top already): the form-level
/// message, or what happened, and each field's problem. It is a live region, focusable, and
/// takes the focus on the page a plain post comes back to.
#[component]
pub fn FormError<A>(
    /// The state of the form whose last outcome is reported.
    state: FormState<A>,
) -> impl IntoView
where
    A: ServerFn<Error = ActionError> + 'static,
    A::Output: Clone + Send + Sync + DeserializeOwned + 'static,
{
    summary(state, None, None)
}

/// The flash for action `A` in the request being rendered, for an island's props. In the
/// browser there is none: islands get theirs from the server-rendered props.
pub fn snapshot<A>() -> FormSnapshot<A::Output>
where
    A: ServerFn<Error = ActionError>,
    A::Output: DeserializeOwned,
{
    #[cfg(feature = "ssr")]
    return crate::flash::snapshot_for::<A>();
    #[cfg(not(feature = "ssr"))]
    FormSnapshot::default()
}

/// Whether what is rendered now is final: on the server, outside any island of an islands
/// app, where no code will ever hydrate it. Not inside an island, not in a fully hydrated
/// app, not in the browser, and not without a render under way.
pub(crate) fn final_render() -> bool {
    #[cfg(feature = "ssr")]
    return scope::current().is_some_and(|scope| scope.is_final());
    #[cfg(not(feature = "ssr"))]
    false
}

/// What a render's forms read from the request (its tokens, its signing key, the flash it
/// brought) and where they are rendered (final or not), resolved once for each owner that
/// renders forms: the rows of a list, which share their owner, look it up at once rather
/// than walking every owner up to the root four times each (measured on `/posts` signed in,
/// twenty delete buttons: the walks were 8% of its CPU, and resolving them once per owner
/// took 4% off its instructions).
#[cfg(feature = "ssr")]
pub(crate) mod scope {
    use crate::{flash::Flash, page_cache::FormTokens, signing::SigningKey};
    use leptos::prelude::{provide_context, use_context};
    use leptos::reactive::owner::{IsHydrating, Owner};
    use std::sync::Arc;

    /// One owner's forms' view of the request (cheap to clone).
    #[derive(Clone)]
    pub(crate) struct FormScope(Arc<Inner>);

    struct Inner {
        /// The owner it was resolved for, as [`Owner::debug_id`] names it while it lives, and
        /// the shared context's "hydrating" at the time: the answer holds for that owner alone
        /// (a child may be an island's), and only as long as the flag it read is unchanged.
        owner: usize,
        hydrating: Option<bool>,
        is_final: bool,
        tokens: Option<FormTokens>,
        key: Option<SigningKey>,
        flash: Option<Arc<Flash>>,
    }

    impl FormScope {
        /// See [`super::final_render`].
        pub(crate) fn is_final(&self) -> bool {
            self.0.is_final
        }

        /// The render's one-time tokens and page path (see `Formwork::provide_context`).
        pub(crate) fn tokens(&self) -> Option<&FormTokens> {
            self.0.tokens.as_ref()
        }

        /// The server's signing key.
        pub(crate) fn key(&self) -> Option<&SigningKey> {
            self.0.key.as_ref()
        }

        /// The flash the request brought, if any.
        pub(crate) fn flash(&self) -> Option<&Arc<Flash>> {
            self.0.flash.as_ref()
        }
    }

    /// The scope of the owner rendering now; `None` with no owner (no render under way).
    pub(crate) fn current() -> Option<FormScope> {
        let owner = Owner::current()?;
        let id = owner.debug_id();
        let hydrating = owner.shared_context().map(|sc| sc.get_is_hydrating());
        let above = use_context::<FormScope>();
        if let Some(scope) = &above {
            // Provided by this very owner (an ancestor's may not hold here), under the same flag.
            if scope.0.owner == id && scope.0.hydrating == hydrating {
                return above;
            }
        }
        // An island provides `IsHydrating(true)` to its body, and `false` to the server-only
        // children it is given: where the context is, it decides (tachys asks it the same
        // way). Being owned, it also holds for what the island renders later, once its data
        // is ready (a `Suspense` in an island). Elsewhere the request's shared context says
        // whether the page hydrates at all: an islands app's render stops hydrating in its
        // `<head>` (`HydrationScripts`), a fully hydrated app's never does.
        let is_final = match use_context::<IsHydrating>() {
            Some(IsHydrating(hydrating)) => !hydrating,
            None => hydrating == Some(false),
        };
        // The rest is the request's, the same for every owner of its render: an ancestor's
        // scope already holds it (each lookup walks up the owners).
        let (tokens, key, flash) = match above {
            Some(above) => (
                above.0.tokens.clone(),
                above.0.key.clone(),
                above.0.flash.clone(),
            ),
            None => (
                use_context::<FormTokens>(),
                use_context::<SigningKey>(),
                crate::request::with(|parts| {
                    parts
                        .extensions
                        .get::<crate::flash::ReceivedFlash>()
                        .map(|flash| flash.0.clone())
                })
                .flatten(),
            ),
        };
        let scope = FormScope(Arc::new(Inner {
            owner: id,
            hydrating,
            is_final,
            tokens,
            key,
            flash,
        }));
        provide_context(scope.clone());
        Some(scope)
    }
}

/// What every rendered form carries in its hidden fields: the page it is on (path and
/// query), which a plain post returns to, and a fresh one-time token (see the pipeline):
/// repeated plain posts of one rendering run the action once. Signed with the server's key,
/// the token also vouches for the form's origin when a browser sends no provenance headers
/// (see [`crate::origin`]).
///
/// Both are empty in the browser: the server's markup already holds the values, and
/// hydration keeps server-rendered attribute values as they are.
pub(crate) fn hidden_fields() -> (String, String) {
    #[cfg(feature = "ssr")]
    return HiddenFields::here().take();
    #[cfg(not(feature = "ssr"))]
    (String::new(), String::new())
}

/// [`hidden_fields`] to be written later: the render's tokens, read where the form is made,
/// issue its one-time token only when the form is written out (a view Leptos makes and drops
/// issues none).
#[cfg(feature = "ssr")]
pub(crate) enum HiddenFields {
    Issued(crate::page_cache::FormTokens),
    /// Outside a request's render (no tokens to issue from).
    Made(String, String),
}

#[cfg(feature = "ssr")]
impl HiddenFields {
    pub(crate) fn here() -> Self {
        match scope::current().as_ref().and_then(scope::FormScope::tokens) {
            Some(tokens) => Self::Issued(tokens.clone()),
            None => Self::Made(crate::request::page(), crate::ordered_id()),
        }
    }

    /// The page's path and query, and a fresh one-time token.
    pub(crate) fn take(self) -> (String, String) {
        match self {
            Self::Issued(tokens) => (tokens.page_path().to_owned(), tokens.issue()),
            Self::Made(page, once) => (page, once),
        }
    }
}

/// A form that posts to the action behind `state`.
#[component]
pub fn ActionForm<A, C>(
    /// The state this form reports into; read it to render pending and outcome.
    state: FormState<A>,
    /// Keep the user's input after a success instead of clearing the form.
    #[prop(optional)]
    keep_values: bool,
    /// Fields never kept or echoed back (passwords are never kept whatever their name).
    #[prop(optional)]
    secret: &'static [&'static str],
    /// The `class` attribute of the `<form>` element.
    #[prop(optional)]
    class: &'static str,
    /// The `id` attribute of the `<form>` element: buttons elsewhere on the page submit it
    /// with `form="<id>"` (see [`crate::items`]).
    #[prop(optional, into)]
    id: Option<Arc<str>>,
    /// What the page shows at once when the browser runtime sends this form, until the
    /// server's answer replaces it (see [`crate::preview`]). For forms outside islands.
    #[prop(optional)]
    preview: Option<crate::preview::Preview>,
    /// With JavaScript, the form sends itself when one of its controls changes (a choice
    /// that is its own control: a theme's radio buttons, a "done" checkbox). Without, it is
    /// sent by its submit button as always: hide that button from script-driven pages with
    /// [`FormStatus::hidden_with_js`](crate::FormStatus::hidden_with_js). For forms outside
    /// islands (the browser runtime does it; an island calls its action itself).
    #[prop(optional)]
    submit_on_change: bool,
    /// Typed rather than boxed as a `Children` view: an island then carries only the
    /// hydration code its own markup needs (measured: about 2 KB of WASM less).
    children: TypedChildren<C>,
) -> impl IntoView
where
    A: Action + ServerFn<Error = ActionError> + 'static,
    A::Output: DeserializeOwned + Clone + Send + Sync + 'static,
    C: IntoView + 'static,
{
    let children = children.into_inner();
    let preview = preview.map(|p| p.to_json());
    let submit_on = submit_on_change.then_some("change");
    let status = crate::status::FormContext::provide(state.live.map(|l| l.pending), A::PATH);
    // A final form (see `FormState::restore`) is markup alone: no node, no handler, no
    // summary, nothing reactive.
    #[cfg(feature = "ssr")]
    if state.live.is_none() {
        // Its own markup is written out, escaped, in one piece: rendered once and never
        // hydrated, it needs neither elements to build nor hydration markers. It is written
        // when the page is rendered (see `crate::markup`), and its token issued then: a view
        // Leptos makes and drops issues none.
        let fields = HiddenFields::here();
        let item = state.item;
        let opening = crate::markup::Markup::new(320, move |html: &mut String| {
            let opening = FinalOpening {
                action: A::PATH,
                id: id.as_deref(),
                class,
                preview: preview.as_deref(),
                submit_on,
                item,
                secret,
            };
            opening.write(html, fields);
        });
        let content = form_children(children());
        return leptos::either::Either::Left((
            opening,
            content,
            leptos::tachys::html::InertElement::new("</form>"),
        ));
    }
    let node = NodeRef::<html::Form>::new();
    // The children note their inputs' ids before the summary above them renders.
    let content = form_children(children());

    mark_ready(node);
    let hidden = hidden_inputs(state.item, secret);

    #[cfg(feature = "hydrate")]
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        submit::<A>(event, state, status, keep_values);
    };
    #[cfg(not(feature = "hydrate"))]
    let on_submit = move |_: leptos::ev::SubmitEvent| {
        let _ = (keep_values, status);
    };
    // A field is checked when the user leaves it, and again as they type once it was found
    // wanting, so its message goes away as soon as it is fixed.
    #[cfg(feature = "hydrate")]
    let on_leave =
        move |event: leptos::ev::FocusEvent| check_one(event.target(), node, state, true);
    #[cfg(feature = "hydrate")]
    let on_input = move |event: leptos::ev::Event| check_one(event.target(), node, state, false);
    #[cfg(not(feature = "hydrate"))]
    let (on_leave, on_input) = (|_: leptos::ev::FocusEvent| {}, |_: leptos::ev::Event| {});

    let live = state.live;
    let form = view! {
        <form
            node_ref=node
            action=A::PATH
            method="post"
            class=class
            data-fw-form="action"
            id=id
            data-fw-preview=preview
            data-fw-submit-on=submit_on
            aria-busy=move || live.is_some_and(|l| l.pending.get()).then_some("true")
            on:submit=on_submit
            on:focusout=on_leave
            on:input=on_input
        >
            {hidden}
            {summary(state, status.ids, None)}
            {content}
        </form>
    };
    #[cfg(feature = "ssr")]
    return leptos::either::Either::Right(form);
    #[cfg(not(feature = "ssr"))]
    form
}

/// An [`ActionForm`]'s hidden fields: the page and the one-time token ([`hidden_fields`]),
/// the fields never kept, and the input that tells this form apart from its neighbours.
fn hidden_inputs(item: Option<&'static str>, secret: &'static [&'static str]) -> impl IntoView {
    let (return_to, once) = hidden_fields();
    view! {
        <input type="hidden" name=RETURN_FIELD value=return_to/>
        <input type="hidden" name=ONCE_FIELD value=once/>
        {(!secret.is_empty()).then(|| view! {
            <input type="hidden" name=SECRET_FIELD value=secret.join(",")/>
        })}
        {item.map(|key| view! { <input type="hidden" name=ITEM_FIELD value=key/> })}
    }
}

/// A final [`ActionForm`]'s `<form>` start tag and hidden fields (those [`hidden_inputs`]
/// renders, in the same order), as markup: every value escaped as an attribute value.
#[cfg(feature = "ssr")]
struct FinalOpening<'a> {
    action: &'a str,
    id: Option<&'a str>,
    class: &'a str,
    preview: Option<&'a str>,
    submit_on: Option<&'a str>,
    item: Option<&'a str>,
    secret: &'a [&'a str],
}

#[cfg(feature = "ssr")]
impl FinalOpening<'_> {
    /// Onto the end of `html`, with `fields` issued now.
    fn write(&self, html: &mut String, fields: HiddenFields) {
        use crate::meta::escape_into;
        let (return_to, once) = fields.take();
        html.push_str("<form action=\"");
        escape_into(html, self.action);
        html.push_str("\" method=\"post\" data-fw-form=\"action\"");
        for (name, value) in [
            ("id", self.id),
            ("data-fw-preview", self.preview),
            ("data-fw-submit-on", self.submit_on),
        ] {
            if let Some(value) = value {
                html.push(' ');
                html.push_str(name);
                html.push_str("=\"");
                escape_into(html, value);
                html.push('"');
            }
        }
        html.push_str(" class=\"");
        escape_into(html, self.class);
        html.push_str("\">");
        push_hidden(html, RETURN_FIELD, &return_to);
        push_hidden(html, ONCE_FIELD, &once);
        if !self.secret.is_empty() {
            push_hidden(html, SECRET_FIELD, &self.secret.join(","));
        }
        if let Some(key) = self.item {
            push_hidden(html, ITEM_FIELD, key);
        }
    }
}

/// `<input type="hidden" name=… value=…>` onto the end of `html`, both values escaped.
#[cfg(feature = "ssr")]
pub(crate) fn push_hidden(html: &mut String, name: &str, value: &str) {
    use crate::meta::escape_into;
    html.push_str("<input type=\"hidden\" name=\"");
    escape_into(html, name);
    html.push_str("\" value=\"");
    escape_into(html, value);
    html.push_str("\">");
}

/// Marks an island's [`ActionForm`] `data-fw-ready` once it is hydrated: styles and tests can
/// tell that the enhanced form is live (the runtime marks the forms it drives itself).
pub(crate) fn mark_ready(node: NodeRef<html::Form>) {
    Effect::new(move |_| {
        if let Some(form) = node.get() {
            let _ = form.set_attribute(crate::protocol::READY_ATTRIBUTE, "");
        }
    });
}

/// The form's content. In the browser it keeps its own type, so an island carries only the
/// hydration code its markup needs; on the server it is erased, so page types stay shallow
/// (they are nested deep enough already) and builds stay fast.
#[cfg(feature = "ssr")]
pub(crate) fn form_children(view: impl IntoView + 'static) -> AnyView {
    view.into_any()
}

#[cfg(not(feature = "ssr"))]
pub(crate) fn form_children<V: IntoView>(view: V) -> V {
    view
}

/// A submit button that shows `pending_label` and disables itself while its form is in
/// flight, so a double click submits once.
#[component]
pub fn SubmitButton(
    /// The label at rest.
    label: &'static str,
    /// The label while the form is submitting; the resting label when not given.
    #[prop(optional)]
    pending_label: Option<&'static str>,
    /// Sent as `name=value` with the form, to tell several buttons apart.
    #[prop(optional)]
    name: Option<&'static str>,
    /// The value sent with `name` when this button submits the form.
    #[prop(optional)]
    value: Option<&'static str>,
    /// The `class` attribute of the `<button>` element.
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    let status = crate::status::use_form_status();
    let busy = move || status.pending();
    view! {
        <button type="submit" name=name value=value class=class disabled=busy data-fw-pending=pending_label>
            {move || if busy() { pending_label.unwrap_or(label) } else { label }}
        </button>
    }
}

#[cfg(feature = "hydrate")]
fn submit<A>(
    event: leptos::ev::SubmitEvent,
    state: FormState<A>,
    status: crate::status::FormContext,
    keep_values: bool,
) where
    A: Action + ServerFn<Error = ActionError> + 'static,
    A::Output: DeserializeOwned + Clone + Send + Sync + 'static,
{
    use wasm_bindgen::JsCast;

    event.prevent_default();
    // In the browser every form's state is live; a final one is only ever rendered on the
    // server.
    let Some(live) = state.live else {
        return;
    };
    if live.pending.get_untracked() {
        return; // one submission at a time: a double click sends once
    }
    let Some(form) = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
    else {
        return;
    };
    let rules = <A::Schema as Schema>::FIELDS;
    if !rules.is_empty() {
        let problems = form_values(&form)
            .map(|data| crate::schema::check_fields(rules, |name| data.get(name).as_string()))
            .unwrap_or_default();
        let wanting = !problems.is_empty();
        live.local.set(problems);
        if wanting {
            // Nothing is sent while a field is invalid; the summary of what is gets the focus.
            focus_summary(form);
            return;
        }
    }
    let body = match encode(&form, event.submitter()) {
        Ok(body) => body,
        Err(_) => {
            // The browser could not read its own form: let it submit natively.
            let _ = form.submit();
            return;
        }
    };
    if let Some(data) = status.data {
        data.set(Some(decode(&body)));
    }
    live.pending.set(true);
    let shown = state
        .optimism
        .and_then(|shown| shown.try_get_value())
        .map(|shown| {
            let ticket = shown.begin(&decode(&body));
            (shown, ticket)
        });
    leptos::task::spawn_local(async move {
        let Sent::Answered {
            outcome,
            revalidated,
        } = send::<A>(&body).await
        else {
            // The action asked to go elsewhere: the form stays pending until the page changes.
            return;
        };
        let succeeded = outcome.is_ok();
        crate::optimistic::finish(shown, &outcome, revalidated.as_ref());
        live.local.set(FieldErrors::new());
        live.outcome.set(Some(outcome));
        live.pending.set(false);
        if let Some(data) = status.data {
            data.set(None);
        }
        if succeeded && !keep_values {
            form.reset();
        }
        if !succeeded {
            focus_summary(form.clone());
        }
        // Whatever the action revalidated refreshes here at once (and, through the live
        // stream, everywhere else): only the regions and resources with those tags.
        if let Some((id, items)) = revalidated {
            crate::live::client::revalidate(&id, &items).await;
        }
    });
}

/// How a call from the browser ended.
#[cfg(feature = "hydrate")]
pub(crate) enum Sent<T> {
    /// The action sent the browser elsewhere, and it is on its way there.
    Redirected,
    /// The action's value or error, and what it revalidated (with that revalidation's id).
    Answered {
        outcome: Outcome<T>,
        revalidated: Option<(String, Vec<String>)>,
    },
}

/// Posts a urlencoded `body` to action `A` from the browser, as a form or an event handler
/// does, and reads its answer: a redirect is a real navigation (the next page is rendered
/// fresh by the server), an error is the typed [`ActionError`] (no answer at all: the server
/// could not be reached).
#[cfg(feature = "hydrate")]
pub(crate) async fn send<A>(body: &str) -> Sent<A::Output>
where
    A: ServerFn<Error = ActionError>,
    A::Output: DeserializeOwned,
{
    let answer = crate::browser::fetch(A::PATH, "application/json", Some(body)).await;
    let revalidated = answer.as_ref().ok().and_then(|a| a.revalidated.clone());
    let outcome =
        match answer {
            Ok(crate::browser::Answer {
                redirect: Some(location),
                ..
            }) => {
                if let Some(window) = web_sys::window() {
                    let _ = window.location().assign(&location);
                }
                return Sent::Redirected;
            }
            Ok(answer) if answer.ok => serde_json::from_str::<A::Output>(&answer.text)
                .map_err(|_| ActionError::Unavailable),
            Ok(answer) => Err(serde_json::from_str::<ActionError>(&answer.text)
                .unwrap_or(ActionError::Unavailable)),
            Err(_) => Err(ActionError::Unavailable),
        };
    Sent::Answered {
        outcome,
        revalidated,
    }
}

/// Focuses the form's error summary once it has rendered (after the state's effects ran).
#[cfg(feature = "hydrate")]
fn focus_summary(form: web_sys::HtmlFormElement) {
    use wasm_bindgen::JsCast;

    leptos::task::spawn_local(async move {
        leptos::task::tick().await;
        if let Some(summary) = form
            .query_selector("[data-fw-summary]")
            .ok()
            .flatten()
            .and_then(|s| s.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = summary.focus();
        }
    });
}

/// The fields of a urlencoded body.
#[cfg(feature = "hydrate")]
fn decode(body: &str) -> Fields {
    let text = |part: &str| {
        js_sys::decode_uri_component(&part.replace('+', " "))
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default()
    };
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (text(name), text(value))
        })
        .collect()
}

/// Checks the field an event came from against its rule, if the form has a schema: always
/// when the user leaves it (`leaving`), and while typing only once it was found wanting.
#[cfg(feature = "hydrate")]
fn check_one<A: Action>(
    target: Option<web_sys::EventTarget>,
    form: NodeRef<html::Form>,
    state: FormState<A>,
    leaving: bool,
) {
    use wasm_bindgen::JsCast;

    let Some(element) = target.and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
        return;
    };
    let Some(name) = element.get_attribute("name") else {
        return;
    };
    let Some(rule) = crate::schema::rule_of(<A::Schema as Schema>::FIELDS, &name) else {
        return;
    };
    let Some(live) = state.live else {
        return;
    };
    if !leaving && !live.local.with_untracked(|l| l.contains_key(&name)) {
        return;
    }
    let Some(value) = form
        .get_untracked()
        .and_then(|form| form_values(&form))
        .and_then(|data| data.get(&name).as_string())
    else {
        return;
    };
    let messages = rule.check(&value).err().into_iter().collect::<Vec<_>>();
    let flagged = live.local.with_untracked(|l| l.contains_key(&name));
    // A field that was fine and still is stays out of the map, so the server's message for it
    // (a duplicate, say) is not hidden just because the user passed through.
    if !messages.is_empty() || flagged {
        live.local.update(|l| {
            l.insert(name, messages);
        });
    }
}

#[cfg(feature = "hydrate")]
fn form_values(form: &web_sys::HtmlFormElement) -> Option<web_sys::FormData> {
    web_sys::FormData::new_with_form(form).ok()
}

/// The form's fields, urlencoded exactly as the browser would post them, plus the button
/// that submitted it.
#[cfg(feature = "hydrate")]
fn encode(
    form: &web_sys::HtmlFormElement,
    submitter: Option<web_sys::HtmlElement>,
) -> Result<String, wasm_bindgen::JsValue> {
    let data = web_sys::FormData::new_with_form(form)?;
    if let Some(button) = submitter {
        if let (Some(name), Some(value)) =
            (button.get_attribute("name"), button.get_attribute("value"))
        {
            data.append_with_str(&name, &value)?;
        }
    }
    let params = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data)?;
    Ok(params.to_string().into())
}

#[cfg(all(test, feature = "ssr"))]
pub(crate) mod tests {
    use super::*;

    /// A stand-in action: only its types matter to the form (the items' tests use it too).
    #[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
    pub(crate) struct Demo;

    impl ServerFn for Demo {
        const PATH: &'static str = "/api/demo";
        type Client = server_fn::client::browser::BrowserClient;
        type Server = server_fn::mock::BrowserMockServer;
        type Protocol = server_fn::Http<server_fn::codec::PostUrl, server_fn::codec::Json>;
        type Output = String;
        type Error = ActionError;
        type InputStreamError = ActionError;
        type OutputStreamError = ActionError;

        async fn run_body(self) -> Result<String, ActionError> {
            Ok(String::new())
        }
    }

    impl crate::Action for Demo {
        type Schema = crate::schema::NoFields;
    }

    fn rendered(error: ActionError) -> String {
        let owner = Owner::new();
        owner.with(|| {
            let state = FormState::<Demo>::restore(FormSnapshot {
                outcome: Some(Err(error)),
                inputs: BTreeMap::new(),
            });
            view! { <FormError state=state/> }.to_html()
        })
    }

    #[test]
    fn every_error_reads_as_a_sentence_in_the_form() {
        let cases = [
            (
                ActionError::BadRequest {
                    message: "The form data is malformed.".into(),
                },
                "The form data is malformed.",
            ),
            (ActionError::Unauthenticated, "Please sign in to do this."),
            (
                ActionError::forbidden("Only its owner can change this."),
                "Only its owner can change this.",
            ),
            (
                ActionError::not_found("That post"),
                "That post was not found.",
            ),
            (
                ActionError::Conflict {
                    message: "ada@example.org is already subscribed.".into(),
                },
                "ada@example.org is already subscribed.",
            ),
            (
                ActionError::PayloadTooLarge { limit_bytes: 4096 },
                "This is too large to send: the limit is 4 KB. Make it smaller and try again.",
            ),
            (
                ActionError::field("title", "Title cannot be empty."),
                "Please correct the highlighted fields.",
            ),
            (
                ActionError::Validation {
                    fields: FieldErrors::new(),
                    form: vec!["The dates overlap.".into()],
                },
                "The dates overlap.",
            ),
            (
                ActionError::RateLimited {
                    retry_after_secs: 30,
                },
                "Too many requests. Please try again in 30 seconds.",
            ),
            (
                ActionError::Internal {
                    correlation_id: "4f2a9c".into(),
                },
                "Something went wrong on our side. If it keeps happening, quote reference 4f2a9c.",
            ),
            (
                ActionError::Unavailable,
                "The server could not be reached. Check your connection and try again.",
            ),
        ];
        for (error, text) in cases {
            let html = rendered(error);
            assert!(
                html.contains(r#"role="alert""#) && html.contains(&format!(">{text}</p>")),
                "{text}: {html}"
            );
        }
    }

    #[test]
    fn the_summary_links_each_problem_to_its_field_in_the_form_order() {
        let mut fields = FieldErrors::new();
        fields.insert("title".into(), vec!["Title is too short.".into()]);
        fields.insert("body".into(), vec!["<b>Body</b> & more.".into()]);
        fields.insert("hidden".into(), vec!["Not on the page.".into()]);
        let owner = Owner::new();
        let html = owner.with(|| {
            let state = FormState::<Demo>::restore(FormSnapshot {
                outcome: Some(Err(ActionError::Validation {
                    fields,
                    form: Vec::new(),
                })),
                inputs: BTreeMap::new(),
            });
            view! {
                <ActionForm state=state>
                    <TextInput field=state.field("title") id="post-title"/>
                    <TextArea field=state.field("body") id="post-body"/>
                </ActionForm>
            }
            .to_html()
        });
        let start = html
            .find("data-fw-summary")
            .and_then(|at| html[..at].rfind("<div"))
            .unwrap_or_else(|| panic!("no summary: {html}"));
        let summary = &html[start..];
        // Before the fields, focusable, focused on load, and a live region.
        assert!(summary.contains(r#"id="post-title""#), "{html}");
        let head = &summary[..summary.find('>').unwrap_or(0)];
        for attribute in [
            r#"role="alert""#,
            r#"tabindex="-1""#,
            "autofocus",
            r#"class="error-summary""#,
        ] {
            assert!(head.contains(attribute), "{attribute}: {head}");
        }
        let list = &summary[..summary.find("</ul>").unwrap_or(0)];
        let title = list.find(r##"<a href="#post-title">Title is too short.</a>"##);
        let body = list.find(r##"<a href="#post-body">&lt;b&gt;Body&lt;/b&gt; &amp; more.</a>"##);
        let other = list.find("<li>Not on the page.</li>");
        assert!(
            matches!((title, body, other), (Some(t), Some(b), Some(o)) if t < b && b < o),
            "{list}"
        );
    }

    /// Runs `render` as a request's render does: in an islands app outside any island
    /// (`Some(false)`), in a fully hydrated app or an island's body (`Some(true)`), or with no
    /// render context at all (`None`).
    fn in_render<T>(hydrating: Option<bool>, render: impl FnOnce() -> T) -> T {
        use hydration_context::{SharedContext, SsrSharedContext};
        let owner = match hydrating {
            None => Owner::new(),
            Some(hydrating) => {
                let context = SsrSharedContext::new();
                context.set_is_hydrating(hydrating);
                Owner::new_root(Some(Arc::new(context)))
            }
        };
        owner.with(render)
    }

    /// A status line, as an app's component inside a form reads it.
    #[component]
    fn ActionName() -> impl IntoView {
        let status = crate::use_form_status();
        view! { <span class="status" data-pending=status.pending().to_string()>{status.action()}</span> }
    }

    /// A row's form, with every kind of hidden field and an escaped label.
    fn row_form(state: FormState<Demo>) -> String {
        view! {
            <ActionForm state=state class="row" secret=&["code"]>
                <input type="hidden" name="id" value="7"/>
                <ActionName/>
                <button type="submit" aria-label="Delete “<b>&”">"Delete"</button>
            </ActionForm>
        }
        .to_html()
    }

    /// The markup without hydration markers and with the one-time token's value left out
    /// (fresh on every render).
    fn comparable(html: &str) -> String {
        let html = html.replace("<!>", "");
        let Some(at) = html.find(r#"name="__fw_once" value=""#) else {
            return html;
        };
        let value = at + r#"name="__fw_once" value=""#.len();
        let end = value + html[value..].find('"').unwrap_or(0);
        format!("{}{}", &html[..value], &html[end..])
    }

    #[test]
    fn a_form_no_code_will_hydrate_is_final_and_renders_the_same_markup() {
        let (live, html) = in_render(Some(false), || {
            let state = FormState::<Demo>::for_item("id", "7");
            (state.live.is_some(), row_form(state))
        });
        assert!(!live, "outside an island, with nothing to report");
        let (hydrated_live, hydrated) = in_render(Some(true), || {
            let state = FormState::<Demo>::for_item("id", "7");
            (state.live.is_some(), row_form(state))
        });
        assert!(hydrated_live, "a hydrated form keeps its signals");
        assert_eq!(comparable(&html), comparable(&hydrated));
        for part in [
            r#"<form action="/api/demo" method="post""#,
            r#"data-fw-form="action""#,
            r#"class="row""#,
            r#"<input type="hidden" name="__fw_return""#,
            r#"<input type="hidden" name="__fw_secret" value="code">"#,
            r#"<input type="hidden" name="__fw_item" value="id">"#,
            r#"<span data-pending="false" class="status">/api/demo</span>"#,
            r#"aria-label="Delete “&lt;b&gt;&amp;”""#,
        ] {
            assert!(html.contains(part), "{part}: {html}");
        }
        assert!(
            html.contains(r#"name="__fw_once" value=""#)
                && !html.contains(r#"name="__fw_once" value="""#),
            "{html}"
        );
    }

    #[test]
    #[allow(clippy::unwrap_used, clippy::expect_used)]
    fn a_final_forms_return_path_is_escaped_as_an_attribute_value() {
        // A query may carry `&` and `'` unencoded: the page it names must come back whole.
        let page = "/posts?after=7&q='x'";
        let html = in_render(Some(false), || {
            let (parts, ()) = http::Request::get(page).body(()).unwrap().into_parts();
            provide_context(parts);
            let state = FormState::<Demo>::for_item("id", "7");
            assert!(state.live.is_none());
            row_form(state)
        });
        let field = r#"<input type="hidden" name="__fw_return" value=""#;
        let start = html
            .find(field)
            .map(|at| at + field.len())
            .expect("a return field");
        let value = &html[start..start + html[start..].find('"').expect("a closing quote")];
        assert_eq!(value, "/posts?after=7&amp;q=&#39;x&#39;", "{html}");
        assert_eq!(value.replace("&#39;", "'").replace("&amp;", "&"), page);
    }

    #[test]
    fn a_form_is_live_wherever_it_may_change() {
        // Inside an island's body, in a fully hydrated app, and with no render under way.
        for hydrating in [Some(true), None] {
            let live = in_render(hydrating, || FormState::<Demo>::new().live.is_some());
            assert!(live, "{hydrating:?}");
        }
        // An island's body, as the island macro builds it; and the server-only children it is
        // given, as it builds those.
        let (in_island, in_its_children) = in_render(Some(false), || {
            Owner::with_hydration(|| {
                let body = FormState::<Demo>::new().live.is_some();
                let children = Owner::with_no_hydration(|| FormState::<Demo>::new().live.is_some());
                (body, children)
            })
        });
        assert!(in_island && !in_its_children);
        // What an island renders later, once its data is ready (a `Suspense` in it): built
        // under the island's owner after its body, when the request no longer hydrates.
        let later = in_render(Some(false), || {
            // A form of the page's own comes first: what its owner's forms read is resolved
            // once for that owner, and must not be taken for the island's, below it.
            assert!(FormState::<Demo>::new().live.is_none());
            let island = Owner::new();
            island.with(|| Owner::with_hydration(|| ()));
            island.with(|| FormState::<Demo>::new().live.is_some())
        });
        assert!(later);
        // Outside an island, a form with an outcome to show renders it.
        let html = in_render(Some(false), || {
            let state = FormState::<Demo>::restore(FormSnapshot {
                outcome: Some(Err(ActionError::forbidden("Not yours."))),
                inputs: BTreeMap::from([("id".to_owned(), "7".to_owned())]),
            });
            assert!(state.live.is_some());
            row_form(state)
        });
        assert!(html.contains(">Not yours.</p>"), "{html}");
        // Only the row that was submitted: another row's form is final and quiet.
        let other = in_render(Some(false), || {
            let snapshot = FormSnapshot {
                outcome: Some(Err(ActionError::forbidden("Not yours."))),
                inputs: BTreeMap::from([("id".to_owned(), "7".to_owned())]),
            };
            let state = FormState::<Demo>::restore_item(snapshot, "id", "8");
            assert!(state.live.is_none());
            row_form(state)
        });
        assert!(!other.contains("Not yours."), "{other}");
    }

    #[test]
    fn a_final_form_reads_as_a_form_at_rest() {
        in_render(Some(false), || {
            let state = FormState::<Demo>::new();
            assert!(!state.pending().get_untracked());
            assert_eq!(state.outcome().get_untracked(), None);
            assert_eq!(state.value().get_untracked(), None);
            assert!(state.error().get_untracked().is_none());
            assert!(state.field_errors("title").get_untracked().is_empty());
            assert!(!state.locally_invalid().get_untracked());
            let html = view! {
                <ActionForm state=state>
                    <TextInput field=state.field("title") id="t"/>
                    {state.success(|value| view! { <p class="ok">{value}</p> })}
                </ActionForm>
            }
            .to_html();
            assert!(
                html.contains(r#"id="t""#)
                    && !html.contains("ok")
                    && !html.contains("error-summary"),
                "{html}"
            );
        });
    }

    #[test]
    fn no_outcome_renders_no_message() {
        let owner = Owner::new();
        let html = owner.with(|| {
            let state = FormState::<Demo>::restore(FormSnapshot::default());
            view! { <FormError state=state/> }.to_html()
        });
        assert!(!html.contains("form-error"), "{html}");
    }
}
