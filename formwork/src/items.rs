//! One form for a list whose rows each offer the same action on their own item: a "Delete"
//! on every post. The list renders the form once ([`ItemsForm`]), with what all rows send
//! alike (where to go next); each row renders only its button ([`ItemButton`]), which submits
//! that form with the row's item as its own `name=value`, as HTML's `form` attribute lets any
//! button do. A page of twenty posts then carries one form's hidden fields instead of twenty,
//! and its server writes twenty buttons, not twenty forms; for an argument the action takes as
//! [`Bound`](crate::Bound), it signs the list of items the form offers once, not each row's.
//!
//! It behaves as a form per row would, with and without JavaScript:
//! - a repeated post of one row (a double click, a page sent again) runs the action once, and
//!   another row of the same rendering still runs: each item is its own submission;
//! - the outcome comes back to the row that was sent: [`ItemButton`] shows its error right
//!   after itself, and [`Items::outcome`] shows it in a row that no longer has its button;
//! - with JavaScript the browser runtime sends it (pending state on the pressed button, no
//!   reload, the error beside that button), like any form outside an island.
//!
//! ```
//! use formwork::{ActionError, Bound, ItemButton, Items, ItemsForm};
//! use leptos::prelude::*;
//!
//! #[formwork::action(access = Public)]
//! pub async fn archive(id: Bound<i64>) -> Result<(), ActionError> {
//!     # let _ = id;
//!     Ok(())
//! }
//!
//! #[component]
//! fn Rows(ids: Vec<i64>) -> impl IntoView {
//!     // The form offers these items (signed once, as one list); each button sends its own.
//!     let archive = Items::<Archive>::bound("id", &ids);
//!     view! {
//!         <ItemsForm items=archive.clone()/>
//!         <ul>
//!             {ids.into_iter().map(|id| view! {
//!                 <li>{id} <ItemButton items=archive.clone() value=id>"Archive"</ItemButton></li>
//!             }).collect_view()}
//!         </ul>
//!     }
//! }
//! # fn main() {}
//! ```
//!
//! For lists outside islands: the browser runtime drives such forms. An island renders a
//! form per row, which its own code sends.

use crate::{
    action::Action,
    flash::FormSnapshot,
    form::{ActionForm, FormState},
    ActionError,
};
use leptos::prelude::*;
use serde::de::DeserializeOwned;
use server_fn::ServerFn;
use std::{fmt::Display, sync::Arc};

/// The rows of a list that share one form to action `A`, each telling itself apart by the
/// value of its `key` field. Cheap to clone: every row's button holds one.
pub struct Items<A: ServerFn> {
    inner: Arc<Inner<A::Output>>,
}

impl<A: ServerFn> Clone for Items<A> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

#[derive(Clone)]
struct Inner<T> {
    /// The form's `id`, which every row's button names.
    id: Arc<str>,
    /// The field whose value tells the rows apart.
    key: &'static str,
    /// Whether the values are [`crate::Bound`] arguments.
    bound: bool,
    /// For bound values: the ones the form offers, in the order given, which the rows send
    /// plain.
    offered: Offered,
    /// Where in `offered` the next row's item is looked for first: rows come in the order
    /// their items were offered, so each finds its own at once.
    next: Cursor,
    /// `offered`'s positions in the order of their values, for a row out of order (made then).
    by_value: std::sync::OnceLock<Vec<usize>>,
    /// The start of every row's button tag, escaped once: `<button type="submit" form=… name=…`.
    #[cfg(feature = "ssr")]
    button: String,
    /// Rendered once, on the server, outside any island (see `form::final_render`): the
    /// buttons are written out as markup.
    #[cfg(feature = "ssr")]
    is_final: bool,
    /// The server's signing key, read once for all the rows.
    #[cfg(feature = "ssr")]
    signing: Option<crate::signing::SigningKey>,
    /// How a plain post to this action ended, when the request brought one back.
    snapshot: Option<FormSnapshot<T>>,
}

impl<A> Items<A>
where
    A: Action + ServerFn<Error = ActionError> + 'static,
    A::Output: Clone + Send + Sync + DeserializeOwned + 'static,
{
    /// Rows told apart by the plain value of their `key` field.
    pub fn new(key: &'static str) -> Self {
        Self::build(key, None::<[&str; 0]>)
    }

    /// Rows told apart by their `key` field, an argument the action takes as
    /// [`Bound`](crate::Bound), for the `offered` items: a client cannot send an item it was
    /// not offered. The form carries the list of them, signed once for all its rows, and each
    /// button sends its item plain; a button for an item not on the list carries its own
    /// signature instead.
    pub fn bound<I: Display>(key: &'static str, offered: impl IntoIterator<Item = I>) -> Self {
        Self::build(key, Some(offered))
    }

    fn build<I: Display>(key: &'static str, offered: Option<impl IntoIterator<Item = I>>) -> Self {
        #[cfg(feature = "ssr")]
        let scope = crate::form::scope::current();
        #[cfg(feature = "ssr")]
        let snapshot = crate::flash::snapshot_in::<A>(scope.as_ref());
        #[cfg(not(feature = "ssr"))]
        let snapshot = crate::form::snapshot::<A>();
        #[cfg(feature = "ssr")]
        let signing = scope.as_ref().and_then(|scope| scope.key().cloned());
        let bound = offered.is_some();
        let offered = offered.map_or_else(Offered::default, Offered::of);
        let id: Arc<str> = default_id(A::PATH).into();
        Self {
            inner: Arc::new(Inner {
                #[cfg(feature = "ssr")]
                button: button_start(&id, key),
                id,
                key,
                bound,
                offered,
                next: Cursor::default(),
                by_value: std::sync::OnceLock::new(),
                #[cfg(feature = "ssr")]
                is_final: scope.as_ref().is_some_and(|scope| scope.is_final()),
                #[cfg(feature = "ssr")]
                signing,
                snapshot: snapshot.outcome.is_some().then_some(snapshot),
            }),
        }
    }

    /// The same rows with the form's `id` set (the default is made from the action's name;
    /// two lists of one action on one page need one each).
    pub fn id(self, id: impl Into<Arc<str>>) -> Self {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        inner.id = id.into();
        #[cfg(feature = "ssr")]
        {
            inner.button = button_start(&inner.id, inner.key);
        }
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The offered items, signed once ([`crate::bound::sign_offer_with`]): what the form
    /// carries for the server to read the plain values against. `None` when none are.
    #[cfg(feature = "ssr")]
    fn offer(&self) -> Option<String> {
        let Inner {
            signing, offered, ..
        } = &*self.inner;
        let key = signing.as_ref().filter(|_| !offered.is_empty())?;
        Some(crate::bound::sign_offer_with(key, A::PATH, offered.iter()))
    }

    /// What the button of the row for `item` sends as the value of the key field.
    pub fn value(&self, item: &impl Display) -> String {
        self.sent(item.to_string())
    }

    /// What a button sends for the item written `value`.
    fn sent(&self, value: String) -> String {
        if !self.inner.bound || self.is_offered(&value) {
            return value;
        }
        #[cfg(feature = "ssr")]
        return match &self.inner.signing {
            Some(key) => crate::bound::sign_with(key, A::PATH, &value),
            None => String::new(),
        };
        #[cfg(not(feature = "ssr"))]
        String::new()
    }

    /// Whether the item written `value` is one the form offers.
    fn is_offered(&self, value: &str) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        let Inner { offered, next, .. } = &*self.inner;
        let at = next.0.load(Relaxed);
        if offered.get(at).is_some_and(|item| item == value) {
            next.0.store(at + 1, Relaxed);
            return true;
        }
        let by_value = self.inner.by_value.get_or_init(|| {
            let mut positions: Vec<usize> = (0..offered.len()).collect();
            positions.sort_unstable_by(|a, b| offered.at(*a).cmp(offered.at(*b)));
            positions
        });
        by_value
            .binary_search_by(|at| offered.at(*at).cmp(value))
            .is_ok()
    }

    /// The outcome of the last plain post for the row of `item`, if it failed: its error
    /// summary, for a row that shows no button now (the page was rendered again for someone
    /// who may not use it). [`ItemButton`] shows its own.
    pub fn outcome(&self, item: &impl Display) -> Option<AnyView> {
        self.inner.snapshot.as_ref()?;
        self.outcome_of(&item.to_string())
    }

    /// The error summary for the row of the item written `item`, when the last post was its:
    /// sent plain or with its own signature, from a page rendered for whoever sent it (which
    /// may have offered other items than this rendering does).
    fn outcome_of(&self, item: &str) -> Option<AnyView> {
        let snapshot = self.inner.snapshot.as_ref()?;
        let sent = snapshot.inputs.get(self.inner.key)?;
        let signed = |sent: &str| {
            sent.rsplit_once('.')
                .is_some_and(|(value, _)| value == item)
        };
        if sent != item && !(self.inner.bound && signed(sent)) {
            return None;
        }
        let state = FormState::<A>::restore(snapshot.clone());
        Some(crate::form::summary(state, None, Some(Arc::clone(&self.inner.id))).into_any())
    }
}

/// A list of items' values, written one after another into one string (a list of twenty
/// rows makes one allocation, not twenty).
#[derive(Clone, Default)]
struct Offered {
    text: String,
    /// Where each value ends in `text`.
    ends: Vec<usize>,
}

impl Offered {
    fn of<I: Display>(items: impl IntoIterator<Item = I>) -> Self {
        use std::fmt::Write;
        let items = items.into_iter();
        // A filtered list knows only how many it may hold: room for that many short values.
        let (least, most) = items.size_hint();
        let count = most.unwrap_or(least).min(1024);
        let mut offered = Self {
            text: String::with_capacity(8 * count),
            ends: Vec::with_capacity(count),
        };
        for item in items {
            // Writing to a `String` cannot fail.
            let _ = write!(offered.text, "{item}");
            offered.ends.push(offered.text.len());
        }
        offered
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    #[cfg(feature = "ssr")]
    fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The value at `at`, if there is one.
    fn get(&self, at: usize) -> Option<&str> {
        let end = *self.ends.get(at)?;
        let start = at.checked_sub(1).map_or(0, |before| self.ends[before]);
        self.text.get(start..end)
    }

    /// The value at `at`, which is below [`Self::len`].
    fn at(&self, at: usize) -> &str {
        self.get(at).unwrap_or_default()
    }

    #[cfg(feature = "ssr")]
    fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|at| self.at(at))
    }
}

/// A position that rows move on from one another (see `Inner::next`).
#[derive(Default)]
struct Cursor(std::sync::atomic::AtomicUsize);

impl Clone for Cursor {
    fn clone(&self) -> Self {
        Self(self.0.load(std::sync::atomic::Ordering::Relaxed).into())
    }
}

/// The form's `id` for an action at `path`: `fw-` and the path's last segment.
fn default_id(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut id = String::with_capacity(3 + name.len());
    id.push_str("fw-");
    id.push_str(name);
    id
}

/// The one form the rows of [`Items`] submit. Its children are what every row sends alike
/// (hidden inputs); it renders no outcome itself, since that belongs to a row.
#[component]
pub fn ItemsForm<A>(
    /// The rows that submit it.
    items: Items<A>,
    /// The `class` attribute of the `<form>` element.
    #[prop(optional)]
    class: &'static str,
    /// What every row sends alike: hidden inputs.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView
where
    A: Action + ServerFn<Error = ActionError> + 'static,
    A::Output: Clone + Send + Sync + DeserializeOwned + 'static,
{
    // No outcome: the row that was sent shows it.
    let state = FormState::<A>::restore_item(FormSnapshot::default(), items.inner.key, "");
    let id = Arc::clone(&items.inner.id);
    let offer_input = |offer: String| {
        view! { <input type="hidden" name=crate::protocol::BOUND_OFFER_FIELD value=offer/> }
    };
    // Final, the offer is signed when the form is written out (see `crate::markup`).
    #[cfg(feature = "ssr")]
    let offer = {
        use leptos::either::Either;
        if items.inner.is_final {
            let items = items.clone();
            Some(Either::Left(crate::markup::Markup::new(
                160,
                move |html: &mut String| {
                    if let Some(offer) = items.offer() {
                        crate::form::push_hidden(html, crate::protocol::BOUND_OFFER_FIELD, &offer);
                    }
                },
            )))
        } else {
            items.offer().map(|offer| Either::Right(offer_input(offer)))
        }
    };
    #[cfg(not(feature = "ssr"))]
    let offer = None::<String>.map(offer_input);
    view! {
        <ActionForm state=state id=id class=class>
            {offer}
            {children.map(|children| children())}
        </ActionForm>
    }
}

/// A row's button for the form of [`Items`]: it submits that form with `name=value` of the
/// row's item, and shows the row's error after itself when the last plain post was its own.
#[component]
pub fn ItemButton<A, V, C>(
    /// The rows this button is one of.
    items: Items<A>,
    /// The row's item (signed when the rows are [`Items::bound`]).
    value: V,
    /// The `aria-label` attribute: what the button does to which item, for a screen reader.
    #[prop(optional, into)]
    label: Option<String>,
    /// The `class` attribute of the `<button>` element.
    #[prop(optional)]
    class: &'static str,
    /// What the button says while its post is on its way (with JavaScript).
    #[prop(optional)]
    pending: Option<&'static str>,
    /// What the button says. Typed rather than boxed: a row's label costs no allocation.
    children: TypedChildren<C>,
) -> impl IntoView
where
    A: Action + ServerFn<Error = ActionError> + 'static,
    A::Output: Clone + Send + Sync + DeserializeOwned + 'static,
    V: Display + Send + 'static,
    C: IntoView + 'static,
{
    let children = children.into_inner();
    #[cfg(feature = "ssr")]
    use leptos::either::Either;
    // Only a request that brought an outcome back has one to look for.
    let outcome = match items.inner.snapshot {
        Some(_) => items.outcome_of(&value.to_string()),
        None => None,
    };
    #[cfg(feature = "ssr")]
    if items.inner.is_final {
        // Rendered once and never hydrated: the whole button is written out in one piece,
        // straight into the page when it is rendered (see `crate::markup`): its attribute
        // values escaped, its label rendered into the same place.
        use leptos::tachys::view::{Position, RenderHtml};
        let children = children();
        let len = 96 + items.inner.button.len() + label.as_ref().map_or(0, String::len);
        let button = crate::markup::Markup::new(len, move |html: &mut String| {
            let sent = items.sent(value.to_string());
            let inner = &items.inner;
            push_button_start(html, &inner.button, &sent, label.as_deref(), pending, class);
            children.to_html_with_buf(html, &mut Position::FirstChild, true, false, vec![]);
            html.push_str("</button>");
            // Nothing after it when there is nothing to say (an empty view would leave a
            // marker for hydration, which a final render never has).
            if let Some(outcome) = outcome {
                outcome.to_html_with_buf(html, &mut Position::NextChild, true, false, vec![]);
            }
        });
        return Either::Left(button);
    }
    let sent = items.sent(value.to_string());
    let inner = &items.inner;
    let button = view! {
        <button
            type="submit"
            form=Arc::clone(&inner.id)
            name=inner.key
            value=sent
            aria-label=label
            data-fw-pending=pending
            class=class
        >
            {children()}
        </button>
        {outcome}
    };
    // On the server, erased: a row's view stays small (only an island's rows render this).
    #[cfg(feature = "ssr")]
    return Either::Right(button.into_any());
    #[cfg(not(feature = "ssr"))]
    button
}

/// What every final [`ItemButton`] of a form starts with: `<button type="submit"`, and the
/// form's `id` and the key field's name as attribute values, escaped.
#[cfg(feature = "ssr")]
fn button_start(form: &str, name: &str) -> String {
    use crate::meta::escape_into;
    let mut html = String::with_capacity(40 + form.len() + name.len());
    html.push_str("<button type=\"submit\" form=\"");
    escape_into(&mut html, form);
    html.push_str("\" name=\"");
    escape_into(&mut html, name);
    html.push('"');
    html
}

/// A final [`ItemButton`]'s start tag onto the end of `html`: `start` ([`button_start`]),
/// then every other value escaped as an attribute value, in the order its element would
/// render them.
#[cfg(feature = "ssr")]
fn push_button_start(
    html: &mut String,
    start: &str,
    value: &str,
    label: Option<&str>,
    pending: Option<&str>,
    class: &str,
) {
    use crate::meta::escape_into;
    html.push_str(start);
    for (attribute, value) in [
        ("value", Some(value)),
        ("aria-label", label),
        ("data-fw-pending", pending),
        ("class", Some(class)),
    ] {
        if let Some(value) = value {
            html.push(' ');
            html.push_str(attribute);
            html.push_str("=\"");
            escape_into(html, value);
            html.push('"');
        }
    }
    html.push('>');
}

#[cfg(all(test, feature = "ssr"))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{
        flash::{Flash, ReceivedFlash},
        signing::SigningKey,
    };
    use std::collections::BTreeMap;

    /// The forms' stand-in action.
    use crate::form::tests::Demo as Archive;

    /// The root of a request's render: in an islands app outside any island (`hydrating`
    /// false) or in a hydrated one (true).
    fn render_owner(hydrating: bool) -> Owner {
        use hydration_context::{SharedContext, SsrSharedContext};
        let context = SsrSharedContext::new();
        context.set_is_hydrating(hydrating);
        Owner::new_root(Some(Arc::new(context)))
    }

    /// A list of rows 7, 8 and 9 (9 not offered), rendered as a request's render does: in an
    /// islands app outside any island (`hydrating` false) or in a hydrated one (true), with
    /// the flash `flash` brought back.
    fn rows(hydrating: bool, key: &SigningKey, flash: Option<Flash>) -> String {
        render_owner(hydrating).with(|| {
            provide_context(key.clone());
            let (mut parts, ()) = http::Request::get("/list?a=1&b=2")
                .body(())
                .unwrap()
                .into_parts();
            if let Some(flash) = flash {
                parts.extensions.insert(ReceivedFlash(Arc::new(flash)));
            }
            provide_context(parts);
            let items = Items::<Archive>::bound("id", [7, 8]);
            view! {
                <ItemsForm items=items.clone()><input type="hidden" name="next" value="/list"/></ItemsForm>
                <ul>
                    {[7, 8, 9].map(|id| view! {
                        <li>
                            <ItemButton items=items.clone() value=id class="danger" label=format!("Archive “<b>{id}&”")>
                                "Archive"
                            </ItemButton>
                        </li>
                    }).collect_view()}
                </ul>
            }
            .to_html()
        })
    }

    fn refused(id: &str) -> Flash {
        Flash {
            action: Archive::PATH.to_owned(),
            ok: false,
            body: serde_json::to_string(&ActionError::forbidden("Not yours.")).unwrap(),
            inputs: BTreeMap::from([("id".to_owned(), id.to_owned())]),
        }
    }

    #[test]
    fn rows_share_one_form_and_each_button_names_it_with_its_own_item() {
        let key = SigningKey::random();
        let html = rows(false, &key, None);
        let id = "fw-demo";
        assert_eq!(html.matches("<form").count(), 1, "{html}");
        for part in [
            r#"<form action="/api/demo" method="post" data-fw-form="action" id="fw-demo" class="">"#,
            r#"<input type="hidden" name="__fw_return" value="/list?a=1&amp;b=2">"#,
            r#"<input type="hidden" name="__fw_item" value="id">"#,
            r#"<input type="hidden" name="next" value="/list">"#,
            r#"<button type="submit" form="fw-demo" name="id" value="7" aria-label="Archive “&lt;b&gt;7&amp;”" class="danger">Archive</button>"#,
            r#"<button type="submit" form="fw-demo" name="id" value="8" "#,
        ] {
            assert!(html.contains(part), "{part}: {html}");
        }
        // The offer lists the offered items, signed once; a row not offered signs its own.
        let offer = html
            .split(r#"name="__fw_offer" value=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap();
        let (list, _) = offer.rsplit_once('.').unwrap();
        assert_eq!(list, "1:7,1:8,");
        assert!(crate::bound::offer_lists(&key, Archive::PATH, offer, "8"));
        let nine = crate::bound::sign_with(&key, Archive::PATH, "9");
        assert!(
            html.contains(&format!(r#"form="{id}" name="id" value="{nine}""#)),
            "{html}"
        );
        assert!(!html.contains("role=\"alert\""), "{html}");
        // A hydrated app renders the same markup (its buttons are elements, not text).
        let hydrated = rows(true, &key, None);
        let comparable = |html: &str| {
            let html = html.replace("<!>", "");
            let at = html.find(r#"name="__fw_once" value=""#).unwrap() + 24;
            let end = at + html[at..].find('"').unwrap();
            format!("{}{}", &html[..at], &html[end..])
        };
        assert_eq!(comparable(&html), comparable(&hydrated));
    }

    #[test]
    fn rows_made_and_dropped_issue_no_token() {
        use crate::page_cache::FormTokens;
        // A `Suspense` on the server makes its children's views more than once and writes
        // out only the last: the forms and buttons of the others must cost no token.
        let key = SigningKey::random();
        let html = render_owner(false).with(|| {
            provide_context(key.clone());
            provide_context(FormTokens::for_request(key.clone()));
            let rows = || {
                let items = Items::<Archive>::bound("id", [7, 8]);
                view! {
                    <ItemsForm items=items.clone()/>
                    {[7, 8].map(|id| view! { <ItemButton items=items.clone() value=id>"Archive"</ItemButton> }).collect_view()}
                }
            };
            drop(rows());
            drop(rows());
            rows().to_html()
        });
        let once = html
            .split(r#"name="__fw_once" value=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap();
        let (id, _) = once.split_once('.').unwrap();
        assert!(id.ends_with("-0"), "the page's first token: {once}");
        for part in [
            r#"value="7" class="">Archive</button><button"#,
            r#"value="8" class="">Archive</button>"#,
        ] {
            assert!(html.contains(part), "{part}: {html}");
        }
    }

    #[test]
    fn rows_in_any_order_send_their_offered_items_plain_and_others_signed() {
        let key = SigningKey::random();
        let owner = Owner::new();
        owner.with(|| {
            provide_context(key.clone());
            let items = Items::<Archive>::bound("id", [30, 10, 20]);
            // In order, out of order, twice, and one never offered.
            for (item, plain) in [(30, true), (20, true), (10, true), (20, true), (40, false)] {
                let sent = items.value(&item);
                let expected = if plain {
                    item.to_string()
                } else {
                    crate::bound::sign_with(&key, Archive::PATH, &item.to_string())
                };
                assert_eq!(sent, expected, "{item}");
            }
            // Rows told apart by a plain value sign nothing.
            assert_eq!(Items::<Archive>::new("id").value(&40), "40");
        });
    }

    #[test]
    fn a_refused_post_is_explained_right_after_its_own_rows_button_only() {
        let key = SigningKey::random();
        for hydrating in [false, true] {
            let html = rows(hydrating, &key, Some(refused("8")));
            assert_eq!(html.matches("role=\"alert\"").count(), 1, "{html}");
            let after_eight = html.split(r#"value="8""#).nth(1).unwrap();
            let row = after_eight.split("</li>").next().unwrap();
            assert!(
                row.contains(r#"data-fw-for="fw-demo""#) && row.contains(">Not yours.</p>"),
                "{row}"
            );
            // The form itself says nothing: the outcome is the row's.
            let form = html.split("</form>").next().unwrap();
            assert!(!form.contains("Not yours."), "{form}");
        }
        // Sent by a page that signed the row's item itself (it did not offer it), or by a page
        // that offered it plain where this one signs it: the row is found all the same.
        let nine = crate::bound::sign_with(&key, Archive::PATH, "9");
        for (flash, row) in [(refused(&nine), nine.as_str()), (refused("9"), "9.")] {
            let html = rows(false, &key, Some(flash));
            assert_eq!(html.matches("role=\"alert\"").count(), 1, "{html}");
            let after = html.split(&format!(r#"value="{row}"#)).nth(1).unwrap();
            let row = after.split("</li>").next().unwrap();
            assert!(row.contains(">Not yours.</p>"), "{row}");
        }
        // Another action's flash, or another row's item, shows nowhere.
        let other = Flash {
            action: "/api/other".to_owned(),
            ..refused("8")
        };
        for flash in [other, refused("10")] {
            let html = rows(false, &key, Some(flash));
            assert!(!html.contains("Not yours."), "{html}");
        }
    }
}
