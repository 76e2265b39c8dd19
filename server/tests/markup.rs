//! The markup suite: known HTML breakout payloads, stored through every field a user writes,
//! must reach every page that shows them as text and nothing else.
//!
//! The same story runs twice on fresh databases: once with plain words, once with the
//! payloads, each field of each user getting the text of the same index. Every page of both
//! runs is parsed by html5ever (the parser of Servo, through `scraper`), and:
//! - the hostile page's element tree must have the shape of the plain page's (the same
//!   elements with the same attribute names, in the same places; a list of N like items reads
//!   as one, so lists of different lengths compare);
//! - no page has an element or attribute that a payload spells (`fw-injected`,
//!   `data-fw-injected`, `on…` handlers), a `<meta http-equiv>`, a second `<title>`, a
//!   `javascript:` URL, or a script without the page's nonce;
//! - the payload itself is there, as text or as an attribute's value, so a field that lost
//!   its text cannot pass for a safe one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use app::{
    accounts::register::Register, comments::add_comment::AddComment,
    newsletter::subscribe::Subscribe, posts::create_post::CreatePost,
    settings::profile::UpdateProfile, todos::actions::AddTodo,
};
use axum::{
    body::Body,
    http::{header, Request, Response, StatusCode},
    Router,
};
use common::{text, TestDb};
use scraper::{ElementRef, Html, Selector};
use server_fn::ServerFn;
use std::sync::Arc;
use tower::ServiceExt;

/// The payloads: each one tries to leave the place its text is written to (a `<title>`, a
/// `<textarea>`, a `<script>`'s JSON, a double- or single-quoted attribute, a comment, a
/// CDATA section, a URL) and to start markup of its own.
const PAYLOADS: &[&str] = &[
    r#"</title><meta http-equiv="refresh" content="0;url=https://example.org/"><title>"#,
    "</textarea><fw-injected>textarea</fw-injected><textarea>",
    "</script><fw-injected>script</fw-injected><script>alert(1)</script>",
    r#""><fw-injected>double quote</fw-injected><b x=""#,
    "'><fw-injected>single quote</fw-injected><b x='",
    r#"" data-fw-injected="double" onmouseover="alert(1)"#,
    "' data-fw-injected='single' onfocus='alert(1)",
    "javascript:alert(1)",
    "<!--<fw-injected>comment</fw-injected>-->",
    "--><fw-injected>comment end</fw-injected><!--",
    "]]><fw-injected>cdata</fw-injected><![CDATA[",
    "line\u{2028}separator\u{2029}paragraph</script><fw-injected>u2028</fw-injected>",
    "</style><fw-injected>style</fw-injected><style>",
    "<img src=x onerror=alert(1)><fw-injected>img</fw-injected>",
    "<svg onload=alert(1)><fw-injected>svg</fw-injected></svg>",
    "&lt;fw-injected&gt; &amp;amp; &#60;fw-injected&#62; &#x3C;",
    "</noscript><fw-injected>noscript</fw-injected><noscript>",
    "</template><fw-injected>template</fw-injected><template>",
    "{{7*7}} ${7*7} <%= 7*7 %> \"'` =<>&",
    "</h1></a></form><fw-injected>closing everything</fw-injected>",
];

/// The newsletter's address rules allow quotes, `&`, `=`, braces and backticks in the local
/// part: the one hostile address that is accepted and shown.
const HOSTILE_ADDRESS: &str = "o'x&=`{y}|v@example.org";
const PLAIN_ADDRESS: &str = "plain.reader@example.org";

/// A display name is at most 50 characters: the payload's first 50, as it is stored.
fn display_name(text: &str) -> String {
    text.chars().take(50).collect::<String>().trim().to_owned()
}

/// One rendered page: what it is, its HTML, and the texts that must appear on it.
struct Page {
    label: String,
    html: String,
    expected: Vec<String>,
}

/// The site, a browser per user, and every page that shows what the users wrote.
struct Story {
    router: Router,
    pages: Vec<Page>,
}

const FORM: &str = "application/x-www-form-urlencoded";

fn encode(pairs: &[(&str, &str)]) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        form.append_pair(name, value);
    }
    form.finish()
}

impl Story {
    async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(request).await.unwrap()
    }

    /// A call from an island's `fetch`.
    async fn script_post(
        &self,
        path: &str,
        body: &str,
        cookie: Option<&str>,
        user_agent: &str,
    ) -> Response<Body> {
        let mut request = Request::post(path)
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, FORM)
            // As a browser sends it: bytes, not necessarily ASCII.
            .header(
                header::USER_AGENT,
                header::HeaderValue::from_bytes(user_agent.as_bytes()).unwrap(),
            )
            .header("sec-fetch-site", "same-origin");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(body.to_owned())).unwrap())
            .await
    }

    /// A plain form post without JavaScript, from the page at `referer`.
    async fn form_post(
        &self,
        path: &str,
        body: &str,
        cookie: &str,
        referer: &str,
    ) -> Response<Body> {
        self.send(
            Request::post(path)
                .header(header::ACCEPT, "text/html")
                .header(header::CONTENT_TYPE, FORM)
                .header(header::REFERER, format!("http://127.0.0.1:3000{referer}"))
                .header("sec-fetch-site", "same-origin")
                .header(header::COOKIE, cookie)
                .body(Body::from(body.to_owned()))
                .unwrap(),
        )
        .await
    }

    /// Renders `path` as a browser with `cookie` sees it (and `extra` headers), and keeps it.
    async fn render(
        &mut self,
        label: String,
        path: &str,
        cookie: &str,
        extra: &[(&str, &str)],
        expected: Vec<String>,
    ) -> String {
        let mut request = Request::get(path)
            .header(header::ACCEPT, "text/html")
            .header(header::COOKIE, cookie);
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        let response = self.send(request.body(Body::empty()).unwrap()).await;
        assert_eq!(response.status(), StatusCode::OK, "{label}: GET {path}");
        let html = text(response).await;
        self.pages.push(Page {
            label,
            html: html.clone(),
            expected,
        });
        html
    }

    /// A plain form post that fails, and the page it comes back to with its input kept.
    async fn failed_post(
        &mut self,
        label: String,
        action: &str,
        body: &str,
        cookie: &str,
        back: &str,
        expected: Vec<String>,
    ) {
        let response = self.form_post(action, body, cookie, back).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{label}");
        let flash = common::set_cookie(&response, "fw_flash").expect("a flash cookie");
        self.render(label, back, &format!("{cookie}; {flash}"), &[], expected)
            .await;
    }
}

/// The value of the first field called `name` on a page.
fn field_value(html: &str, name: &str) -> String {
    let document = Html::parse_document(html);
    let selector = Selector::parse(&format!("[name=\"{name}\"]")).unwrap();
    document
        .select(&selector)
        .next()
        .and_then(|field| field.value().attr("value"))
        .unwrap_or_else(|| panic!("no field {name}"))
        .to_owned()
}

async fn json(response: Response<Body>) -> serde_json::Value {
    let status = response.status();
    let body = text(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// Every user writes `texts[i]` into every field; returns every page that shows them.
async fn tell(texts: &[String], address: &str) -> (TestDb, Vec<Page>) {
    let db = TestDb::sqlite().await;
    let stores = db.stores().await;
    let router = common::router_with(
        stores,
        Arc::new(formwork::rate_limit::Unlimited),
        &["--flash-secret", "markup-secret-markup-secret-markup!"],
    )
    .await;
    let mut story = Story {
        router,
        pages: Vec::new(),
    };
    let mut slugs = Vec::new();
    let mut cookies = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        // Registering reads the User-Agent that the session list shows.
        let registration = encode(&[
            ("username", &format!("writer{i}")),
            ("email", &format!("writer{i}@example.org")),
            ("password", "correct horse battery staple"),
        ]);
        let response = story
            .script_post(Register::PATH, &registration, None, text)
            .await;
        assert_eq!(response.status(), StatusCode::OK, "register writer{i}");
        let cookie = common::set_cookie(&response, "fw_session").expect("registering signs in");

        let name = display_name(text);
        let body = encode(&[("display_name", &name)]);
        json(
            story
                .script_post(UpdateProfile::PATH, &body, Some(&cookie), "t")
                .await,
        )
        .await;

        let body = encode(&[("title", text), ("content", text)]);
        let published = json(
            story
                .script_post(CreatePost::PATH, &body, Some(&cookie), "t")
                .await,
        )
        .await;
        let slug = published["slug"].as_str().unwrap().to_owned();

        let post_page = story
            .render(
                format!("post page, before its comment (#{i})"),
                &format!("/posts/{slug}"),
                &cookie,
                &[],
                vec![text.clone(), name.clone()],
            )
            .await;
        let body = encode(&[("post", &field_value(&post_page, "post")), ("body", text)]);
        json(
            story
                .script_post(AddComment::PATH, &body, Some(&cookie), "t")
                .await,
        )
        .await;

        let body = encode(&[("title", text)]);
        json(
            story
                .script_post(AddTodo::PATH, &body, Some(&cookie), "t")
                .await,
        )
        .await;
        slugs.push(slug);
        cookies.push((cookie, name));
    }

    for (i, (text, (slug, (cookie, name)))) in
        texts.iter().zip(slugs.iter().zip(&cookies)).enumerate()
    {
        let both = vec![text.clone(), name.clone()];
        let post = format!("/posts/{slug}");
        let search = format!("/search?{}", encode(&[("q", text)]));
        // A User-Agent is kept when it is text (ASCII, as browsers send it).
        let agent = if text.is_ascii() {
            vec![text.clone()]
        } else {
            Vec::new()
        };
        let refresh: &[(&str, &str)] = &[(formwork::protocol::REFRESH_HEADER, "1")];
        // (what, where, as whom, extra headers, what must be on it)
        let pages = [
            (
                "post page",
                post.clone(),
                cookie.as_str(),
                &[][..],
                both.clone(),
            ),
            (
                "post page as a region refresh",
                post.clone(),
                cookie,
                refresh,
                both.clone(),
            ),
            ("post page, signed out", post.clone(), "", &[], both),
            (
                "edit page",
                format!("{post}/edit"),
                cookie,
                &[],
                vec![text.clone()],
            ),
            (
                "todos",
                "/todos".to_owned(),
                cookie,
                &[],
                vec![text.clone()],
            ),
            (
                "sessions on /settings",
                "/settings".to_owned(),
                cookie,
                &[],
                agent,
            ),
            (
                "profile",
                "/settings/profile".to_owned(),
                cookie,
                &[],
                vec![name.clone()],
            ),
            ("search", search, cookie, &[], vec![text.clone()]),
        ];
        for (what, path, cookie, extra, expected) in pages {
            story
                .render(format!("{what} (#{i})"), &path, cookie, extra, expected)
                .await;
        }

        // Without JavaScript a refused form comes back with its input: in an attribute, in a
        // textarea, and in the message of the flash.
        let body = encode(&[("title", text), ("content", " ")]);
        story
            .failed_post(
                format!("refused post keeps its title (#{i})"),
                CreatePost::PATH,
                &body,
                cookie,
                "/posts",
                vec![text.clone()],
            )
            .await;
        let body = encode(&[("title", " "), ("content", text)]);
        story
            .failed_post(
                format!("refused post keeps its text (#{i})"),
                CreatePost::PATH,
                &body,
                cookie,
                "/posts",
                vec![text.clone()],
            )
            .await;
        let body = encode(&[("email", text)]);
        story
            .failed_post(
                format!("refused address keeps its input (#{i})"),
                Subscribe::PATH,
                &body,
                cookie,
                "/newsletter",
                vec![text.clone()],
            )
            .await;
    }

    // The live stream's refusal of a path it cannot serve is plain text, never sniffed as
    // HTML, whatever the path held.
    for text in texts {
        let query = encode(&[("path", &format!("/{text}")), ("tags", "posts")]);
        let response = story
            .send(
                Request::get(format!("{}?{query}", formwork::protocol::LIVE_PATH))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        let headers = response.headers().clone();
        let status = response.status();
        if status == StatusCode::BAD_REQUEST {
            assert_eq!(headers[header::CONTENT_TYPE], "text/plain; charset=utf-8");
        } else {
            assert_eq!(status, StatusCode::OK);
            assert_eq!(headers[header::CONTENT_TYPE], "text/event-stream");
        }
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }

    let (cookie, _) = &cookies[0];
    story
        .render(
            "the post list".into(),
            "/posts",
            cookie,
            &[],
            texts.to_vec(),
        )
        .await;
    story
        .render(
            "the post list, signed out".into(),
            "/posts",
            "",
            &[],
            texts.to_vec(),
        )
        .await;
    // An address the rules accept, subscribed, then subscribed again: both answers name it.
    let body = encode(&[("email", address)]);
    for label in ["subscribed", "already subscribed"] {
        let response = story
            .form_post(Subscribe::PATH, &body, cookie, "/newsletter")
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let flash = common::set_cookie(&response, "fw_flash").expect("a flash cookie");
        story
            .render(
                format!("newsletter, {label}"),
                "/newsletter",
                &format!("{cookie}; {flash}"),
                &[],
                vec![address.to_owned()],
            )
            .await;
    }
    (db, story.pages)
}

/// An element's shape: its name, its attributes' names, and its children's shapes, where a run
/// of children of one shape counts once (lists of any length compare). `<mark>` (a search
/// hit) is left out: where it falls depends on the words.
fn shape(element: ElementRef) -> String {
    let mut names: Vec<&str> = element.value().attrs().map(|(name, _)| name).collect();
    names.sort_unstable();
    let mut children: Vec<String> = Vec::new();
    for child in element.children().filter_map(ElementRef::wrap) {
        if child.value().name() == "mark" {
            continue;
        }
        let child = shape(child);
        if children.last() != Some(&child) {
            children.push(child);
        }
    }
    format!(
        "{}[{}]({})",
        element.value().name(),
        names.join(","),
        children.join(" ")
    )
}

/// What no page may hold, whatever its data: the marks of a payload that became markup.
fn assert_nothing_injected(label: &str, document: &Html) {
    let all = Selector::parse("*").unwrap();
    let mut titles = 0;
    let nonces: Vec<&str> = document
        .select(&Selector::parse("script").unwrap())
        .map(|script| script.value().attr("nonce").unwrap_or(""))
        .collect();
    for element in document.select(&all) {
        let name = element.value().name();
        assert_ne!(name, "fw-injected", "{label}: an injected element");
        if name == "title" {
            titles += 1;
        }
        if name == "meta" {
            assert!(
                element.value().attr("http-equiv").is_none(),
                "{label}: a <meta http-equiv> in the page"
            );
        }
        for (attribute, value) in element.value().attrs() {
            assert!(
                !attribute.contains("fw-injected") && !attribute.starts_with("on"),
                "{label}: an injected attribute {attribute}=\"{value}\" on <{name}>"
            );
            if matches!(attribute, "href" | "src" | "action" | "formaction") {
                assert!(
                    !value.trim().to_ascii_lowercase().starts_with("javascript:"),
                    "{label}: a javascript: URL in {attribute}"
                );
            }
        }
    }
    assert_eq!(titles, 1, "{label}: exactly one <title>");
    let head_title = Selector::parse("head > title").unwrap();
    assert_eq!(
        document.select(&head_title).count(),
        1,
        "{label}: the title is in <head>"
    );
    // Every script carries the page's nonce: one the payload wrote would not have it.
    assert!(
        nonces
            .iter()
            .all(|nonce| !nonce.is_empty() && *nonce == nonces[0]),
        "{label}: a script without the page's nonce: {nonces:?}"
    );
}

/// The text of a page (all its text nodes, in order) and its attributes' values.
fn contents(document: &Html) -> (String, Vec<String>) {
    let text = document.root_element().text().collect::<String>();
    let values = document
        .select(&Selector::parse("*").unwrap())
        .flat_map(|element| {
            element
                .value()
                .attrs()
                .map(|(_, value)| value.to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    (text, values)
}

#[tokio::test]
async fn what_users_write_reaches_every_page_as_text_and_never_as_markup() {
    let hostile: Vec<String> = PAYLOADS.iter().map(|p| (*p).to_owned()).collect();
    let plain: Vec<String> = (0..PAYLOADS.len())
        .map(|i| format!("Plain words q{i}x"))
        .collect();
    let (plain_db, plain_pages) = tell(&plain, PLAIN_ADDRESS).await;
    let (hostile_db, hostile_pages) = tell(&hostile, HOSTILE_ADDRESS).await;
    assert_eq!(plain_pages.len(), hostile_pages.len());

    for (plain, hostile) in plain_pages.iter().zip(&hostile_pages) {
        assert_eq!(plain.label, hostile.label);
        let label = &hostile.label;
        let plain_doc = Html::parse_document(&plain.html);
        let hostile_doc = Html::parse_document(&hostile.html);
        assert_nothing_injected(&format!("{label} (plain words)"), &plain_doc);
        assert_nothing_injected(label, &hostile_doc);
        assert_eq!(
            shape(hostile_doc.root_element()),
            shape(plain_doc.root_element()),
            "{label}: the payload changed the page's element tree"
        );
        // The payload is there, as text (the title, a heading, a message) or as the value a
        // field holds: stored and shown, not dropped.
        let (text, values) = contents(&hostile_doc);
        for expected in &hostile.expected {
            assert!(
                text.contains(expected.as_str())
                    || values.iter().any(|v| v.contains(expected.as_str())),
                "{label}: {expected:?} is not on the page"
            );
        }
    }

    // The page title of a post is its title, character for character.
    let post = hostile_pages
        .iter()
        .find(|page| page.label == "post page (#0)")
        .unwrap();
    let document = Html::parse_document(&post.html);
    let title = document
        .select(&Selector::parse("title").unwrap())
        .next()
        .unwrap()
        .text()
        .collect::<String>();
    assert_eq!(title, format!("{} · Formwork", PAYLOADS[0]));

    println!(
        "markup suite: {} payloads through post titles and texts, comments, display names, \
         todos, search queries, newsletter addresses and User-Agents; {} pages rendered and \
         parsed per run: {}",
        PAYLOADS.len(),
        hostile_pages.len(),
        page_kinds(&hostile_pages)
    );
    plain_db.drop_database().await;
    hostile_db.drop_database().await;
}

/// The kinds of page rendered, without the payload's index.
fn page_kinds(pages: &[Page]) -> String {
    let mut kinds: Vec<&str> = pages
        .iter()
        .map(|page| page.label.split(" (#").next().unwrap_or(&page.label))
        .collect();
    kinds.dedup();
    kinds.sort_unstable();
    kinds.dedup();
    kinds.join("; ")
}
