//! Optimistic updates without WASM: what the page shows at once while a form is on its way.
//!
//! A [`Preview`] is a short list of steps, declared by the server on an [`ActionForm`]
//! (`preview=...`) and carried in its markup. With JavaScript, formwork's browser runtime
//! applies them to the page the moment the form is sent: the ticked box shows ticked, the
//! deleted row goes, the new row appears. Then the server's answer replaces them, as it would
//! have replaced the page without JavaScript:
//! - accepted, the page the action came back to shows the real outcome;
//! - refused, that page shows the data as it still is, with the reason at the form; the
//!   preview is gone with it, so a refusal rolls back by itself;
//! - with no answer at all (offline), the runtime undoes each step and says so at the form.
//!
//! While a form is in flight, a page swap for another reason (another form's answer, a
//! revalidation heard on the live stream) keeps its preview: it is applied again to the fresh
//! markup until its own answer arrives. Without JavaScript nothing of this runs, and the
//! post/redirect/get cycle shows the outcome.
//!
//! Steps act on the form's *item*, the closest element around it marked [`ITEM_ATTRIBUTE`]
//! (a row of a list), or, without one, on the document. A value is always one of the fields
//! the form sends, by name, trimmed; the runtime writes it as text or as an attribute value,
//! never as markup, so what a user typed stays text. Every [`Count`] on the page is counted
//! again after each step.
//!
//! [`ActionForm`]: crate::ActionForm

use leptos::prelude::*;

/// Marks the element a form's [`Preview`] acts on: the row (or card) the form belongs to.
pub const ITEM_ATTRIBUTE: &str = "data-fw-item";
/// The attribute that carries a form's preview (JSON steps) in its markup.
pub const PREVIEW_ATTRIBUTE: &str = "data-fw-preview";
/// The attribute of a [`Count`]: the CSS selector of what it counts.
pub const COUNT_ATTRIBUTE: &str = "data-fw-count";

/// What the page shows while a form is in flight; see the [module](self).
///
/// ```
/// use formwork::preview::Preview;
/// // A tick box: the row takes its `done` class and the box its state, from the sent `done`.
/// let tick = Preview::new()
///     .class("", "done", "done")
///     .attr(".tick", "aria-checked", "done");
/// // A delete button: the row goes at once.
/// let delete = Preview::new().hide();
/// # let _ = (tick, delete);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preview {
    steps: Vec<Vec<&'static str>>,
}

impl Preview {
    /// A preview with no steps yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Hides the item (a deleted row goes at once).
    pub fn hide(self) -> Self {
        self.step(vec!["hide"])
    }

    /// Turns `class` on the elements matching `selector` in the item (`""`: the item itself)
    /// on when the form sends `field` as `true`, off otherwise.
    pub fn class(self, selector: &'static str, class: &'static str, field: &'static str) -> Self {
        self.step(vec!["class", selector, class, field])
    }

    /// Sets attribute `name` of the elements matching `selector` in the item (`""`: the item
    /// itself) to the value the form sends as `field`.
    pub fn attr(self, selector: &'static str, name: &'static str, field: &'static str) -> Self {
        self.step(vec!["attr", selector, name, field])
    }

    /// Sets the text of the elements matching `selector` in the item to the value the form
    /// sends as `field` (a rename shows the new name).
    pub fn text(self, selector: &'static str, field: &'static str) -> Self {
        self.step(vec!["text", selector, field])
    }

    /// Appends a copy of the `<template id=template>` to the first element matching `list` on
    /// the page. Each `{name}` in the copy's text and attribute values becomes the value the
    /// form sends as `name`. The copy stands for a row the server has not named yet: it
    /// should offer no controls (its real row, with them, comes with the server's answer).
    pub fn append(self, list: &'static str, template: &'static str) -> Self {
        self.step(vec!["append", list, template])
    }

    /// [`append`](Self::append), at the start of the list: for a list shown newest first.
    pub fn prepend(self, list: &'static str, template: &'static str) -> Self {
        self.step(vec!["prepend", list, template])
    }

    fn step(mut self, step: Vec<&'static str>) -> Self {
        self.steps.push(step);
        self
    }

    /// The steps as the runtime reads them: a JSON array of arrays of strings.
    pub fn to_json(&self) -> String {
        // Strings only: serializing them cannot fail.
        serde_json::to_string(&self.steps).unwrap_or_else(|_| "[]".to_owned())
    }
}

/// A count that follows the page: "3 to do". The server renders it from `n`; with JavaScript,
/// the runtime counts the elements matching `of` again after each [`Preview`] step (hidden
/// ones left out), so a tick or a new row shows in it at once.
#[component]
pub fn Count(
    /// A CSS selector of what is counted, e.g. `".todo-list > li:not(.done)"`.
    of: &'static str,
    /// How many there are, as the server knows it.
    n: usize,
    /// The words for one.
    one: &'static str,
    /// The words for any other number, with `{n}` where it goes.
    other: &'static str,
    /// The `class` attribute of the `<p>` element.
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    let text = if n == 1 {
        one.to_owned()
    } else {
        other.replace("{n}", &n.to_string())
    };
    view! {
        <p class=class role="status" data-fw-count=of data-fw-one=one data-fw-other=other>
            {text}
        </p>
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_a_json_array_of_string_arrays() {
        let preview = Preview::new()
            .hide()
            .class("", "done", "done")
            .attr(".tick", "aria-checked", "done")
            .text(".todo-title", "title")
            .append(".todo-list", "new-todo")
            .prepend("#notes", "note");
        let parsed: Vec<Vec<String>> = serde_json::from_str(&preview.to_json()).unwrap();
        assert_eq!(
            parsed,
            vec![
                vec!["hide"],
                vec!["class", "", "done", "done"],
                vec!["attr", ".tick", "aria-checked", "done"],
                vec!["text", ".todo-title", "title"],
                vec!["append", ".todo-list", "new-todo"],
                vec!["prepend", "#notes", "note"],
            ]
        );
        assert_eq!(Preview::new().to_json(), "[]");
    }

    #[test]
    fn selectors_with_quotes_and_backslashes_stay_one_string() {
        let preview = Preview::new().attr("[data-x=\"a\\b\"]", "title", "t");
        let parsed: Vec<Vec<String>> = serde_json::from_str(&preview.to_json()).unwrap();
        assert_eq!(parsed[0][1], "[data-x=\"a\\b\"]");
    }
}
