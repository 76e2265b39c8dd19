//! Black-box tests of the HTTP stack: pages, actions with and without JavaScript, and what a
//! hostile or broken client gets back. In-process (`oneshot`), on a fresh SQLite database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use app::posts::{create_post::CreatePost, delete_post::DeletePost, edit_post::UpdatePost};
use axum::{
    body::Body,
    http::{header, Request, Response, StatusCode},
    Router,
};
use common::{text, TestDb};
use server_fn::ServerFn;
use tower::ServiceExt;

struct TestApp {
    router: Router,
    db: TestDb,
    /// The session cookie (`fw_session=…`) of the signed-in user the helpers act as.
    session: String,
}

/// The server's signing secret in these tests, so that a test can bind values as a page would.
const SECRET: &str = "test-secret-test-secret-test-secret!";

impl TestApp {
    /// The site on a fresh database, and a signed-in user ("tester") whose browser the
    /// helpers below are.
    async fn spawn() -> Self {
        let db = TestDb::sqlite().await;
        let stores = db.stores().await;
        let (_, session) = common::signed_in(&stores, "tester", app::roles::Role::User).await;
        let router = common::router(
            stores,
            &["--action-body-limit", "4096", "--flash-secret", SECRET],
        )
        .await;
        Self {
            router,
            db,
            session,
        }
    }

    /// The browser's cookies: the session, and `extra` (`name=value`) if given.
    fn cookies(&self, extra: Option<&str>) -> String {
        match extra {
            Some(extra) => format!("{}; {extra}", self.session),
            None => self.session.clone(),
        }
    }

    /// A value bound to the action at `path`, signed as the server signs it into its forms.
    fn bind(path: &str, value: impl std::fmt::Display) -> String {
        let key = formwork::signing::SigningKey::new(SECRET.as_bytes()).unwrap();
        formwork::bound::sign_with(&key, path, &value.to_string())
    }

    async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(request).await.unwrap()
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let response = self.get_with_cookie(path, None).await;
        let status = response.status();
        (status, text(response).await)
    }

    /// A page view that is rendered, never served from memory: each one carries a cookie no
    /// other view has (see `formwork::page_cache`).
    async fn render(&self, path: &str) -> (StatusCode, String) {
        static VIEWS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = VIEWS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let response = self.get_with_cookie(path, Some(&format!("view={n}"))).await;
        let status = response.status();
        (status, text(response).await)
    }

    /// A page view, as the signed-in user's browser sends it, optionally carrying another
    /// cookie (`name=value`).
    async fn get_with_cookie(&self, path: &str, cookie: Option<&str>) -> Response<Body> {
        let request = Request::get(path)
            .header(header::ACCEPT, "text/html")
            .header(header::COOKIE, self.cookies(cookie));
        self.send(request.body(Body::empty()).unwrap()).await
    }

    /// A plain HTML form post, as the signed-in user's browser sends it without JavaScript.
    async fn form_post(&self, path: &str, body: &str, referer: &str) -> Response<Body> {
        self.send(
            Request::post(path)
                .header(header::ACCEPT, "text/html,application/xhtml+xml")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::REFERER, format!("http://127.0.0.1:3000{referer}"))
                .header("sec-fetch-site", "same-origin")
                .header(header::COOKIE, self.cookies(None))
                .body(Body::from(body.to_owned()))
                .unwrap(),
        )
        .await
    }

    /// The page a plain form post redirected to, opened with the flash cookie it set.
    async fn page_after(&self, response: &Response<Body>, path: &str) -> String {
        let cookie = flash_cookie(response).expect("a flash cookie");
        text(self.get_with_cookie(path, Some(&cookie)).await).await
    }

    /// A call from the island's `fetch` in the signed-in user's browser.
    async fn script_post(&self, path: &str, content_type: &str, body: &str) -> Response<Body> {
        self.send(
            Request::post(path)
                .header(header::ACCEPT, "application/json")
                .header(header::CONTENT_TYPE, content_type)
                .header("sec-fetch-site", "same-origin")
                .header(header::COOKIE, self.cookies(None))
                .body(Body::from(body.to_owned()))
                .unwrap(),
        )
        .await
    }
}

async fn json(response: Response<Body>) -> serde_json::Value {
    serde_json::from_str(&text(response).await).unwrap()
}

fn location(response: &Response<Body>) -> &str {
    response
        .headers()
        .get(header::LOCATION)
        .unwrap()
        .to_str()
        .unwrap()
}

const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test]
async fn health_check_reports_the_backend() {
    let app = TestApp::spawn().await;
    let response = app
        .send(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        json(response).await,
        serde_json::json!({"status": "ok", "backend": "sqlite"})
    );
    app.db.drop_database().await;
}

#[tokio::test]
async fn the_posts_page_is_server_rendered_with_its_data() {
    let app = TestApp::spawn().await;
    let (status, html) = app.get("/posts").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No posts here yet."), "{html}");
    // The form is plain markup, which formwork's runtime enhances: no island, no WASM.
    assert!(!html.contains("<leptos-island"), "{html}");
    assert!(html.contains(r#"data-fw-form="action""#), "{html}");
    assert!(html.contains(&format!("action=\"{}\"", CreatePost::PATH)));

    let response = app
        .form_post(
            CreatePost::PATH,
            "title=First+post&content=Hello+%3Cworld%3E",
            "/posts",
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get("/posts").await;
    assert!(html.contains("First post"));
    assert!(html.contains("Hello &lt;world&gt;"), "content is escaped");
    assert!(!html.contains("No posts here yet."));
    app.db.drop_database().await;
}

/// What `start` and `end` enclose in `text`, the first time.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).map(|i| i + start.len()).expect(start);
    let to = text[from..].find(end).expect(end);
    &text[from..from + to]
}

#[tokio::test]
async fn every_page_loads_the_runtime_which_is_served_from_memory_for_a_year() {
    let app = TestApp::spawn().await;
    let (_, html) = app.get("/posts").await;
    let src = between(&html, r#"<script type="module" src=""#, "\"").to_owned();
    assert!(
        src.starts_with("/_formwork/runtime-") && src.ends_with(".js"),
        "{src}"
    );
    let (_, contact) = app.get("/contact").await;
    assert!(contact.contains(&src), "one runtime for every page");

    let response = app
        .send(
            Request::get(&src)
                .header(header::ACCEPT_ENCODING, "gzip, br")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers();
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(headers[header::CACHE_CONTROL], formwork::assets::IMMUTABLE);
    assert_eq!(headers[header::CONTENT_ENCODING], "br");
    // The app's own sentences are in it (its override of the form's summary).
    let plain = app
        .send(Request::get(&src).body(Body::empty()).unwrap())
        .await;
    let script = text(plain).await;
    assert!(
        script.starts_with("const MESSAGES = {"),
        "{}",
        &script[..200]
    );
    assert!(
        script.contains("Some fields need attention"),
        "{}",
        &script[..600]
    );
    app.db.drop_database().await;
}

/// Where the runtime's post of `body` to `create_post` goes next: it must be answered `204`
/// with the place in its header, never a `Location`.
async fn runtime_post(app: &TestApp, body: &str) -> (Response<Body>, String) {
    let request = Request::post(CreatePost::PATH)
        .header(header::ACCEPT, "text/html")
        .header(formwork::protocol::ENHANCED_HEADER, "1")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::REFERER, "http://127.0.0.1:3000/posts")
        .header("sec-fetch-site", "same-origin")
        .header(header::COOKIE, app.cookies(None))
        .body(Body::from(body.to_owned()))
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(!response.headers().contains_key(header::LOCATION));
    let next = response.headers()[formwork::protocol::LOCATION_HEADER]
        .to_str()
        .unwrap()
        .to_owned();
    (response, next)
}

#[tokio::test]
async fn the_runtime_posts_a_form_as_a_browser_does_and_is_told_where_to_go_next() {
    let app = TestApp::spawn().await;
    // Published and back to the list: 204, the place in a header, what changed beside it.
    let (response, next) =
        runtime_post(&app, "__fw_return=%2Fposts&title=Quiet&content=No+reload").await;
    assert_eq!(next, "/posts");
    let headers = response.headers();
    assert_eq!(headers[formwork::protocol::REVALIDATED_HEADER], "tag:posts");
    assert!(headers.contains_key(formwork::protocol::REVALIDATION_ID_HEADER));
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    // The page it fetches next takes the flash: the form says so, the list shows the post.
    let html = app.page_after(&response, "/posts").await;
    assert!(
        html.contains(r#"class="form-success">Published "#),
        "{html}"
    );
    assert!(html.contains("Quiet"), "{html}");

    // Refused by the rules: back to the form, with the reason and the input, as without it.
    let (response, next) = runtime_post(&app, "__fw_return=%2Fposts&title=+&content=Kept").await;
    assert_eq!(next, "/posts");
    let html = app.page_after(&response, "/posts").await;
    assert!(html.contains("Title cannot be empty."), "{html}");
    assert!(html.contains("Kept"), "{html}");

    // A redirect elsewhere is told the same way.
    let (_, next) = runtime_post(&app, "title=Loud&content=Opened&after=open").await;
    assert_eq!(next, "/posts/loud");
    app.db.drop_database().await;
}

#[tokio::test]
async fn a_form_post_without_javascript_answers_303_to_where_it_came_from() {
    let app = TestApp::spawn().await;
    let response = app
        .form_post(
            CreatePost::PATH,
            "title=Hi&content=There&after=stay",
            "/posts",
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // Back to the Referer's path (the form's own return path is tested below).
    assert_eq!(location(&response), "/posts");
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");

    let response = app
        .form_post(
            CreatePost::PATH,
            "title=Hi&content=Again&after=open",
            "/posts",
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/posts/hi-2");
    let (status, html) = app.get("/posts/hi-2").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Again"));
    app.db.drop_database().await;
}

#[tokio::test]
async fn a_script_call_gets_the_value_or_a_typed_error_with_its_status() {
    let app = TestApp::spawn().await;
    let response = app
        .script_post(CreatePost::PATH, FORM, "title=Typed&content=Body")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        json(response).await,
        serde_json::json!({"slug": "typed", "title": "Typed"})
    );

    let response = app
        .script_post(CreatePost::PATH, FORM, "title=+++&content=")
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        json(response).await,
        serde_json::json!({
            "error": "validation",
            "message": "Some fields need attention: see the notes beside them.",
            "fields": {"title": ["Title cannot be empty."], "content": ["Content cannot be empty."]},
            "form": []
        })
    );

    // Redirects reach a script caller as a header it follows, not as a 3xx.
    let response = app
        .script_post(
            CreatePost::PATH,
            FORM,
            "title=Typed&content=Body&after=open",
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(location(&response), "/posts/typed-2");
    assert!(response
        .headers()
        .contains_key(server_fn::redirect::REDIRECT_HEADER));
    app.db.drop_database().await;
}

#[tokio::test]
async fn pages_carry_the_sites_wording_of_formworks_sentences_to_the_browser() {
    use formwork::{
        messages::{Message, Messages},
        protocol::MESSAGES_ELEMENT_ID,
    };
    let app = TestApp::spawn().await;
    let (status, html) = app.get("/posts").await;
    assert_eq!(status, StatusCode::OK);
    let document = scraper::Html::parse_document(&html);
    let selector = scraper::Selector::parse(&format!(
        "head script#{MESSAGES_ELEMENT_ID}[type='application/json']"
    ))
    .unwrap();
    let carried = document
        .select(&selector)
        .map(|script| script.text().collect::<String>())
        .collect::<Vec<_>>();
    assert_eq!(carried.len(), 1, "{html}");
    let carried = Messages::from_page_json(&carried[0]);
    let site = app::wording::messages();
    assert_eq!(carried, site);
    assert_ne!(
        site.text(Message::FixFields),
        Message::FixFields.english(),
        "the site words it its own way"
    );
    app.db.drop_database().await;
}

#[tokio::test]
async fn malformed_requests_get_a_4xx_never_a_500() {
    let app = TestApp::spawn().await;
    let cases = [
        ("wrong type", FORM, "title=a&content=b&after=sideways"),
        ("JSON to a form action", "application/json", "{\"title\": 1"),
        ("broken urlencoding", FORM, "title=%ZZ&content=x"),
        ("truncated escape", FORM, "title=ok&content=%4"),
        ("not UTF-8", FORM, "title=%FF%FE&content=x"),
        (
            "multipart without a boundary",
            "multipart/form-data",
            "--x\r\n",
        ),
    ];
    for (what, content_type, body) in cases {
        let response = app.script_post(CreatePost::PATH, content_type, body).await;
        let status = response.status();
        let body = json(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
        assert_eq!(body["error"], "bad_request", "{what}: {body}");
        assert!(body["message"].is_string(), "{what}: {body}");
    }
    // A field of the form's schema left out is the user's to fill in: a 422 at the field.
    let response = app.script_post(CreatePost::PATH, FORM, "title=only").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        json(response).await["fields"]["content"],
        serde_json::json!(["Content cannot be empty."])
    );
    let response = app
        .script_post(DeletePost::PATH, FORM, "id=not-a-number")
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // A redirect target that leaves the site is refused, not followed.
    let response = app
        .script_post(DeletePost::PATH, FORM, "id=1&next=%2F%2Fevil.example")
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    app.db.drop_database().await;
}

#[tokio::test]
async fn unknown_actions_and_wrong_methods_are_refused_plainly() {
    let app = TestApp::spawn().await;
    let response = app.script_post("/api/no_such_action", FORM, "").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        json(response).await,
        serde_json::json!({
            "error": "not_found",
            "message": "That action was not found.",
            "what": "That action"
        })
    );

    let response = app
        .send(Request::get(CreatePost::PATH).body(Body::empty()).unwrap())
        .await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()[header::ALLOW], "POST");
    app.db.drop_database().await;
}

#[tokio::test]
async fn oversized_bodies_get_413_before_the_action_runs() {
    let app = TestApp::spawn().await;
    // An action without its own limit has the server's (4 KB in these tests).
    let body = format!("id=1&next={}", "x".repeat(5000));
    let response = app.script_post(DeletePost::PATH, FORM, &body).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        json(response).await,
        serde_json::json!({
            "error": "payload_too_large",
            "message": "This is too large to send: the limit is 4 KB. Make it smaller and try again.",
            "limit_bytes": 4096
        })
    );
    // create_post declares 64 KB: 5 KB is fine, 70 KB is not.
    let body = format!("title=Fine&content={}", "x".repeat(5000));
    let response = app.script_post(CreatePost::PATH, FORM, &body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = format!("title=Big&content={}", "x".repeat(70 * 1024));
    let response = app.script_post(CreatePost::PATH, FORM, &body).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(json(response).await["limit_bytes"], 64 * 1024);
    let (_, html) = app.get("/posts").await;
    assert!(html.contains(">Fine<"), "{html}");
    assert!(!html.contains(">Big<"), "nothing too large was published");
    app.db.drop_database().await;
}

#[tokio::test]
async fn deleting_a_missing_post_is_404_and_deleting_redirects_to_next() {
    let app = TestApp::spawn().await;
    let missing = format!("id={}", TestApp::bind(DeletePost::PATH, 424242));
    let response = app.script_post(DeletePost::PATH, FORM, &missing).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(json(response).await["what"], "That post");

    app.script_post(CreatePost::PATH, FORM, "title=Doomed&content=x")
        .await;
    let (_, html) = app.get("/posts/doomed").await;
    let fields = delete_fields(&html);
    let response = app
        .form_post(
            DeletePost::PATH,
            &format!("{fields}&next=%2Fposts%3Fpage%3D1"),
            "/posts/doomed",
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/posts?page=1");
    assert_eq!(app.get("/posts/doomed").await.0, StatusCode::NOT_FOUND);
    app.db.drop_database().await;
}

#[tokio::test]
async fn the_list_pages_twenty_at_a_time_by_position() {
    let app = TestApp::spawn().await;
    let response = app
        .script_post(CreatePost::PATH, FORM, "title=Post+1&content=x")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let store = app.db.store().await;
    let first = store.post_by_slug("post-1").await.unwrap().unwrap();
    let mut id = std::collections::HashMap::from([(1, first.id)]);
    // More than the action's rate limit lets one writer send in an hour: the rest directly.
    for n in 2..=45 {
        let post = app::posts::model::NewPost {
            title: format!("Post {n}"),
            content: "x".into(),
        };
        let created = store
            .create_post(
                &post,
                &format!("post-{n}"),
                first.author.as_ref().unwrap().id,
            )
            .await
            .unwrap();
        id.insert(n, created.id);
    }
    let shown = |html: &str| -> Vec<u32> {
        html.match_indices(">Post ")
            .filter_map(|(at, _)| {
                let rest = &html[at + 6..];
                rest[..rest.find('<')?].parse().ok()
            })
            .collect()
    };
    let links = |html: &str| {
        let nav = &html[html.find("class=\"pagination\"").unwrap()..];
        let nav = &nav[..nav.find("</nav>").unwrap()];
        let href = |rel: &str| {
            let at = nav.find(&format!("rel=\"{rel}\" href=\""))? + rel.len() + 13;
            Some(nav[at..at + nav[at..].find('"')?].to_owned())
        };
        (href("prev"), href("next"))
    };

    let (_, first) = app.get("/posts").await;
    assert_eq!(shown(&first), (26..=45).rev().collect::<Vec<_>>());
    assert_eq!(
        links(&first),
        (None, Some(format!("/posts?before={}", id[&26])))
    );

    let (_, second) = app.get(&format!("/posts?before={}", id[&26])).await;
    assert_eq!(shown(&second), (6..=25).rev().collect::<Vec<_>>());
    assert_eq!(
        links(&second),
        (
            Some("/posts".to_owned()),
            Some(format!("/posts?before={}", id[&6]))
        ),
        "the newer side fits the newest page: it links there"
    );

    let (_, third) = app.get(&format!("/posts?before={}", id[&6])).await;
    assert_eq!(shown(&third), [5, 4, 3, 2, 1]);
    assert_eq!(
        links(&third),
        (Some(format!("/posts?after={}", id[&5])), None),
        "forty newer posts: the twenty just above"
    );

    let (_, up) = app.get(&format!("/posts?after={}", id[&5])).await;
    assert_eq!(shown(&up), (6..=25).rev().collect::<Vec<_>>());
    assert_eq!(
        links(&up),
        (
            Some("/posts".to_owned()),
            Some(format!("/posts?before={}", id[&6]))
        )
    );
    let (_, top) = app.get(&format!("/posts?after={}", id[&30])).await;
    assert_eq!(
        shown(&top),
        (26..=45).rev().collect::<Vec<_>>(),
        "fewer than a page above: the newest page, whole"
    );

    // A post published meanwhile does not shift a page that is not the newest.
    app.script_post(CreatePost::PATH, FORM, "title=Post+46&content=x")
        .await;
    let (_, again) = app.get(&format!("/posts?before={}", id[&26])).await;
    assert_eq!(shown(&again), (6..=25).rev().collect::<Vec<_>>());

    // Nonsense cursors fall back to the first page instead of failing.
    for odd in ["/posts?before=abc", "/posts?after=-", "/posts?page=-4"] {
        let (status, html) = app.get(odd).await;
        assert_eq!(status, StatusCode::OK, "{odd}");
        assert_eq!(shown(&html).first(), Some(&46), "{odd}");
    }
    let (status, html) = app.get(&format!("/posts?before={}", id[&1])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No posts here yet."));
    assert_eq!(
        links(&html),
        (Some(format!("/posts?after={}", id[&1] - 1)), None),
        "an empty page past the oldest links back up"
    );
    app.db.drop_database().await;
}

#[tokio::test]
async fn unknown_pages_are_404() {
    let app = TestApp::spawn().await;
    let (status, html) = app.get("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found"));
    let (status, _) = app.get("/posts/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.db.drop_database().await;
}

/// The flash cookie a response sets, as `name=value` for the next request.
fn flash_cookie(response: &Response<Body>) -> Option<String> {
    common::set_cookie(response, "fw_flash")
}

#[tokio::test]
async fn a_failed_form_post_comes_back_with_its_errors_and_input_once() {
    let app = TestApp::spawn().await;
    let body =
        "__fw_return=%2Fposts%3Fpage%3D1&title=+++&content=Kept+%3Cinput%3E&password=hunter2";
    let response = app.form_post(CreatePost::PATH, body, "/elsewhere").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // The form's return path wins over the Referer, and nothing rides in the URL.
    assert_eq!(location(&response), "/posts?page=1");
    let cookie = flash_cookie(&response).expect("a flash cookie");
    let set_cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );

    let page = app.get_with_cookie("/posts?page=1", Some(&cookie)).await;
    let clears = page
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("fw_flash=;"));
    assert!(clears, "the page clears the flash cookie");
    let html = text(page).await;
    assert!(html.contains("Title cannot be empty."), "{html}");
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
    assert!(
        html.contains("Kept &lt;input&gt;"),
        "the input is kept, escaped: {html}"
    );
    assert!(!html.contains("hunter2"), "a password is never echoed");

    // Single use: the same cookie again (a reload, or a replay) shows a clean form.
    let again = text(app.get_with_cookie("/posts?page=1", Some(&cookie)).await).await;
    assert!(!again.contains("Title cannot be empty."));
    assert!(!again.contains("Kept &lt;input&gt;"));
    let (_, html) = app.get("/posts").await;
    assert!(html.contains("No posts here yet."), "nothing was published");
    app.db.drop_database().await;
}

#[tokio::test]
async fn a_successful_form_post_shows_its_value_once_and_keeps_no_input() {
    let app = TestApp::spawn().await;
    let body = "__fw_return=%2Fposts&title=Fresh+news&content=Body";
    let response = app.form_post(CreatePost::PATH, body, "/posts").await;
    assert_eq!(location(&response), "/posts");
    let html = app.page_after(&response, "/posts").await;
    assert!(
        html.contains("Published <a href=\"/posts/fresh-news\">Fresh news</a>"),
        "{html}"
    );
    assert!(
        !html.contains("value=\"Fresh news\""),
        "a success clears the form"
    );
    app.db.drop_database().await;
}

#[tokio::test]
async fn a_region_refresh_never_takes_the_flash_meant_for_the_page() {
    let app = TestApp::spawn().await;
    let body = "__fw_return=%2Fposts&title=Raced&content=Body";
    let response = app.form_post(CreatePost::PATH, body, "/posts").await;
    let cookie = flash_cookie(&response).expect("a flash cookie");
    // The page the form was on hears of the post and refreshes its list while the browser
    // is still following the redirect.
    let refresh = Request::get("/posts")
        .header(header::ACCEPT, "text/html")
        .header(formwork::protocol::REFRESH_HEADER, "1")
        .header(header::COOKIE, app.cookies(Some(&cookie)));
    let refreshed = app.send(refresh.body(Body::empty()).unwrap()).await;
    assert!(
        refreshed.headers().get(header::SET_COOKIE).is_none(),
        "the flash is left alone"
    );
    assert!(!text(refreshed).await.contains("Published <a"));
    let html = app.page_after(&response, "/posts").await;
    assert!(
        html.contains("Published <a href=\"/posts/raced\">Raced</a>"),
        "{html}"
    );
    app.db.drop_database().await;
}

#[tokio::test]
async fn forged_flash_cookies_are_ignored() {
    let app = TestApp::spawn().await;
    let response = app
        .form_post(CreatePost::PATH, "title=+&content=x", "/posts")
        .await;
    let genuine = flash_cookie(&response).unwrap();
    let (id, signature) = genuine
        .trim_start_matches("fw_flash=")
        .split_once('.')
        .unwrap();
    let forged = [
        format!("fw_flash={id}"),
        format!("fw_flash={id}.AAAA{signature}"),
        format!("fw_flash=0123456789abcdef0123456789abcdef.{signature}"),
        "fw_flash=%%%".to_owned(),
    ];
    for cookie in &forged {
        let html = text(app.get_with_cookie("/posts", Some(cookie)).await).await;
        assert!(!html.contains("Title cannot be empty."), "{cookie}");
    }
    // The genuine one still works: forging did not burn it.
    let html = text(app.get_with_cookie("/posts", Some(&genuine)).await).await;
    assert!(html.contains("Title cannot be empty."));
    app.db.drop_database().await;
}

#[tokio::test]
async fn an_oversized_form_post_comes_back_with_a_413_message() {
    let app = TestApp::spawn().await;
    let body = format!("title=Big&content={}", "x".repeat(70 * 1024));
    let response = app.form_post(CreatePost::PATH, &body, "/posts").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/posts");
    let html = app.page_after(&response, "/posts").await;
    assert!(
        html.contains(
            "This is too large to send: the limit is 64 KB. Make it smaller and try again."
        ),
        "{html}"
    );
    app.db.drop_database().await;
}

#[tokio::test]
async fn a_malformed_form_post_without_javascript_comes_back_with_the_reason() {
    let app = TestApp::spawn().await;
    let response = app
        .form_post(CreatePost::PATH, "title=%ZZ&content=x", "/posts")
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/posts");
    let html = app.page_after(&response, "/posts").await;
    assert!(
        html.contains("The form data is malformed: field 1 has a `%`"),
        "{html}"
    );
    let (_, html) = app.get("/posts").await;
    assert!(html.contains("No posts here yet."), "nothing was published");
    app.db.drop_database().await;
}

#[tokio::test]
async fn a_failed_delete_without_javascript_is_explained_at_its_own_button() {
    let app = TestApp::spawn().await;
    for title in ["First", "Second"] {
        let body = format!("title={title}&content=x");
        app.script_post(CreatePost::PATH, FORM, &body).await;
    }
    let (_, html) = app.get("/posts/first").await;
    let fields = delete_fields(&html);
    // A `next` that leaves the site is refused (400), so the delete fails.
    let body = format!("__fw_return=%2Fposts&{fields}&next=%2F%2Fevil.example");
    let response = app.form_post(DeletePost::PATH, &body, "/posts").await;
    assert_eq!(location(&response), "/posts");
    let html = app.page_after(&response, "/posts").await;
    assert!(
        html.contains("The submitted data could not be read"),
        "{html}"
    );
    // Shown once, right after the button of the post it named, not at every delete button.
    assert_eq!(html.matches("role=\"alert\"").count(), 1, "{html}");
    let row = html
        .split("<li")
        .find(|row| row.contains("Delete “First”"))
        .unwrap_or_default();
    let after_button = row.split("Delete “First”").nth(1).unwrap_or_default();
    assert!(after_button.contains("role=\"alert\""), "{html}");
    assert!(html.contains(">First<"), "nothing was deleted");
    app.db.drop_database().await;
}

#[tokio::test]
async fn subscribing_validates_the_address_and_answers_a_duplicate_kindly() {
    use app::newsletter::subscribe::Subscribe;
    let app = TestApp::spawn().await;
    let response = app.script_post(Subscribe::PATH, FORM, "email=a%40b").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        json(response).await["fields"]["email"],
        serde_json::json!(["Enter an email address like name@example.org."])
    );
    let (_, html) = app.get("/newsletter").await;
    assert!(
        html.contains("0 readers so far."),
        "nothing was stored: {html}"
    );

    let response = app
        .script_post(Subscribe::PATH, FORM, "email=+Ada%40Example.org+")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    // The count's page is named (`revalidate_path`), not a tag: what `/newsletter` read above
    // (the "0 readers" the page's render cached) is read afresh below.
    assert_eq!(
        response.headers()[formwork::protocol::REVALIDATED_HEADER],
        "path:/newsletter"
    );
    assert_eq!(
        json(response).await,
        serde_json::json!({"email": "ada@example.org"})
    );
    // The welcome email is a job the answer did not wait for.
    assert_eq!(metric(&app, "formwork_jobs{state=\"queued\"}").await, 1);

    let response = app
        .script_post(Subscribe::PATH, FORM, "email=ada%40example.ORG")
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(
        json(response).await["message"],
        "ada@example.org is already subscribed. Thank you for reading!"
    );
    let (_, html) = app.get("/newsletter").await;
    assert!(html.contains("1 reader so far."), "{html}");

    // Without JavaScript: the same answers, inline, with the address kept.
    let response = app
        .form_post(
            Subscribe::PATH,
            "__fw_return=%2Fnewsletter&email=ada%40example.org",
            "/",
        )
        .await;
    assert_eq!(location(&response), "/newsletter");
    let html = app.page_after(&response, "/newsletter").await;
    assert!(
        html.contains("already subscribed. Thank you for reading!"),
        "{html}"
    );
    assert!(html.contains("value=\"ada@example.org\""), "{html}");
    app.db.drop_database().await;
}

#[tokio::test]
async fn a_contact_message_is_checked_kept_and_thanked_for() {
    use app::contact::send_message::SendMessage;
    let app = TestApp::spawn().await;
    let response = app
        .script_post(SendMessage::PATH, FORM, "name=+A+&email=nope&message=short")
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fields = json(response).await["fields"].clone();
    assert_eq!(
        fields["name"],
        serde_json::json!(["Name needs at least 2 characters."])
    );
    assert_eq!(
        fields["email"],
        serde_json::json!(["Enter an email address like name@example.org."])
    );
    assert_eq!(
        fields["message"],
        serde_json::json!(["Message needs at least 10 characters."])
    );

    let body =
        "__fw_return=%2Fcontact&name=Ada&email=ada%40example.org&message=Hello+there%2C+team!";
    let response = app.form_post(SendMessage::PATH, body, "/contact").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/contact/thanks");
    let (status, html) = app.get("/contact/thanks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Your message has reached us."));
    app.db.drop_database().await;
}

/// The value of the first field called `name` on a page, as the browser would submit it.
fn field_value(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned()
}

/// The signed id on a page's first form bound to `id`.
fn bound_id(html: &str) -> String {
    field_value(html, "id")
}

/// What a post page's "Delete" button sends: its shared form's signed list of the posts it
/// offers, and the post's own id (see `formwork::items`).
fn delete_fields(html: &str) -> String {
    let offer = field_value(html, formwork::protocol::BOUND_OFFER_FIELD);
    let id = field_value(html, "id");
    assert!(!id.contains('.'), "a row's id is sent plain: {id}");
    format!("{}={offer}&id={id}", formwork::protocol::BOUND_OFFER_FIELD)
}

#[tokio::test]
async fn bound_ids_cannot_be_swapped_forged_or_moved_to_another_action() {
    let app = TestApp::spawn().await;
    for title in ["Mine", "Theirs"] {
        let body = format!("title={title}&content=x");
        app.script_post(CreatePost::PATH, FORM, &body).await;
    }
    let (_, html) = app.get("/posts/mine").await;
    let fields = delete_fields(&html);
    let id = bound_id(&html);
    let signed = TestApp::bind(DeletePost::PATH, &id);
    let offer = fields.split("&id=").next().unwrap_or_default().to_owned();
    let theirs = if id == "1" { "2" } else { "1" };

    for (what, body) in [
        (
            "a swapped id",
            format!("id={}", signed.replacen(&id, theirs, 1)),
        ),
        ("a bare id", format!("id={theirs}")),
        ("a forged signature", format!("id={theirs}.AAAA")),
        (
            "an id bound to another action",
            format!("id={}", TestApp::bind(UpdatePost::PATH, theirs)),
        ),
        (
            "an id the form did not offer",
            format!("{offer}&id={theirs}"),
        ),
        (
            "a changed offer",
            format!(
                "{}&id={theirs}",
                offer.replacen(&format!("1:{id},"), &format!("1:{theirs},"), 1)
            ),
        ),
    ] {
        let response = app.script_post(DeletePost::PATH, FORM, &body).await;
        let status = response.status();
        let body = json(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains(formwork::messages::Message::StaleForm.english()),
            "{what}: {body}"
        );
    }
    // Nothing was deleted; what the page's button sends still works.
    assert_eq!(app.get("/posts/theirs").await.0, StatusCode::OK);
    let response = app.script_post(DeletePost::PATH, FORM, &fields).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.get("/posts/mine").await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/posts/theirs").await.0, StatusCode::OK);
    app.db.drop_database().await;
}

#[tokio::test]
async fn editing_a_post_keeps_its_address_and_explains_bad_input_in_place() {
    let app = TestApp::spawn().await;
    app.script_post(CreatePost::PATH, FORM, "title=Draft&content=Old+text")
        .await;
    let (status, html) = app.get("/posts/draft/edit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(">Old text</textarea>"), "{html}");
    assert!(html.contains("value=\"Draft\""), "{html}");
    let id = bound_id(&html);

    // Without JavaScript, a blank title comes back to the edit page, explained, input kept.
    let body = format!("__fw_return=%2Fposts%2Fdraft%2Fedit&id={id}&title=+&content=New+text");
    let response = app.form_post(UpdatePost::PATH, &body, "/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/posts/draft/edit");
    let page = app.page_after(&response, "/posts/draft/edit").await;
    assert!(page.contains("Title cannot be empty."), "{page}");
    assert!(
        page.contains(">New text</textarea>"),
        "the input is kept: {page}"
    );
    assert_eq!(
        app.get("/posts/draft").await.1.matches("Old text").count(),
        1
    );

    // A script caller gets the 422 itself.
    let response = app
        .script_post(UpdatePost::PATH, FORM, &format!("id={id}&title=&content=x"))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A good edit lands on the post, under its old address, with the new text.
    let body = format!("__fw_return=%2Fposts%2Fdraft%2Fedit&id={id}&title=Final&content=New+text");
    let response = app.form_post(UpdatePost::PATH, &body, "/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/posts/draft");
    let (_, post) = app.get("/posts/draft").await;
    assert!(
        post.contains("<h1>Final</h1>") && post.contains("New text"),
        "{post}"
    );
    assert!(!post.contains("Old text"), "{post}");

    // Editing a post that is gone is a 404.
    let gone = TestApp::bind(UpdatePost::PATH, 999);
    let response = app
        .script_post(
            UpdatePost::PATH,
            FORM,
            &format!("id={gone}&title=T&content=x"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/posts/nope/edit").await.0, StatusCode::NOT_FOUND);
    app.db.drop_database().await;
}

/// The one-time token of the first form on a page.
fn once_token(html: &str) -> String {
    field_value(html, "__fw_once")
}

#[tokio::test]
async fn a_form_posted_twice_without_javascript_publishes_once_and_answers_both_alike() {
    let app = TestApp::spawn().await;
    let (_, html) = app.get("/posts").await;
    let token = once_token(&html);
    // The page's id and the form's number on it, then the page's signature.
    let (id, signature) = token.split_once('.').unwrap();
    let (page, number) = id.split_once('-').unwrap();
    assert_eq!((page.len(), signature.is_empty()), (32, false), "{token}");
    assert!(number.parse::<u32>().is_ok(), "{token}");
    assert_ne!(
        once_token(&app.get("/posts").await.1),
        token,
        "fresh per rendering"
    );

    // A double click: the same rendered form, posted twice at once.
    let body = format!("__fw_return=%2Fposts&__fw_once={token}&title=Twice&content=Body");
    let (first, second) = tokio::join!(
        app.form_post(CreatePost::PATH, &body, "/posts"),
        app.form_post(CreatePost::PATH, &body, "/posts"),
    );
    // And once more, later (a resubmitted page).
    let third = app.form_post(CreatePost::PATH, &body, "/posts").await;
    for response in [&first, &second, &third] {
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(response), "/posts");
        let page = app.page_after(response, "/posts").await;
        assert!(
            page.contains("Published <a href=\"/posts/twice\">Twice</a>"),
            "each answer shows the one outcome: {page}"
        );
    }
    let (_, list) = app.get("/posts").await;
    assert_eq!(list.matches("href=\"/posts/twice").count(), 1, "{list}");
    assert!(!list.contains("/posts/twice-2"), "{list}");

    // A new rendering of the form is a new submission.
    let token = once_token(&list);
    let body = format!("__fw_return=%2Fposts&__fw_once={token}&title=Twice&content=Body");
    app.form_post(CreatePost::PATH, &body, "/posts").await;
    assert!(app.get("/posts").await.1.contains("/posts/twice-2"));
    app.db.drop_database().await;
}

/// The hidden fields of the form with `id`, urlencoded as a browser sends them.
fn form_fields(html: &str, id: &str) -> String {
    let form = html
        .split("<form")
        .find(|form| form.contains(&format!("id=\"{id}\"")))
        .and_then(|form| form.split("</form>").next())
        .unwrap_or_default();
    form.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|input| {
            let (name, rest) = input.split_once("\" value=\"")?;
            let value = rest.split('"').next()?.replace("&amp;", "&");
            Some(format!("{name}={}", urlencoding(&value)))
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencoding(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A list's rows share one delete form: each row's button sends it with its own id. Without
/// JavaScript, deleting one row and then another from the same rendering (a page kept open, or
/// the back button) deletes both; sending one row's post again runs nothing twice.
#[tokio::test]
async fn rows_sharing_one_form_are_each_their_own_submission() {
    let app = TestApp::spawn().await;
    for title in ["Alpha", "Beta", "Gamma"] {
        let body = format!("title={title}&content=x");
        app.script_post(CreatePost::PATH, FORM, &body).await;
    }
    let (_, html) = app.get("/posts").await;
    let form_id = format!("fw-{}", DeletePost::PATH.rsplit('/').next().unwrap());
    // One form for the three rows, and three buttons that name it.
    assert_eq!(
        html.matches(&format!("id=\"{form_id}\"")).count(),
        1,
        "{html}"
    );
    assert_eq!(
        html.matches(&format!("form=\"{form_id}\"")).count(),
        3,
        "{html}"
    );
    let shared = form_fields(&html, &form_id);
    assert!(
        shared.contains("__fw_once=") && shared.contains("__fw_offer="),
        "{shared}"
    );
    let button_id = |title: &str| {
        let row = html
            .split("<li")
            .find(|row| row.contains(&format!(">{title}<")))
            .unwrap();
        field_value(row, "id")
    };
    let (alpha, beta) = (button_id("Alpha"), button_id("Beta"));

    let delete = |id: String| {
        let app = &app;
        let body = format!("{shared}&id={id}");
        async move { app.form_post(DeletePost::PATH, &body, "/posts").await }
    };
    let first = delete(alpha.clone()).await;
    assert_eq!(
        (first.status(), location(&first)),
        (StatusCode::SEE_OTHER, "/posts")
    );
    let second = delete(beta).await;
    assert_eq!(
        (second.status(), location(&second)),
        (StatusCode::SEE_OTHER, "/posts")
    );
    let (_, list) = app.get("/posts").await;
    assert!(
        !list.contains(">Alpha<") && !list.contains(">Beta<"),
        "both went: {list}"
    );
    assert!(list.contains(">Gamma<"), "{list}");

    // Alpha's post again: its first outcome, replayed (run again, it would be a 404).
    let again = delete(alpha).await;
    assert_eq!(
        (again.status(), location(&again)),
        (StatusCode::SEE_OTHER, "/posts")
    );
    let page = app.page_after(&again, "/posts").await;
    assert!(!page.contains("role=\"alert\""), "no error: {page}");
    app.db.drop_database().await;
}

/// Without JavaScript, a double click makes the browser abandon its first post for the second:
/// the first connection closes while the action runs. The first post still finishes, and the
/// second gets its outcome at once (not, ten seconds later, "still running").
#[tokio::test]
async fn a_script_submission_sent_twice_with_its_forms_token_writes_once_and_answers_alike() {
    let app = TestApp::spawn().await;
    let (_, page) = app.get("/posts").await;
    let token = once_token(&page);
    let send = |body: String| {
        let app = &app;
        async move {
            let response = app.script_post(CreatePost::PATH, FORM, &body).await;
            (response.status(), text(response).await)
        }
    };
    let before = storage_snapshot(&app).await.0.len();

    // A retry (or a replayed fetch) of the same rendered form: one post, the same answer.
    let body = format!("title=Once+only&content=Sent+twice.&__fw_once={token}");
    let first = send(body.clone()).await;
    let again = send(body).await;
    assert_eq!(first.0, StatusCode::OK, "{}", first.1);
    assert_eq!(again, first);
    assert_eq!(storage_snapshot(&app).await.0.len(), before + 1);

    // A refusal is replayed as it was, with its status.
    let (_, page) = app.get("/posts").await;
    let body = format!("title=&content=&__fw_once={}", once_token(&page));
    let refused = send(body.clone()).await;
    assert_eq!(refused.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(send(body).await, refused);

    // Another rendering of the form is another submission.
    let (_, page) = app.get("/posts").await;
    let body = format!(
        "title=Once+only&content=Again.&__fw_once={}",
        once_token(&page)
    );
    let other = send(body).await;
    assert_eq!(other.0, StatusCode::OK);
    assert_ne!(other.1, first.1, "a post of its own, under the next slug");
    assert_eq!(storage_snapshot(&app).await.0.len(), before + 2);
    app.db.drop_database().await;
}

#[tokio::test]
async fn a_post_its_browser_abandoned_still_finishes_and_its_repeat_gets_the_outcome() {
    let app = TestApp::spawn().await;
    let token = once_token(&app.get("/posts").await.1);
    let body = format!("__fw_return=%2Fposts&__fw_once={token}&title=Abandoned&content=Body");
    let pool = sqlx::SqlitePool::connect(app.db.url()).await.unwrap();
    let claimed = || {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM formwork_submissions WHERE token = $1")
            .bind(token.split('.').next().unwrap())
            .fetch_one(&pool)
    };
    let mut first = Box::pin(app.form_post(CreatePost::PATH, &body, "/posts"));
    // Walk the first post until its token is claimed, then drop it, as a closed connection
    // drops the server's future for it. (Run detached, it may be done by then: that is the
    // point. Run in this future, it cannot be: its action still has the database to write.)
    // Each look at the claim is a query, so the runtime moves on between polls.
    loop {
        if futures::poll!(first.as_mut()).is_ready() || claimed().await.unwrap() > 0 {
            break;
        }
    }
    drop(first);

    // Without the first post finishing, this waits it out and answers "still running".
    let second = app.form_post(CreatePost::PATH, &body, "/posts").await;
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    let page = app.page_after(&second, "/posts").await;
    assert!(
        page.contains("Published <a href=\"/posts/abandoned\">Abandoned</a>"),
        "the first post's outcome, replayed: {page}"
    );
    let (_, list) = app.get("/posts").await;
    assert_eq!(list.matches("href=\"/posts/abandoned").count(), 1, "{list}");
    pool.close().await;
    app.db.drop_database().await;
}

#[tokio::test]
async fn a_repeated_failed_post_replays_the_failure_with_the_input() {
    let app = TestApp::spawn().await;
    let token = once_token(&app.get("/contact").await.1);
    use app::contact::send_message::SendMessage;
    let body = format!(
        "__fw_return=%2Fcontact&__fw_once={token}&name=A&email=ada%40example.org&message=Hello+there+team"
    );
    for _ in 0..2 {
        let response = app.form_post(SendMessage::PATH, &body, "/contact").await;
        assert_eq!(location(&response), "/contact");
        let page = app.page_after(&response, "/contact").await;
        assert!(page.contains("Name needs at least 2 characters."), "{page}");
        assert!(page.contains(">Hello there team</textarea>"), "{page}");
    }
    app.db.drop_database().await;
}

#[tokio::test]
async fn without_a_referer_the_form_still_returns_to_its_page() {
    // Referrer-Policy: no-referrer, or a privacy extension: the form's own return path is
    // what counts; the Referer was only ever a fallback.
    let app = TestApp::spawn().await;
    let response = app
        .send(
            Request::post(CreatePost::PATH)
                .header(header::ACCEPT, "text/html")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header("sec-fetch-site", "same-origin")
                .header(header::COOKIE, app.cookies(None))
                .body(Body::from(
                    "__fw_return=%2Fposts%3Fpage%3D2&title=&content=x",
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/posts?page=2");
    let page = app.page_after(&response, "/posts?page=2").await;
    assert!(page.contains("Title cannot be empty."), "{page}");
    app.db.drop_database().await;
}

/// Everything the actions can change, to show that a refused request changed nothing.
async fn storage_snapshot(app: &TestApp) -> (Vec<(String, String, String)>, u64, i64) {
    let store = app.db.store().await;
    let posts = store
        .posts_before(None, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.slug, p.title, p.excerpt))
        .collect();
    let subscribers = store.subscriber_count().await.unwrap();
    let pool = sqlx::SqlitePool::connect(app.db.url()).await.unwrap();
    let messages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contact_messages")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    (posts, subscribers, messages)
}

#[tokio::test]
async fn every_action_refuses_malformed_and_invalid_requests_and_changes_nothing() {
    use app::{contact::send_message::SendMessage, newsletter::subscribe::Subscribe};
    let app = TestApp::spawn().await;
    app.script_post(CreatePost::PATH, FORM, "title=Existing&content=x")
        .await;
    let post_id = TestApp::bind(
        DeletePost::PATH,
        bound_id(&app.get("/posts/existing").await.1),
    );
    let edit_id = bound_id(&app.get("/posts/existing/edit").await.1);
    let before = storage_snapshot(&app).await;

    let actions = [
        (CreatePost::PATH, "title=T&content=C".to_owned()),
        (UpdatePost::PATH, format!("id={edit_id}&title=T&content=C")),
        (DeletePost::PATH, format!("id={post_id}")),
        (Subscribe::PATH, "email=new%40example.org".to_owned()),
        (
            SendMessage::PATH,
            "name=Ada&email=ada%40example.org&message=Hello+there+team".to_owned(),
        ),
    ];
    const JSON: &str = "application/json";
    for (path, good) in &actions {
        let malformed = [
            ("broken urlencoding", FORM, format!("{good}&x=%ZZ")),
            ("a truncated escape", FORM, format!("{good}&x=%4")),
            ("bytes that are not UTF-8", FORM, format!("{good}&x=%FF%FE")),
            ("bad JSON", JSON, "{\"title\": ".to_owned()),
            (
                "JSON to a form action",
                JSON,
                "{\"title\": \"T\"}".to_owned(),
            ),
            (
                "multipart without a boundary",
                "multipart/form-data",
                "--x\r\n".to_owned(),
            ),
            ("a wrong content type", "text/plain", good.clone()),
            ("an empty content type", "", good.clone()),
        ];
        for (what, content_type, body) in malformed {
            let response = app.script_post(path, content_type, &body).await;
            let status = response.status();
            let body = json(response).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}, {what}: {body}");
            assert_eq!(body["error"], "bad_request", "{path}, {what}: {body}");
            assert!(
                body["message"].as_str().is_some_and(|m| m.len() > 10),
                "{path}, {what}: a message a person can act on: {body}"
            );
        }
    }

    // Nothing sent: a bound id missing is an unreadable request (400); a schema's fields
    // missing are the user's to fill in, each at its field (422).
    for (path, status) in [
        (CreatePost::PATH, StatusCode::UNPROCESSABLE_ENTITY),
        (UpdatePost::PATH, StatusCode::BAD_REQUEST),
        (DeletePost::PATH, StatusCode::BAD_REQUEST),
        (Subscribe::PATH, StatusCode::UNPROCESSABLE_ENTITY),
        (SendMessage::PATH, StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let response = app.script_post(path, FORM, "").await;
        assert_eq!(response.status(), status, "{path}, nothing sent");
        let body = json(response).await;
        assert!(
            body["message"].as_str().is_some_and(|m| m.len() > 10),
            "{path}: a message a person can act on: {body}"
        );
    }

    // Wrong types, where an action has typed fields.
    for (path, body) in [
        (
            CreatePost::PATH,
            "title=T&content=C&after=sideways".to_owned(),
        ),
        (DeletePost::PATH, "id=not-a-number".to_owned()),
        (UpdatePost::PATH, "id=1.5&title=T&content=C".to_owned()),
    ] {
        let response = app.script_post(path, FORM, &body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}: {body}");
    }

    // Invalid values: read fine, refused by the schema with every field's message.
    for (path, body, field) in [
        (CreatePost::PATH, "title=+&content=C".to_owned(), "title"),
        (
            UpdatePost::PATH,
            format!("id={edit_id}&title=T&content=+"),
            "content",
        ),
        (Subscribe::PATH, "email=not-an-address".to_owned(), "email"),
        (
            SendMessage::PATH,
            "name=Ada&email=ada%40example.org&message=short".to_owned(),
            "message",
        ),
    ] {
        let response = app.script_post(path, FORM, &body).await;
        let status = response.status();
        let body = json(response).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert!(body["fields"][field][0].is_string(), "{path}: {body}");
    }

    // An unknown server function.
    let response = app.script_post("/api/no_such_action", FORM, "x=1").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    assert_eq!(storage_snapshot(&app).await, before, "nothing changed");
    app.db.drop_database().await;
}

#[tokio::test]
async fn secrets_never_come_back_to_the_form() {
    use app::contact::send_message::SendMessage;
    let app = TestApp::spawn().await;
    // A failed post whose form lists `message` as secret, with a password field besides.
    let body = "__fw_return=%2Fcontact&__fw_secret=message&name=A&email=ada%40example.org\
                &message=my+secret+words&password=hunter2-hunter2";
    let response = app.form_post(SendMessage::PATH, body, "/contact").await;
    let page = app.page_after(&response, "/contact").await;
    assert!(page.contains("Name needs at least 2 characters."), "{page}");
    assert!(
        page.contains("value=\"ada@example.org\""),
        "other input is kept: {page}"
    );
    assert!(!page.contains("my secret words"), "{page}");
    assert!(!page.contains("hunter2"), "{page}");
    app.db.drop_database().await;
}

/// Posts to an action as a browser on another site (or no browser at all) would.
async fn post_with(app: &TestApp, path: &str, headers: &[(&str, &str)], body: &str) -> StatusCode {
    let mut request = Request::post(path)
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, FORM);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    app.send(request.body(Body::from(body.to_owned())).unwrap())
        .await
        .status()
}

#[tokio::test]
async fn other_sites_cannot_make_a_browser_call_an_action() {
    let app = TestApp::spawn().await;
    let before = storage_snapshot(&app).await;
    let body = "title=Planted&content=by+another+site";
    let token = once_token(&app.get("/posts").await.1);
    let with_token = format!("{body}&__fw_once={token}");
    let session = app.session.clone();
    let cookie = ("cookie", session.as_str());
    for (what, headers, body) in [
        (
            "a cross-site form",
            vec![
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://evil.example"),
            ],
            body.to_owned(),
        ),
        (
            "a sibling subdomain",
            vec![
                ("sec-fetch-site", "same-site"),
                ("origin", "https://blog.127.0.0.1.example"),
            ],
            body.to_owned(),
        ),
        (
            "a foreign Origin alone",
            vec![("origin", "https://evil.example")],
            body.to_owned(),
        ),
        (
            "an opaque origin",
            vec![("origin", "null"), cookie],
            body.to_owned(),
        ),
        (
            "another scheme",
            vec![("origin", "https://127.0.0.1:3000")],
            body.to_owned(),
        ),
        (
            "a forged X-Forwarded-Host",
            vec![
                ("origin", "https://evil.example"),
                ("x-forwarded-host", "127.0.0.1:3000"),
            ],
            body.to_owned(),
        ),
        (
            "cookies, no provenance, no token",
            vec![cookie],
            body.to_owned(),
        ),
        (
            "cookies, no provenance, a forged token",
            vec![cookie],
            format!("{body}&__fw_once=0123456789abcdef0123456789abcdef.forged"),
        ),
        (
            "cookies, no provenance, an unsigned token",
            vec![cookie],
            format!("{body}&__fw_once=0123456789abcdef0123456789abcdef"),
        ),
    ] {
        let status = post_with(&app, CreatePost::PATH, &headers, &body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{what}");
    }
    assert_eq!(storage_snapshot(&app).await, before, "nothing changed");

    // Reads change nothing: a link from anywhere may show them.
    let response = app
        .send(
            Request::get(format!("{}?before=9", app::posts::read::ListPosts::PATH))
                .header("sec-fetch-site", "cross-site")
                .header("origin", "https://evil.example")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    // The site itself, however it says so, and clients without cookies, get through.
    for (what, headers, body, slug) in [
        (
            "Sec-Fetch-Site: same-origin",
            vec![("sec-fetch-site", "same-origin"), cookie],
            body.to_owned(),
            "planted",
        ),
        (
            "the public origin",
            vec![("origin", "http://127.0.0.1:3000"), cookie],
            body.to_owned(),
            "planted-2",
        ),
        (
            "an old browser with a rendered form's token",
            vec![cookie],
            with_token,
            "planted-3",
        ),
    ] {
        let status = post_with(&app, CreatePost::PATH, &headers, &body).await;
        assert_eq!(status, StatusCode::OK, "{what}");
        assert_eq!(
            app.get(&format!("/posts/{slug}")).await.0,
            StatusCode::OK,
            "{what}"
        );
    }
    // A client without cookies has no ambient authority to abuse: it reaches a public action
    // (and the access policy of the others, see tests/accounts.rs).
    let status = post_with(
        &app,
        app::newsletter::subscribe::Subscribe::PATH,
        &[],
        "email=api%40example.org",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "an API client without cookies");
    app.db.drop_database().await;
}

/// The nonce a page's Content-Security-Policy allows scripts by.
fn csp_nonce(csp: &str) -> String {
    csp.split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn responses_carry_security_headers_and_pages_a_nonce_csp() {
    let app = TestApp::spawn().await;
    let response = app.get_with_cookie("/posts", None).await;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("referrer-policy"), "same-origin");
    assert_eq!(header("x-frame-options"), "DENY");
    // The request's id, for the operator (see formwork's `request_id`).
    assert_eq!(header("x-request-id").len(), 32, "{:?}", response.headers());
    let csp = header("content-security-policy");
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"),
        "{csp}"
    );
    let nonce = csp_nonce(&csp);
    assert!(nonce.len() >= 16, "{csp}");
    let html = text(response).await;
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries it"
    );
    // The islands' script (made once per app, see formwork's `meta::Head`) carries this
    // page's nonce, in its preloads and its script.
    let islands = |html: &str| {
        let start = html
            .find("<template id=\"formwork-islands\">")
            .expect("the islands' template");
        let end = start + html[start..].find("</template>").expect("its end");
        html[start..end].to_owned()
    };
    let template = islands(&html);
    assert!(
        template.contains(&format!("<script type=\"module\" nonce=\"{nonce}\">"))
            && template
                .matches(&format!("crossorigin=\"{nonce}\""))
                .count()
                == 2,
        "{template}"
    );
    // The site's stylesheet (formwork's Stylesheet, also made once per app) in the head.
    let head = &html[..html.find("</head>").expect("a head")];
    let link = head
        .find("<link id=\"leptos\" rel=\"stylesheet\" href=\"/pkg/")
        .map(|at| &head[at..at + head[at..].find('>').unwrap()]);
    assert!(link.is_some_and(|link| link.ends_with(".css\"")), "{head}");
    // A fresh nonce per page, there too.
    let again = app.get_with_cookie("/posts", None).await;
    let csp_again = again.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(csp_again, csp);
    let nonce_again = csp_nonce(&csp_again);
    let template_again = islands(&text(again).await);
    assert_eq!(
        template_again,
        template.replace(&nonce, &nonce_again),
        "the same script, with the new page's nonce"
    );
    assert!(!template_again.contains(&nonce));

    // Actions: the strictest policy, and no caching.
    let response = app
        .script_post(CreatePost::PATH, FORM, "title=&content=")
        .await;
    assert_eq!(
        response.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    app.db.drop_database().await;
}

#[tokio::test]
async fn a_forwarded_host_counts_only_when_a_trusted_proxy_sends_it() {
    use app::newsletter::subscribe::Subscribe;
    use axum::extract::ConnectInfo;
    // Behind a balancer at 10.0.0.1 the site also answers as https://www.example.org, a name
    // that is in no configuration: the balancer says so in X-Forwarded-Host.
    let db = TestDb::sqlite().await;
    let stores = db.stores().await;
    let (_, session) = common::signed_in(&stores, "ada", app::roles::Role::User).await;
    let router = common::router(stores, &["--trusted-proxies", "10.0.0.1"]).await;
    let from = |peer: &str, n: u32| {
        Request::post(Subscribe::PATH)
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, FORM)
            .header(header::COOKIE, &session)
            .header(header::ORIGIN, "https://www.example.org")
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-host", "www.example.org")
            .extension(ConnectInfo(std::net::SocketAddr::new(
                peer.parse().unwrap(),
                4000,
            )))
            .body(Body::from(format!("email=reader{n}%40example.org")))
            .unwrap()
    };
    let through_balancer = router.clone().oneshot(from("10.0.0.1", 1)).await.unwrap();
    assert_eq!(through_balancer.status(), StatusCode::OK);
    // The same headers written by the client itself, straight to the server: another site.
    let direct = router
        .clone()
        .oneshot(from("203.0.113.7", 2))
        .await
        .unwrap();
    assert_eq!(direct.status(), StatusCode::FORBIDDEN);
    assert_eq!(db.store().await.subscriber_count().await.unwrap(), 1);
    db.drop_database().await;
}

/// `/metrics` answers on the operator's port only, and counts and times every request by
/// route pattern, method and status, with formwork's own figures beside them.
#[tokio::test]
async fn metrics_are_the_operators_and_count_requests_by_route_and_status() {
    let app = TestApp::spawn().await;
    let public = app
        .send(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    assert_eq!(
        public.status(),
        StatusCode::NOT_FOUND,
        "not on the public port"
    );
    assert_eq!(
        app.get_with_cookie("/posts", None).await.status(),
        StatusCode::OK
    );
    let missing = app.get_with_cookie("/no-such-page-4f2a", None).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let response = scrape(&app).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = text(response).await;
    for expected in [
        r#"http_requests_total{method="GET",route="/posts",status="200"}"#,
        r#"http_request_duration_seconds_bucket{method="GET",route="/posts",status="200",le="0.0005"}"#,
        r#"http_request_duration_seconds_count{method="GET",route="/posts",status="200"}"#,
        r#"route="unmatched",status="404""#,
        "# TYPE formwork_cache_hits_total counter",
    ] {
        assert!(body.contains(expected), "no {expected} in:\n{body}");
    }
    assert!(
        !body.contains("no-such-page-4f2a"),
        "a path a client made up is never a label value"
    );

    // A plain form post's own writes (its flash, at least) are counted, in batches.
    let (writes, batches) = (
        "formwork_store_writes_total",
        "formwork_store_write_batches_total",
    );
    let before = metric(&app, writes).await;
    let response = app
        .form_post(CreatePost::PATH, "title=Counted&content=x", "/posts")
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(metric(&app, writes).await > before, "the flash was written");
    let (all, rounds) = (metric(&app, writes).await, metric(&app, batches).await);
    assert!(
        rounds >= 1 && rounds <= all,
        "{rounds} batches for {all} writes"
    );
    app.db.drop_database().await;
}

/// `GET /metrics` as the operator's scraper sends it (on the operator's port).
async fn scrape(app: &TestApp) -> axum::response::Response {
    app.send(
        Request::get("/metrics")
            .extension(server::ops::OperatorPort)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

/// One counter from `/metrics`.
async fn metric(app: &TestApp, name: &str) -> u64 {
    let body = text(scrape(app).await).await;
    body.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in {body}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn reads_are_cached_until_an_action_revalidates_exactly_their_tags() {
    let app = TestApp::spawn().await;
    app.script_post(CreatePost::PATH, FORM, "title=First&content=x")
        .await;
    let (hits, misses) = ("formwork_cache_hits_total", "formwork_cache_misses_total");

    // The second view of a page is served from the cache.
    app.render("/posts").await;
    let (h0, m0) = (metric(&app, hits).await, metric(&app, misses).await);
    let (_, html) = app.render("/posts").await;
    assert!(html.contains(">First<"));
    assert!(metric(&app, hits).await > h0, "a hit");
    assert_eq!(metric(&app, misses).await, m0, "no miss");

    // Publishing without JavaScript purges the list: the page after the 303 is fresh.
    let purged = metric(&app, "formwork_cache_purged_total").await;
    let response = app
        .form_post(CreatePost::PATH, "title=Second&content=x", "/posts")
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(metric(&app, "formwork_cache_purged_total").await > purged);
    let page = app.page_after(&response, "/posts").await;
    assert!(
        page.contains(">Second<") && page.contains(">First<"),
        "{page}"
    );

    // A script call says what it revalidated.
    let response = app
        .script_post(CreatePost::PATH, FORM, "title=Third&content=x")
        .await;
    assert_eq!(
        response.headers()["x-formwork-revalidated"],
        "tag:posts",
        "exactly the list"
    );

    // A comment purges that post's comments, and leaves the list and the post cached.
    let (_, post_page) = app.render("/posts/first").await;
    let post_id = field_value(&post_page, "post");
    app.render("/posts").await;
    app.render("/posts/first").await;
    let misses_before = metric(&app, misses).await;
    let response = app
        .script_post(
            app::comments::add_comment::AddComment::PATH,
            FORM,
            &format!("post={post_id}&body=Nice"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let revalidated: Vec<&str> = response
        .headers()
        .get_all("x-formwork-revalidated")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(revalidated.len(), 1);
    assert!(
        revalidated[0].starts_with("tag:comments:"),
        "{revalidated:?}"
    );
    app.render("/posts").await;
    assert_eq!(
        metric(&app, misses).await,
        misses_before,
        "the list stayed cached"
    );
    let (_, post_page) = app.render("/posts/first").await;
    assert!(post_page.contains(">Nice<"), "the comment shows at once");
    assert_eq!(
        metric(&app, misses).await,
        misses_before + 1,
        "only the comments were read again"
    );
    app.db.drop_database().await;
}

/// A page view from a browser that sends `cookie`, or none (a first visit, signed out).
async fn view_with(app: &TestApp, cookie: Option<&str>, path: &str) -> Response<Body> {
    let mut request = Request::get(path).header(header::ACCEPT, "text/html");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    app.send(request.body(Body::empty()).unwrap()).await
}

/// A page view from a browser without cookies (a first visit, signed out).
async fn anonymous(app: &TestApp, path: &str) -> Response<Body> {
    view_with(app, None, path).await
}

/// [`view_with`], for a page that is there: its nonce and its markup.
async fn viewed(app: &TestApp, cookie: Option<&str>, path: &str) -> (String, String) {
    let response = view_with(app, cookie, path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    (csp_nonce(&csp), text(response).await)
}

/// [`anonymous`], for a page that is there: its nonce and its markup.
async fn anonymous_get(app: &TestApp, path: &str) -> (String, String) {
    viewed(app, None, path).await
}

/// A page view from the browser that sends `cookie`: its nonce and its markup.
async fn own_view(app: &TestApp, cookie: &str, path: &str) -> (String, String) {
    viewed(app, Some(cookie), path).await
}

#[tokio::test]
async fn a_shared_page_is_served_from_memory_without_cookies_each_copy_its_own_until_a_write() {
    let app = TestApp::spawn().await;
    app.script_post(CreatePost::PATH, FORM, "title=First&content=x")
        .await;
    let hits = "formwork_shared_page_hits_total";

    // The second view without cookies is the kept page: the same words, its own nonce.
    let (nonce_a, first) = anonymous_get(&app, "/posts").await;
    let h0 = metric(&app, hits).await;
    let (nonce_b, second) = anonymous_get(&app, "/posts").await;
    assert_eq!(metric(&app, hits).await, h0 + 1, "served from memory");
    assert!(first.contains(">First<") && second.contains(">First<"));
    assert_ne!(nonce_a, nonce_b);
    assert!(second.contains(&format!("nonce=\"{nonce_b}\"")), "{second}");
    assert!(!second.contains(&nonce_a), "no other visitor's nonce");
    assert_eq!(first.replace(&nonce_a, "N"), second.replace(&nonce_b, "N"));

    // A form on a kept page has a fresh one-time token in every copy, each one the server's.
    let (_, contact_a) = anonymous_get(&app, "/contact").await;
    let (_, contact_b) = anonymous_get(&app, "/contact").await;
    assert_eq!(metric(&app, hits).await, h0 + 2);
    let (token_a, token_b) = (once_token(&contact_a), once_token(&contact_b));
    assert_ne!(token_a, token_b);
    let key = formwork::signing::SigningKey::new(SECRET.as_bytes()).unwrap();
    assert!(formwork::origin::check_form_token(&key, &token_a));
    assert!(formwork::origin::check_form_token(&key, &token_b));
    // And it is posted as any rendered form is: once.
    let post = |token: String| {
        let app = &app;
        async move {
            app.send(
                Request::post(app::contact::send_message::SendMessage::PATH)
                    .header(header::ACCEPT, "text/html,application/xhtml+xml")
                    .header(header::CONTENT_TYPE, FORM)
                    .header(header::REFERER, "http://127.0.0.1:3000/contact")
                    .header("sec-fetch-site", "same-origin")
                    .body(Body::from(format!(
                        "name=Ada&email=ada%40example.org&message=Hello+there+from+a+kept+page\
                         &__fw_once={token}"
                    )))
                    .unwrap(),
            )
            .await
        }
    };
    let sent = post(token_b.clone()).await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&sent), "/contact/thanks");
    let again = post(token_b).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&again), "/contact/thanks");
    let (_, _, messages) = storage_snapshot(&app).await;
    assert_eq!(messages, 1, "the repeat replayed the first outcome");

    // A write ends the kept pages: the next view is rendered, with the new post.
    app.script_post(CreatePost::PATH, FORM, "title=Second&content=x")
        .await;
    let (_, after) = anonymous_get(&app, "/posts").await;
    assert_eq!(metric(&app, hits).await, h0 + 2, "rendered again");
    assert!(after.contains(">Second<"), "{after}");

    // Any cookie means a render of one's own; so does a page that does not share itself.
    let h1 = metric(&app, hits).await;
    let (_, signed_in) = app.get("/posts").await;
    assert!(signed_in.contains("name=\"title\""), "the signed-in form");
    for _ in 0..2 {
        let missing = anonymous(&app, "/posts/no-such-page").await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }
    anonymous_get(&app, "/settings").await;
    anonymous_get(&app, "/settings").await;
    assert_eq!(metric(&app, hits).await, h1);
    app.db.drop_database().await;
}

/// `html` with every form's one-time token blanked out.
fn without_tokens(html: &str) -> String {
    const FIELD: &str = "name=\"__fw_once\" value=\"";
    let mut parts = html.split(FIELD);
    let mut out = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        out.push_str(FIELD);
        out.push_str(&part[part.find('"').unwrap()..]);
    }
    out
}

#[tokio::test]
async fn a_visitors_page_is_kept_for_them_alone_until_a_write_their_sign_out_or_a_flash() {
    let app = TestApp::spawn().await;
    app.script_post(CreatePost::PATH, FORM, "title=First&content=x")
        .await;
    let (hits, shared_hits) = (
        "formwork_visitor_page_hits_total",
        "formwork_shared_page_hits_total",
    );
    let me = app.cookies(None);

    // The second view is the page kept for this visitor: the same words, its own nonce and
    // one-time tokens.
    let (nonce_a, first) = own_view(&app, &me, "/posts").await;
    let (h0, s0) = (metric(&app, hits).await, metric(&app, shared_hits).await);
    let (nonce_b, second) = own_view(&app, &me, "/posts").await;
    assert_eq!(metric(&app, hits).await, h0 + 1, "served from memory");
    for page in [&first, &second] {
        assert!(
            page.contains("Signed in as <strong>tester</strong>"),
            "{page}"
        );
        assert!(page.contains(">First<") && page.contains("name=\"title\""));
    }
    assert_ne!(nonce_a, nonce_b);
    assert!(!second.contains(&nonce_a), "no other copy's nonce");
    let (token_a, token_b) = (once_token(&first), once_token(&second));
    assert_ne!(token_a, token_b);
    let key = formwork::signing::SigningKey::new(SECRET.as_bytes()).unwrap();
    assert!(formwork::origin::check_form_token(&key, &token_b));
    assert_eq!(
        without_tokens(&first.replace(&nonce_a, "N")),
        without_tokens(&second.replace(&nonce_b, "N"))
    );

    // Nobody else gets it: not another user, and not the same user with other cookies.
    let stores = app.db.stores().await;
    let (_, other) = common::signed_in(&stores, "other", app::roles::Role::User).await;
    let (_, theirs) = own_view(&app, &other, "/posts").await;
    assert!(theirs.contains("Signed in as <strong>other</strong>"));
    assert!(!theirs.contains("Signed in as <strong>tester"), "{theirs}");
    let (_, dark) = own_view(&app, &app.cookies(Some("fw_theme=dark")), "/posts").await;
    assert!(dark.contains("data-theme=\"dark\""), "{dark}");
    let (_, anonymous) = anonymous_get(&app, "/posts").await;
    assert!(!anonymous.contains("Signed in as"), "{anonymous}");
    assert_eq!(metric(&app, hits).await, h0 + 1, "each of them rendered");
    assert_eq!(
        metric(&app, shared_hits).await,
        s0,
        "the signed-out view too"
    );

    // A message to show (a flash) is a render of its own, shown once; the kept page never
    // holds it.
    let refused = app
        .form_post(CreatePost::PATH, "title=+&content=Kept+text", "/posts")
        .await;
    let flash = flash_cookie(&refused).expect("a flash cookie");
    let with_flash = text(app.get_with_cookie("/posts", Some(&flash)).await).await;
    assert!(
        with_flash.contains("Title cannot be empty."),
        "{with_flash}"
    );
    let (_, after) = own_view(&app, &me, "/posts").await;
    assert_eq!(metric(&app, hits).await, h0 + 2, "the kept page again");
    assert!(!after.contains("Title cannot be empty.") && !after.contains("Kept text"));

    // A write ends it: the next view is rendered, with the new post.
    app.script_post(CreatePost::PATH, FORM, "title=Second&content=x")
        .await;
    let (_, after) = own_view(&app, &me, "/posts").await;
    assert!(after.contains(">Second<"), "{after}");
    own_view(&app, &me, "/posts").await;
    assert_eq!(metric(&app, hits).await, h0 + 3, "kept again");

    // Signing out revalidates nothing, yet the old cookie never gets the signed-in page again.
    let out = app
        .script_post(app::accounts::log_out::LogOut::PATH, FORM, "")
        .await;
    assert_eq!(out.status(), StatusCode::OK);
    let (_, signed_out) = own_view(&app, &me, "/posts").await;
    assert!(!signed_out.contains("Signed in as"), "{signed_out}");
    assert!(!signed_out.contains("name=\"title\""), "no new-post form");
    assert_eq!(metric(&app, hits).await, h0 + 3, "rendered for nobody");
    app.db.drop_database().await;
}

#[tokio::test]
async fn a_theme_set_by_an_action_is_a_cookie_every_page_renders_with() {
    let app = TestApp::spawn().await;
    let response = app
        .form_post(
            app::settings::SetTheme::PATH,
            "__fw_return=%2Fsettings&theme=dark",
            "/settings",
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookies: Vec<&str> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let theme = cookies
        .iter()
        .find(|c| c.starts_with("fw_theme="))
        .expect("the redirect carries the theme's cookie");
    // Built like every formwork cookie: the attributes, in whatever order they come.
    let mut attributes: Vec<&str> = theme.split("; ").collect();
    attributes.sort_unstable();
    assert_eq!(
        attributes,
        [
            "HttpOnly",
            "Max-Age=31536000",
            "Path=/",
            "SameSite=Lax",
            "fw_theme=dark"
        ]
    );
    for (cookie, rendered) in [
        ("fw_theme=dark", "dark"),
        ("fw_theme=light", "light"),
        ("fw_theme=%22%3E%3Cscript%3E", "system"),
        ("fw_theme=", "system"),
    ] {
        let html = text(app.get_with_cookie("/posts", Some(cookie)).await).await;
        assert!(
            html.contains(&format!("<html lang=\"en\" data-theme=\"{rendered}\"")),
            "{cookie}"
        );
    }
    // Back to the system's theme: the cookie goes (same name and path, expired at once).
    let response = app
        .script_post(app::settings::SetTheme::PATH, FORM, "theme=system")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let cleared = response.headers()[header::SET_COOKIE].to_str().unwrap();
    let mut attributes: Vec<&str> = cleared.split("; ").collect();
    attributes.sort_unstable();
    assert_eq!(
        attributes,
        [
            "HttpOnly",
            "Max-Age=0",
            "Path=/",
            "SameSite=Lax",
            "fw_theme="
        ]
    );
    let refused = app
        .script_post(app::settings::SetTheme::PATH, FORM, "theme=neon")
        .await;
    // Not one of the themes: a 422 at the field (the schema's choice), and no cookie.
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.headers().get(header::SET_COOKIE).is_none());
    assert_eq!(
        json(refused).await["fields"]["theme"],
        serde_json::json!(["Choose one of the options for Theme."])
    );
    app.db.drop_database().await;
}

#[tokio::test]
async fn a_display_name_is_checked_and_shown_next_to_posts_and_comments_at_once() {
    use app::{comments::add_comment::AddComment, settings::profile::UpdateProfile};
    let app = TestApp::spawn().await;
    app.script_post(CreatePost::PATH, FORM, "title=Named&content=x")
        .await;
    let (_, list) = app.get("/posts").await;
    assert!(
        list.contains(r#"<span class="author">tester</span>"#),
        "{list}"
    );
    // Both cached now: the name change must purge them.
    let post = app
        .db
        .store()
        .await
        .post_by_slug("named")
        .await
        .unwrap()
        .unwrap();
    let body = format!(
        "post={}&body=First",
        TestApp::bind(AddComment::PATH, post.id)
    );
    let response = app.script_post(AddComment::PATH, FORM, &body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let (_, page) = app.get("/posts/named").await;
    assert!(
        page.contains(r#"<span class="author">tester</span>"#),
        "{page}"
    );

    for (bad, problem) in [
        ("display_name=", "Display name"),
        (&*format!("display_name={}", "é".repeat(51)), "at most 50"),
        ("display_name=a%1Bb", "control characters"),
    ] {
        let response = app.script_post(UpdateProfile::PATH, FORM, bad).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let body = json(response).await;
        let message = body["fields"]["display_name"][0]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(message.contains(problem), "{bad}: {body}");
    }

    // Fifty characters (not bytes), trimmed.
    let name = "Ada Lovelace ✓".to_owned() + &"é".repeat(36);
    let body = format!(
        "display_name=++{}++",
        form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
    );
    let response = app.script_post(UpdateProfile::PATH, FORM, &body).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json(response).await, serde_json::json!(name));

    let (_, list) = app.get("/posts").await;
    assert!(
        list.contains(&format!(
            r#"<span class="author">{name}</span> <span class="handle">@tester</span>"#
        )),
        "{list}"
    );
    let (_, page) = app.get("/posts/named").await;
    assert_eq!(
        page.matches(&format!(r#"<span class="author">{name}</span>"#))
            .count(),
        2,
        "the byline and the comment: {page}"
    );
    let (_, profile) = app.get("/settings/profile").await;
    assert!(profile.contains(&format!(r#"value="{name}""#)), "{profile}");

    // Markup is text.
    let response = app
        .script_post(
            UpdateProfile::PATH,
            FORM,
            "display_name=%3Cb%3EBold%3C%2Fb%3E",
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (_, list) = app.get("/posts").await;
    assert!(list.contains("&lt;b&gt;Bold&lt;/b&gt;"), "{list}");
    assert!(!list.contains("<b>Bold"), "{list}");
    app.db.drop_database().await;
}
