//! The live stream: what an action revalidated reaches the open pages it concerns, once,
//! including pages rendered just before it and pages that come back after a drop.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use app::roles::Role;
use app::{newsletter::subscribe::Subscribe, posts::create_post::CreatePost};
use axum::{
    body::Body,
    http::{header, Request, Response, StatusCode},
    Router,
};
use common::{text, LiveStream, TestDb};
use formwork::protocol::REVALIDATION_ID_HEADER;
use server_fn::ServerFn;
use std::time::Duration;
use tower::ServiceExt;

/// Long enough for anything that is coming to come.
const PATIENCE: Duration = Duration::from_secs(10);

async fn post(
    router: &Router,
    path: &str,
    body: &str,
    cookie: &str,
    script: bool,
) -> Response<Body> {
    let accept = if script {
        "application/json"
    } else {
        "text/html"
    };
    let request = Request::post(path)
        .header(header::ACCEPT, accept)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::REFERER, "http://127.0.0.1:3000/posts")
        .header("sec-fetch-site", "same-origin")
        .header(header::COOKIE, cookie)
        .body(Body::from(body.to_owned()))
        .unwrap();
    router.clone().oneshot(request).await.unwrap()
}

fn revalidation_id(response: &Response<Body>) -> String {
    response.headers()[REVALIDATION_ID_HEADER]
        .to_str()
        .unwrap()
        .to_owned()
}

async fn site() -> (Router, String, TestDb) {
    let db = TestDb::sqlite().await;
    let stores = db.stores().await;
    let (_, session) = common::signed_in(&stores, "ada", Role::User).await;
    (common::router(stores, &[]).await, session, db)
}

#[tokio::test]
async fn open_pages_hear_exactly_the_revalidations_that_concern_them_with_the_actions_id() {
    let (router, session, _db) = site().await;
    let mut list = LiveStream::open(&router, "path=/posts&tags=posts", None).await;
    let mut newsletter = LiveStream::open(&router, "path=/newsletter&tags=newsletter", None).await;

    let published = post(
        &router,
        CreatePost::PATH,
        "title=Live&content=Heard+live.",
        &session,
        true,
    )
    .await;
    assert_eq!(published.status(), StatusCode::OK);
    let id = revalidation_id(&published);
    let heard = list
        .next(PATIENCE)
        .await
        .expect("the list heard of the new post");
    assert_eq!(
        heard.id, id,
        "the same id as the action's answer, so its tab acts once"
    );
    assert_eq!(heard.items, ["tag:posts"]);

    let subscribed = post(
        &router,
        Subscribe::PATH,
        "email=live%40example.org",
        &session,
        true,
    )
    .await;
    assert_eq!(subscribed.status(), StatusCode::OK);
    let heard = newsletter
        .next(PATIENCE)
        .await
        .expect("the newsletter page heard");
    assert_eq!(
        (heard.id, heard.items),
        (
            revalidation_id(&subscribed),
            vec!["path:/newsletter".to_owned()]
        ),
        "its first event: it never heard of the post (subscribing names the count's page)"
    );
}

#[tokio::test]
async fn a_form_posted_without_javascript_is_heard_live_too() {
    let (router, session, _db) = site().await;
    let mut list = LiveStream::open(&router, "path=/posts&tags=posts", None).await;
    let response = post(
        &router,
        CreatePost::PATH,
        "title=Plain&content=Posted+without+script.",
        &session,
        false,
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let heard = list
        .next(PATIENCE)
        .await
        .expect("the list heard of the plain post");
    assert_eq!(heard.items, ["tag:posts"]);
}

#[tokio::test]
async fn a_page_rendered_before_a_change_hears_it_even_if_its_stream_opens_after() {
    let (router, session, _db) = site().await;
    let page = common::page(&router, "/posts", None).await;
    let marker = r#"<meta name="formwork-live" content=""#;
    let start = page
        .find(marker)
        .expect("the page records the stream's position")
        + marker.len();
    let position = &page[start..start + page[start..].find('"').unwrap()];

    // Published while the page was still loading its script.
    let published = post(
        &router,
        CreatePost::PATH,
        "title=Early&content=Before+the+stream.",
        &session,
        true,
    )
    .await;
    let mut list = LiveStream::open(
        &router,
        &format!("path=/posts&tags=posts&since={position}"),
        None,
    )
    .await;
    let heard = list
        .next(PATIENCE)
        .await
        .expect("the page heard what it missed");
    assert_eq!(heard.id, revalidation_id(&published));
}

#[tokio::test]
async fn subscriptions_it_cannot_serve_are_explained_and_open_streams_are_counted() {
    let (router, _, _db) = site().await;
    for query in ["path=posts&tags=posts", "tags=a%00b"] {
        let response = router
            .clone()
            .oneshot(
                Request::get(format!("/_formwork/live?{query}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        assert!(!text(response).await.is_empty(), "{query}: says why");
    }
    let metrics = || async {
        text(
            router
                .clone()
                .oneshot(
                    Request::get("/metrics")
                        .extension(server::ops::OperatorPort)
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap(),
        )
        .await
    };
    assert!(metrics().await.contains("formwork_live_streams 0\n"));
    let stream = LiveStream::open(&router, "tags=posts", None).await;
    assert!(metrics().await.contains("formwork_live_streams 1\n"));
    drop(stream);
    assert!(
        metrics().await.contains("formwork_live_streams 0\n"),
        "a closed page costs nothing"
    );
}

#[tokio::test]
async fn a_page_that_reconnects_hears_what_it_missed_and_nothing_twice() {
    let (router, session, _db) = site().await;
    let mut stream = LiveStream::open(&router, "path=/posts&tags=posts", None).await;
    post(
        &router,
        CreatePost::PATH,
        "title=One&content=Heard+live.",
        &session,
        true,
    )
    .await;
    let first = stream.next(PATIENCE).await.unwrap();
    let last_id = stream
        .last_event_id
        .clone()
        .expect("events carry their position");
    drop(stream); // the connection drops

    let missed = post(
        &router,
        CreatePost::PATH,
        "title=Two&content=Missed.",
        &session,
        true,
    )
    .await;
    // The browser reconnects by itself, naming the last event it got.
    let mut again = LiveStream::open_with(
        &router,
        "path=/posts&tags=posts",
        &[("last-event-id", &last_id)],
    )
    .await;
    let heard = again.next(PATIENCE).await.unwrap();
    assert_ne!(heard.id, first.id, "not the one it had");
    assert_eq!(heard.id, revalidation_id(&missed), "the one it missed");
}

#[tokio::test]
async fn a_private_tag_is_heard_by_its_owner_only() {
    use app::todos::actions::AddTodo;
    let db = TestDb::sqlite().await;
    let stores = db.stores().await;
    let (ada_id, ada) = common::signed_in(&stores, "ada", Role::User).await;
    let (_, bob) = common::signed_in(&stores, "bob", Role::User).await;
    let router = common::router(stores, &[]).await;
    let theirs = app::todos::model::tag(ada_id).replace(':', "%3A");
    let mut hers =
        LiveStream::open(&router, &format!("path=/todos&tags={theirs}"), Some(&ada)).await;
    // Bob asks for Ada's list too, and for the posts.
    let mut his = LiveStream::open(
        &router,
        &format!("path=/todos&tags={theirs}+posts"),
        Some(&bob),
    )
    .await;
    let mut nobody =
        LiveStream::open(&router, &format!("path=/todos&tags={theirs}+posts"), None).await;

    let added = post(&router, AddTodo::PATH, "title=Private", &ada, true).await;
    assert_eq!(added.status(), StatusCode::OK);
    let heard = hers
        .next(PATIENCE)
        .await
        .expect("Ada's other tabs hear of it");
    assert_eq!(heard.id, revalidation_id(&added));

    let published = post(
        &router,
        CreatePost::PATH,
        "title=Public&content=For+all.",
        &ada,
        true,
    )
    .await;
    for stream in [&mut his, &mut nobody] {
        let first = stream.next(PATIENCE).await.unwrap();
        assert_eq!(
            first.id,
            revalidation_id(&published),
            "the first they hear is the post"
        );
    }
}
