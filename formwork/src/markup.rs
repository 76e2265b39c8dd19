//! Markup written when the page is rendered, not when its view is made.
//!
//! On the server Leptos may make a view several times for one page: a `Suspense` calls its
//! children once to find what they wait for and again to render them (measured on `/posts`:
//! the list's components run three times a request), and only the last one is written out.
//! Work done in a component's body is done each time; work done while writing, once. The
//! final forms and row buttons (see `form::final_render`) build their markup here, straight
//! into the page's buffer.

use leptos::tachys::{
    html::{attribute::any_attribute::AnyAttribute, attribute::Attribute, InertElement},
    hydration::Cursor,
    view::{add_attr::AddAnyAttr, Position, PositionState, Render, RenderHtml},
};

/// Markup that `write` appends to the page when it is rendered: about `len` bytes of it,
/// trusted as it is (whoever writes it escapes what needs escaping). In a browser it is what
/// [`InertElement`] is: one element made from that markup.
pub(crate) struct Markup<F> {
    write: F,
    len: usize,
}

impl<F> Markup<F>
where
    F: FnOnce(&mut String) + Send + 'static,
{
    pub(crate) fn new(len: usize, write: F) -> Self {
        Self { write, len }
    }

    fn into_inert(self) -> InertElement {
        let mut html = String::with_capacity(self.len);
        (self.write)(&mut html);
        InertElement::new(html)
    }
}

impl<F> Render for Markup<F>
where
    F: FnOnce(&mut String) + Send + 'static,
{
    type State = <InertElement as Render>::State;

    fn build(self) -> Self::State {
        self.into_inert().build()
    }

    fn rebuild(self, state: &mut Self::State) {
        self.into_inert().rebuild(state)
    }
}

/// Attributes spread onto it have no effect, as for text (tachys' `no_attrs`).
impl<F> AddAnyAttr for Markup<F>
where
    F: FnOnce(&mut String) + Send + 'static,
{
    type Output<SomeNewAttr: Attribute> = Self;

    fn add_any_attr<NewAttr: Attribute>(self, _attr: NewAttr) -> Self::Output<NewAttr> {
        self
    }
}

impl<F> RenderHtml for Markup<F>
where
    F: FnOnce(&mut String) + Send + 'static,
{
    type AsyncOutput = Self;
    type Owned = Self;

    const MIN_LENGTH: usize = 0;

    fn html_len(&self) -> usize {
        self.len
    }

    fn dry_resolve(&mut self) {}

    async fn resolve(self) -> Self::AsyncOutput {
        self
    }

    fn to_html_with_buf(
        self,
        buf: &mut String,
        position: &mut Position,
        _escape: bool,
        _mark_branches: bool,
        _extra_attrs: Vec<AnyAttribute>,
    ) {
        buf.reserve(self.len);
        (self.write)(buf);
        *position = Position::NextChild;
    }

    fn hydrate<const FROM_SERVER: bool>(
        self,
        cursor: &Cursor,
        position: &PositionState,
    ) -> Self::State {
        self.into_inert().hydrate::<FROM_SERVER>(cursor, position)
    }

    fn into_owned(self) -> Self::Owned {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leptos::prelude::*;

    #[test]
    fn it_is_written_once_when_rendered_and_never_when_only_made() {
        use std::sync::{
            atomic::{AtomicUsize, Ordering::SeqCst},
            Arc,
        };
        let writes = Arc::new(AtomicUsize::new(0));
        let made = |writes: &Arc<AtomicUsize>| {
            let writes = Arc::clone(writes);
            Markup::new(8, move |buf: &mut String| {
                writes.fetch_add(1, SeqCst);
                buf.push_str("<b>x</b>");
            })
        };
        // Made and dropped (a view Leptos makes to look at, then makes again): nothing written.
        let mut looked_at = made(&writes);
        looked_at.dry_resolve();
        drop(looked_at);
        assert_eq!(writes.load(SeqCst), 0);
        let html = view! { <p>"a" {made(&writes)} "b"</p> }.to_html();
        assert_eq!(html, "<p>a<b>x</b>b</p>");
        assert_eq!(writes.load(SeqCst), 1);
    }
}
