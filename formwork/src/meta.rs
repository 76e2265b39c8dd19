//! The document's `<title>`, safe for text a user wrote.
//!
//! **Use [`Title`] from here, never `leptos_meta::Title`.** leptos_meta 0.8 (checked up to
//! 0.8.7) renders the title on the server by pasting its text between `<title>` and
//! `</title>` in `ServerMetaContextOutput::inject_meta_context` (`leptos_meta/src/lib.rs`:
//! `buf.push_str("<title>"); buf.push_str(&title); …`) without escaping it. Every other text
//! it renders goes through tachys' escaping, so nothing warns about this one. A post titled
//! `</title><meta http-equiv="refresh" content="0;url=…"><title>` closes the title and puts a
//! redirect in every visitor's `<head>`; a nonce CSP stops injected scripts, not a `<meta>`
//! refresh, a form or a link. Upstream bug, as we would file it:
//!
//! > leptos_meta: `<Title text=…/>` is not HTML-escaped in server-rendered output.
//! > `inject_meta_context` writes `TitleContext::as_string()` into the `<head>` verbatim, so a
//! > title built from user input can close `</title>` and inject elements into `<head>`.
//! > In the browser `document.title` is set as text, so only SSR is affected. Expected: the
//! > text is escaped like any other text node (`&`, `<`, `>`).
//!
//! This component escapes the text on the server before leptos_meta sees it, and passes it
//! unchanged in the browser, where `document.title` takes text. The formatter (`"{} · Site"`)
//! is the app's own code and receives the escaped text; what it adds is not escaped, so it
//! should add only the app's own words. The workspace's `clippy.toml` forbids
//! `leptos_meta::Title`, so a page cannot reach for it by habit.

use leptos::{prelude::*, text_prop::TextProp};
use leptos_meta::Formatter;

/// Sets the document's title: `<Title text=post.title.clone()/>`, and once at the root
/// `<Title formatter=|page: String| format!("{page} · My site")/>`. Unlike
/// `leptos_meta::Title`, the text may be anything a user wrote.
#[component]
pub fn Title(
    /// A function applied to every page's text (the site's name around it). It receives the
    /// text as it will be written into the page.
    #[prop(optional, into)]
    formatter: Option<Formatter>,
    /// The page's title.
    #[prop(optional, into)]
    text: Option<TextProp>,
) -> impl IntoView {
    // The same test leptos_meta makes: with a server context the text is written into the
    // HTML (escape it); without one it becomes `document.title` (text already).
    let server = use_context::<leptos_meta::ServerMetaContext>().is_some();
    let text = text.map(|text| match server {
        true => TextProp::from(move || escape_text(&text.get())),
        false => text,
    });
    #[allow(clippy::disallowed_methods)] // the one place that may: it escapes first
    leptos_meta::Title(leptos_meta::TitleProps { formatter, text })
}

/// `text` as HTML text content: `&`, `<` and `>` escaped (in a `<title>`, the only way out is
/// `</title>`; quotes are escaped too, so the same text is safe in an attribute).
pub fn escape_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    escape_into(&mut escaped, text);
    escaped
}

/// [`escape_text`], onto the end of `html`.
pub(crate) fn escape_into(html: &mut String, text: &str) {
    let mut from = 0;
    for (at, byte) in text.bytes().enumerate() {
        let escaped = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        // An ASCII byte: `at` and `at + 1` are character boundaries.
        html.push_str(&text[from..at]);
        html.push_str(escaped);
        from = at + 1;
    }
    html.push_str(&text[from..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_a_title_stays_text() {
        assert_eq!(
            escape_text(r#"</title><meta http-equiv="refresh" content='0'>&amp;"#),
            "&lt;/title&gt;&lt;meta http-equiv=&quot;refresh&quot; content=&#39;0&#39;&gt;&amp;amp;"
        );
        assert_eq!(escape_text("Plain words · ✓"), "Plain words · ✓");
        // Around and between characters of several bytes, at both ends.
        assert_eq!(
            escape_text("'Élan'<ß>\"🙂\"&"),
            "&#39;Élan&#39;&lt;ß&gt;&quot;🙂&quot;&amp;"
        );
        assert_eq!(escape_text(""), "");
    }
}

/// What formwork needs in every document's `<head>`: formwork's browser runtime
/// ([`crate::runtime`]), the islands' hydration script (which the runtime starts only on a
/// page that has an island), the reload script of `cargo leptos watch`, and where the live stream stood at this render
/// ([`LivePosition`](crate::live::LivePosition)). On the server it also gives the page a fresh
/// nonce and a Content-Security-Policy that lets only the site's own files and this page's
/// own inline script run, and carries the app's overrides of formwork's sentences
/// ([`crate::messages`]) to the browser side:
///
/// `default-src 'self'; script-src 'self' 'nonce-…' 'wasm-unsafe-eval'; style-src 'self';
/// img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none';
/// form-action 'self'; frame-ancestors 'none'`
#[component]
pub fn Scripts(
    /// Leptos' options, as the shell receives them.
    options: LeptosOptions,
) -> impl IntoView {
    #[cfg(feature = "ssr")]
    page_policy();
    // The app's overrides of formwork's sentences, for the browser side (a data block: no
    // script runs, so the page's policy needs no nonce for it).
    #[cfg(feature = "ssr")]
    let messages = crate::messages::page_json().map(|json| {
        view! {
            <script
                type="application/json"
                id=crate::protocol::MESSAGES_ELEMENT_ID
                nonce=leptos::nonce::use_nonce()
                inner_html=json
            ></script>
        }
    });
    #[cfg(not(feature = "ssr"))]
    let messages: Option<()> = None;
    // The runtime, and the islands' script inert in a template: the runtime starts it only on
    // a page that has an island, so a page without one fetches no WASM at all. Without the
    // runtime (an app that does not provide formwork's context), the islands' script as is.
    // The islands' script is what leptos' `HydrationScripts` renders, made once (see `Head`).
    #[cfg(feature = "ssr")]
    let runtime = use_context::<crate::runtime::Runtime>()
        .map(|runtime| (runtime.src(), runtime.head.islands_script(&options)));
    #[cfg(not(feature = "ssr"))]
    let runtime: Option<(std::sync::Arc<str>, String)> = None;
    let scripts = match runtime {
        Some((src, islands)) => leptos::either::Either::Left(view! {
            <script type="module" src=src nonce=leptos::nonce::use_nonce()></script>
            <template id=crate::protocol::ISLANDS_TEMPLATE_ID inner_html=islands></template>
        }),
        None => leptos::either::Either::Right(
            view! { <HydrationScripts options=options.clone() islands=true/> },
        ),
    };
    view! {
        <AutoReload options=options/>
        {messages}
        {scripts}
        <crate::live::LivePosition/>
    }
}

/// The site's stylesheet (cargo-leptos' `style-file`) under its hashed name: leptos_meta's
/// `HashedStylesheet`, rendered once per app instead of once per page (which reads the hash
/// file each time). Put it in the shell's `<head>`: `<Stylesheet options id="leptos"/>`.
#[component]
pub fn Stylesheet(
    /// Leptos' options, as the shell receives them.
    options: LeptosOptions,
    /// The `id` of the `<link>` element.
    #[prop(optional, into)]
    id: Option<String>,
) -> impl IntoView {
    #[cfg(feature = "ssr")]
    return {
        let props = leptos_meta::HashedStylesheetProps {
            options,
            id,
            root: None,
        };
        // Without formwork's context, leptos_meta's component as it is.
        match use_context::<crate::runtime::Runtime>() {
            Some(runtime) => leptos::either::Either::Left(leptos::tachys::html::InertElement::new(
                runtime.head.stylesheet(props),
            )),
            None => leptos::either::Either::Right(leptos_meta::HashedStylesheet(props)),
        }
    };
    // The shell is rendered on the server only.
    #[cfg(not(feature = "ssr"))]
    {
        let _ = (options, id);
    }
}

/// What leptos renders into every page's `<head>` from the site's files, made once per app
/// (carried by its [`Runtime`](crate::runtime::Runtime)) instead of once per page.
///
/// leptos' `HydrationScripts` (0.8.23, `hydration/mod.rs`) and leptos_meta's
/// `HashedStylesheet` (0.8.7) resolve the executable's path, check for and read cargo-leptos'
/// hash file on every render: system calls that took about 4% of a page's CPU each (perf with
/// DWARF call graphs, `GET /posts` as `bench/run.sh` loads it). Their markup changes only
/// with the site's files, so each is rendered once by the component itself and kept.
///
/// The islands' script is rendered with a nonce of its own, which each page's nonce then
/// replaces. What else `HydrationScripts` does to the render is done on every page: it hands
/// on the split WASM's manifest (lazy islands preload their chunks from it) and tells the
/// render that what follows is not hydrated.
#[cfg(feature = "ssr")]
#[derive(Default, Debug)]
pub(crate) struct Head {
    islands: std::sync::OnceLock<IslandsScript>,
    /// By the `<link>`'s id.
    stylesheets: std::sync::Mutex<std::collections::HashMap<Option<String>, String>>,
}

#[cfg(feature = "ssr")]
#[derive(Debug)]
struct IslandsScript {
    html: String,
    /// The nonce it was rendered with (replaced by each page's).
    nonce: String,
    manifest: Option<leptos::WasmSplitManifest>,
}

#[cfg(feature = "ssr")]
impl Head {
    /// The islands' script for the page being rendered, with its nonce; also provides what
    /// `HydrationScripts` provides.
    fn islands_script(&self, options: &LeptosOptions) -> String {
        let rendered = self.islands.get_or_init(|| {
            Owner::new().with(|| {
                let nonce = leptos::nonce::Nonce::new();
                provide_context(nonce.clone());
                let options = options.clone();
                let html = view! { <HydrationScripts options islands=true/> }.to_html();
                IslandsScript {
                    html,
                    nonce: nonce.to_string(),
                    manifest: use_context::<leptos::WasmSplitManifest>(),
                }
            })
        });
        if let Some(manifest) = &rendered.manifest {
            provide_context(manifest.clone());
        }
        if let Some(shared) = Owner::current_shared_context() {
            shared.set_is_hydrating(false);
        }
        match leptos::nonce::use_nonce() {
            Some(nonce) => rendered.html.replace(&rendered.nonce, &nonce),
            None => rendered.html.clone(),
        }
    }

    /// The stylesheet's `<link>`.
    fn stylesheet(&self, props: leptos_meta::HashedStylesheetProps) -> String {
        let mut kept = crate::cache::unpoisoned(self.stylesheets.lock());
        kept.entry(props.id.clone())
            .or_insert_with(|| Owner::new().with(|| leptos_meta::HashedStylesheet(props).to_html()))
            .clone()
    }
}

/// A fresh nonce for this page's scripts, and the policy that allows only them.
#[cfg(feature = "ssr")]
fn page_policy() {
    leptos::nonce::provide_nonce();
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    // A hole in the page, if the page is shared (see `page_cache`).
    crate::page_cache::note_nonce(&nonce.to_string());
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// A whole HTML document, for an app's `shell` that needs nothing more in its `<head>` than
/// formwork's [`Scripts`], a character set, a viewport and a title:
/// `view! { <Document options title="My site"><App/></Document> }`.
#[component]
pub fn Document(
    /// Leptos' options, as the shell receives them.
    options: LeptosOptions,
    /// The document's title (the app's own words).
    title: &'static str,
    /// The language of the page (`en` unless said otherwise).
    #[prop(default = "en")]
    lang: &'static str,
    /// The address of the site's icon (`/favicon.svg`). Without one the page declares an empty
    /// icon, so that browsers do not ask for a `/favicon.ico` the site does not have.
    #[prop(default = "data:,")]
    icon: &'static str,
    /// The body: the app.
    children: Children,
) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang=lang>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>{title}</title>
                <link rel="icon" href=icon/>
                <Scripts options/>
            </head>
            <body>{children()}</body>
        </html>
    }
}
