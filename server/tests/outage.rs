//! The database goes away under the site: PostgreSQL cut off behind a proxy that stops
//! answering (a host that vanished), and SQLite locked by another writer.
//!
//! While it is gone, every action answers 503 with `Retry-After` within a bound set by the
//! acquire timeout (never the old 30-second wait), a signed-in user is never told 401 or 403,
//! a plain form post comes back to its form with the reason and the input, and pages that need
//! no database still render. Once it is back, writes succeed again without a restart.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use app::{newsletter::subscribe::Subscribe, posts::create_post::CreatePost};
use axum::{
    body::Body,
    http::{header, Request, Response, StatusCode},
    Router,
};
use common::{text, TestDb};
use server_fn::ServerFn;
use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
};
use tower::ServiceExt;

/// What each store call waits for a connection (or SQLite's lock) in these tests.
const ACQUIRE: Duration = Duration::from_secs(1);
/// The longest an answer may take while the database is gone: a few acquire timeouts (a
/// session lookup and the action's own call), far below a hang.
const ANSWER_BOUND: Duration = Duration::from_secs(6);

const FORM: &str = "application/x-www-form-urlencoded";

/// A TCP proxy in front of the database. Cut, it drops the connections it carried and holds
/// new ones without a word, as a host that went away does; restored, it forwards again.
struct Cutoff {
    addr: SocketAddr,
    down: watch::Sender<bool>,
}

impl Cutoff {
    async fn to(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (down, watching) = watch::channel(false);
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                let mut down = watching.clone();
                tokio::spawn(async move {
                    if *down.borrow() {
                        let _ = down.wait_for(|down| !*down).await;
                        return;
                    }
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = down.wait_for(|down| *down) => {}
                    }
                });
            }
        });
        Self { addr, down }
    }

    fn cut(&self) {
        self.down.send_replace(true);
    }

    fn restore(&self) {
        self.down.send_replace(false);
    }
}

struct Site {
    router: Router,
}

impl Site {
    async fn send(&self, request: Request<Body>) -> (Response<Body>, Duration) {
        let started = Instant::now();
        let response = tokio::time::timeout(
            Duration::from_secs(60),
            self.router.clone().oneshot(request),
        )
        .await
        .expect("an answer, not a hang")
        .unwrap();
        (response, started.elapsed())
    }

    async fn script_post(
        &self,
        path: &str,
        body: &str,
        cookie: &str,
    ) -> (Response<Body>, Duration) {
        let mut request = Request::post(path)
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, FORM)
            .header("sec-fetch-site", "same-origin");
        if !cookie.is_empty() {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(body.to_owned())).unwrap())
            .await
    }

    async fn form_post(
        &self,
        path: &str,
        body: &str,
        cookie: &str,
        back: &str,
    ) -> (Response<Body>, Duration) {
        let mut request = Request::post(path)
            .header(header::ACCEPT, "text/html")
            .header(header::CONTENT_TYPE, FORM)
            .header(header::REFERER, format!("http://127.0.0.1:3000{back}"))
            .header("sec-fetch-site", "same-origin");
        if !cookie.is_empty() {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(body.to_owned())).unwrap())
            .await
    }

    async fn page(&self, path: &str, cookie: &str) -> (StatusCode, String) {
        let mut request = Request::get(path).header(header::ACCEPT, "text/html");
        if !cookie.is_empty() {
            request = request.header(header::COOKIE, cookie);
        }
        let (response, _) = self.send(request.body(Body::empty()).unwrap()).await;
        let status = response.status();
        (status, text(response).await)
    }
}

/// A 503 that says when to come back and what happened, within the bound.
async fn assert_unavailable(
    what: &str,
    (response, took): (Response<Body>, Duration),
    timings: &mut Vec<String>,
) {
    let status = response.status();
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let body = text(response).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {body}");
    assert!(retry_after.is_some(), "{what}: a Retry-After");
    assert!(body.contains("temporarily unavailable"), "{what}: {body}");
    assert!(took < ANSWER_BOUND, "{what}: answered after {took:?}");
    timings.push(format!("{what}: {status} in {} ms", took.as_millis()));
}

/// The whole outage story on `stores`, with `cut` taking the database away and `restore`
/// bringing it back. Returns the answers with their timings.
/// `sessions_fail`: whether reads fail too (PostgreSQL cut off), not only writes (SQLite
/// locked, whose readers go on).
async fn outage<C, R>(
    name: &str,
    sessions_fail: bool,
    stores: server::store::Stores,
    cut: C,
    restore: R,
) -> Vec<String>
where
    C: AsyncFnOnce(),
    R: AsyncFnOnce(),
{
    let (_, known) = common::signed_in(&stores, "known", app::roles::Role::User).await;
    let (_, stranger) = common::signed_in(&stores, "stranger", app::roles::Role::User).await;
    let site = Site {
        router: common::router_with(
            stores,
            Arc::new(formwork::rate_limit::Unlimited),
            &["--flash-secret", "outage-secret-outage-secret-outage!!"],
        )
        .await,
    };
    // This instance has seen `known` before the outage; `stranger` only signs in during it.
    let (status, _) = site.page("/posts", &known).await;
    assert_eq!(status, StatusCode::OK);
    let mut timings = Vec::new();

    cut().await;

    // With JavaScript: every kind of caller gets the 503, nobody a 401 or 403.
    let post = "title=Written+during+the+outage&content=Kept+%3Cthis%3E";
    assert_unavailable(
        &format!("{name}: create_post, signed in"),
        site.script_post(CreatePost::PATH, post, &known).await,
        &mut timings,
    )
    .await;
    assert_unavailable(
        &format!("{name}: create_post, signed in on another instance only"),
        site.script_post(CreatePost::PATH, post, &stranger).await,
        &mut timings,
    )
    .await;
    assert_unavailable(
        &format!("{name}: subscribe, signed out"),
        site.script_post(Subscribe::PATH, "email=reader%40example.org", "")
            .await,
        &mut timings,
    )
    .await;

    // Without JavaScript: back at the form, with the reason and the input.
    let (response, took) = site
        .form_post(CreatePost::PATH, post, &known, "/posts")
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "{name}: no-JS post"
    );
    assert!(
        took < ANSWER_BOUND,
        "{name}: no-JS post answered after {took:?}"
    );
    timings.push(format!(
        "{name}: create_post without JavaScript: 303 in {} ms",
        took.as_millis()
    ));
    let flash = common::set_cookie(&response, "fw_flash").expect("a flash cookie");
    let (status, html) = site.page("/posts", &format!("{known}; {flash}")).await;
    assert_ne!(status, StatusCode::UNAUTHORIZED, "{name}: {html}");
    assert!(
        html.contains("temporarily unavailable and nothing was saved"),
        "{name}: {html}"
    );
    assert!(
        html.contains("value=\"Written during the outage\""),
        "{name}: the title is kept: {html}"
    );
    assert!(
        html.contains("Kept &lt;this&gt;"),
        "{name}: the text is kept: {html}"
    );
    assert!(
        !html.contains("to write a post."),
        "{name}: not signed out: {html}"
    );

    // A page that needs no database renders, signed in or not.
    for cookie in [known.as_str(), ""] {
        let (status, html) = site.page("/contact", cookie).await;
        assert_eq!(status, StatusCode::OK, "{name}: /contact: {html}");
    }
    // A page for a session this instance cannot check says so: not signed out, not a 401.
    let (status, html) = site.page("/posts", &stranger).await;
    if sessions_fail {
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{name}: {html}");
        assert!(html.contains("You are still signed in"), "{name}: {html}");
    } else {
        assert!(
            html.contains("New post"),
            "{name}: the stranger is signed in: {html}"
        );
    }

    restore().await;

    // Back: the same write succeeds, on the same instance (the pool reconnects by itself).
    let back = Instant::now();
    loop {
        let (response, _) = site.script_post(CreatePost::PATH, post, &known).await;
        if response.status() == StatusCode::OK {
            break;
        }
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            back.elapsed() < Duration::from_secs(30),
            "{name}: writes did not come back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    timings.push(format!(
        "{name}: first successful write {} ms after the database was back",
        back.elapsed().as_millis()
    ));
    let (_, html) = site.page("/posts", &known).await;
    assert!(html.contains("Written during the outage"), "{name}: {html}");
    timings
}

#[tokio::test]
async fn postgres_cut_off_answers_503_quickly_keeps_input_and_recovers() {
    let db = TestDb::postgres().await;
    // The test's database, reached through the cutoff.
    let url = db.url().to_owned();
    let (prefix, rest) = url.split_once('@').unwrap();
    let (host, name) = rest.split_once('/').unwrap();
    let target: SocketAddr = host.parse().unwrap();
    let cutoff = Arc::new(Cutoff::to(target).await);
    let proxied = format!("{prefix}@{}/{name}", cutoff.addr);
    let stores = server::store::connect_with(&proxied, ACQUIRE)
        .await
        .unwrap();
    let timings = outage(
        "PostgreSQL",
        true,
        stores,
        {
            let cutoff = cutoff.clone();
            async move || cutoff.cut()
        },
        {
            let cutoff = cutoff.clone();
            async move || cutoff.restore()
        },
    )
    .await;
    println!("{}", timings.join("\n"));
    db.drop_database().await;
}

#[tokio::test]
async fn sqlite_locked_by_another_writer_answers_503_quickly_keeps_input_and_recovers() {
    use sqlx::Connection;
    let db = TestDb::sqlite().await;
    let stores = server::store::connect_with(db.url(), ACQUIRE)
        .await
        .unwrap();
    // Another process's writer holds the database's write lock.
    let locker = Arc::new(tokio::sync::Mutex::new(
        sqlx::SqliteConnection::connect(db.url()).await.unwrap(),
    ));
    let timings = outage(
        "SQLite",
        false,
        stores,
        {
            let locker = locker.clone();
            async move || {
                let mut connection = locker.lock().await;
                sqlx::query("BEGIN EXCLUSIVE")
                    .execute(&mut *connection)
                    .await
                    .unwrap();
            }
        },
        {
            let locker = locker.clone();
            async move || {
                let mut connection = locker.lock().await;
                sqlx::query("ROLLBACK")
                    .execute(&mut *connection)
                    .await
                    .unwrap();
            }
        },
    )
    .await;
    println!("{}", timings.join("\n"));
    db.drop_database().await;
}
