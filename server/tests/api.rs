//! The JSON API for mobile clients and third parties: `GET /api/v1/posts` (newest first,
//! cursor pagination) and `GET /api/v1/posts/{slug}`. Plain routes, outside the actions.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use app::roles::Role;
use axum::{
    body::Body,
    http::{header, Method, Request, StatusCode},
    Router,
};
use common::{text, TestDb};
use formwork::Validated;
use tower::ServiceExt;

async fn get(router: &Router, uri: &str) -> (StatusCode, String, serde_json::Value) {
    let response = router
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    let body = text(response).await;
    (
        status,
        content_type,
        serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
    )
}

async fn site_with_posts(n: usize) -> (Router, TestDb, server::store::Stores, i64) {
    let db = TestDb::sqlite().await;
    let stores = db.stores().await;
    let (author, _) = common::signed_in(&stores, "ada", Role::User).await;
    for i in 1..=n {
        publish(&stores, author, &format!("Post {i}")).await;
    }
    (
        common::router(stores.clone(), &[]).await,
        db,
        stores,
        author,
    )
}

async fn publish(stores: &server::store::Stores, author: i64, title: &str) {
    let post = app::posts::model::NewPost {
        title: title.into(),
        content: format!("The text of {title}."),
    }
    .validated()
    .unwrap();
    let slug = title.to_lowercase().replace(' ', "-");
    stores.app.create_post(&post, &slug, author).await.unwrap();
}

fn titles(page: &serde_json::Value) -> Vec<String> {
    page["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_list_pages_by_cursor_newest_first_and_new_posts_never_shift_a_page() {
    let (router, _db, stores, author) = site_with_posts(45).await;
    let (status, content_type, first) = get(&router, "/api/v1/posts").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/json");
    assert_eq!(titles(&first).len(), 20);
    assert_eq!(titles(&first)[0], "Post 45");
    assert!(
        first["posts"][0]["content"].is_null(),
        "the list gives excerpts"
    );
    assert_eq!(first["posts"][0]["url"], "/posts/post-45");

    // Published while the client reads page one: page two is still what follows page one.
    publish(&stores, author, "Late news").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, _, second) = get(&router, &format!("/api/v1/posts?cursor={cursor}")).await;
    assert_eq!(titles(&second)[0], "Post 25");
    let cursor = second["next_cursor"].as_str().unwrap();
    let (_, _, last) = get(&router, &format!("/api/v1/posts?cursor={cursor}&limit=100")).await;
    assert_eq!(
        titles(&last),
        (1..=5)
            .rev()
            .map(|i| format!("Post {i}"))
            .collect::<Vec<_>>()
    );
    assert!(last["next_cursor"].is_null(), "the last page says so");

    let (_, _, small) = get(&router, "/api/v1/posts?limit=1").await;
    assert_eq!(titles(&small), ["Late news"]);
}

#[tokio::test]
async fn one_post_comes_whole_and_a_missing_one_is_a_json_404() {
    let (router, _db, _, _) = site_with_posts(1).await;
    let (status, _, post) = get(&router, "/api/v1/posts/post-1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(post["content"], "The text of Post 1.");
    assert_eq!(post["author"], "ada");
    for missing in ["/api/v1/posts/nope", "/api/v1/posts/..%2F..%2Fetc"] {
        let (status, content_type, error) = get(&router, missing).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
        assert_eq!(content_type, "application/json");
        assert_eq!(error["error"], "not_found");
    }
}

#[tokio::test]
async fn bad_parameters_are_400s_that_say_what_to_send() {
    let (router, _db, _, _) = site_with_posts(1).await;
    for (query, says) in [
        ("limit=0", "limit must be a whole number from 1 to 100."),
        ("limit=101", "limit must be a whole number from 1 to 100."),
        ("limit=ten", "limit must be a whole number from 1 to 100."),
        (
            "cursor=not-ours",
            "The cursor is not one this API gave out. Start again without it.",
        ),
        (
            "page=2",
            "Unknown parameter `page`: this endpoint takes limit and cursor.",
        ),
    ] {
        let (status, _, error) = get(&router, &format!("/api/v1/posts?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(error["error"], "bad_request");
        assert_eq!(error["message"], says, "{query}");
    }
    let response = router
        .clone()
        .oneshot(
            Request::builder()
                .method(Method::POST)
                .uri("/api/v1/posts")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::METHOD_NOT_ALLOWED,
        "read-only"
    );
}
