//! Rate limits, through the whole HTTP stack: a burst of 5N parallel calls lets exactly N
//! through, in memory and through Redis (shared by two instances); clients are told apart by
//! their address, and by `X-Forwarded-For` only through trusted proxies; a form without
//! JavaScript gets the refusal inline, with its input kept.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use app::feedback::send_feedback::SendFeedback;
use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{header, Request, StatusCode},
    Router,
};
use common::{text, TestDb};
use formwork::rate_limit::{Limiter, MemoryLimiter, RedisLimiter};
use server_fn::ServerFn;
use std::{net::SocketAddr, sync::Arc};
use tower::ServiceExt;

/// The Redis server the test command starts on loopback.
const REDIS_URL_VAR: &str = "FORMWORK_TEST_REDIS_URL";

/// The feedback form's declared limit: 10 a minute per address.
const LIMIT: usize = 10;

async fn instance(
    stores: server::store::Stores,
    limiter: Arc<dyn Limiter>,
    args: &[&str],
) -> Router {
    common::router_with(stores, limiter, args).await
}

async fn redis() -> Arc<dyn Limiter> {
    let url = std::env::var(REDIS_URL_VAR).unwrap_or_else(|_| {
        panic!(
            "{REDIS_URL_VAR} is not set. Run the README's test command (scripts/test.sh), which \
             starts redis-server on loopback, or point it at a Redis yourself."
        )
    });
    Arc::new(RedisLimiter::connect(&url).await.unwrap())
}

/// An address no other test (or earlier run against the same Redis) uses.
fn fresh_ip() -> String {
    let id = uuid::Uuid::new_v4();
    let b = id.as_bytes();
    format!("10.{}.{}.{}", b[0], b[1], b[2])
}

/// A call from the server_fn client, over a socket from `peer`.
fn script_call(peer: &str, forwarded_for: Option<&str>, message: &str) -> Request<Body> {
    let mut request = Request::post(SendFeedback::PATH)
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .extension(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 40000)));
    if let Some(forwarded_for) = forwarded_for {
        request = request.header("x-forwarded-for", forwarded_for);
    }
    // The test messages are plain words: spaces are all there is to encode.
    let body = format!("message={}", message.replace(' ', "+"));
    request.body(Body::from(body)).unwrap()
}

/// Sends `count` calls at once, spread over `routers`; returns how many were let through,
/// after checking that every refusal is a 429 that says when to retry.
async fn burst(routers: &[Router], peer: &str, count: usize) -> usize {
    let calls = (0..count).map(|i| {
        let router = routers[i % routers.len()].clone();
        let request = script_call(peer, None, &format!("Burst note number {i}"));
        tokio::spawn(async move { router.oneshot(request).await.unwrap() })
    });
    let mut allowed = 0;
    for call in calls.collect::<Vec<_>>() {
        let response = call.await.unwrap();
        match response.status() {
            StatusCode::OK => allowed += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                let retry_after: u64 = response.headers()[header::RETRY_AFTER]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
                let body: serde_json::Value = serde_json::from_str(&text(response).await).unwrap();
                assert_eq!(body["error"], "rate_limited");
                assert_eq!(body["retry_after_secs"], retry_after);
            }
            other => panic!("unexpected {other}: {}", text(response).await),
        }
    }
    allowed
}

#[tokio::test]
async fn a_burst_of_5n_parallel_calls_lets_exactly_n_through_in_memory() {
    let db = TestDb::sqlite().await;
    let router = instance(db.stores().await, Arc::new(MemoryLimiter::new()), &[]).await;
    let peer = fresh_ip();
    assert_eq!(
        burst(std::slice::from_ref(&router), &peer, 5 * LIMIT).await,
        LIMIT
    );
    assert_eq!(
        db.store().await.feedback_count().await.unwrap(),
        LIMIT as u64
    );
    // Another address has its own allowance.
    assert_eq!(burst(&[router], &fresh_ip(), 2).await, 2);
    db.drop_database().await;
}

#[tokio::test]
async fn through_redis_two_instances_share_one_limit() {
    let db = TestDb::sqlite().await;
    let a = instance(db.stores().await, redis().await, &[]).await;
    let b = instance(db.stores().await, redis().await, &[]).await;
    let peer = fresh_ip();
    assert_eq!(burst(&[a, b], &peer, 5 * LIMIT).await, LIMIT);
    assert_eq!(
        db.store().await.feedback_count().await.unwrap(),
        LIMIT as u64
    );
    db.drop_database().await;
}

#[tokio::test]
async fn forwarded_addresses_count_only_through_trusted_proxies() {
    let db = TestDb::sqlite().await;
    let limiter: Arc<dyn Limiter> = Arc::new(MemoryLimiter::new());
    let direct = instance(db.stores().await, limiter.clone(), &[]).await;
    let proxied = instance(
        db.stores().await,
        limiter,
        &["--trusted-proxies", "192.0.2.0/24"],
    )
    .await;
    // A client that connects directly cannot pick a new bucket by writing the header.
    let client = fresh_ip();
    let mut statuses = Vec::new();
    for i in 0..=LIMIT {
        statuses.push(send(&direct, &client, &fresh_ip(), i).await);
    }
    assert_eq!(statuses[..LIMIT], [StatusCode::OK; LIMIT]);
    assert_eq!(statuses[LIMIT], StatusCode::TOO_MANY_REQUESTS);

    // Behind the trusted balancer, clients are told apart by the hop it added; what a client
    // wrote to its left changes nothing.
    let (alice, bob) = (fresh_ip(), fresh_ip());
    for i in 0..LIMIT {
        let forged = format!("{}, {alice}", fresh_ip());
        assert_eq!(
            send(&proxied, "192.0.2.10", &forged, i).await,
            StatusCode::OK
        );
    }
    assert_eq!(
        send(&proxied, "192.0.2.11", &alice, 99).await,
        StatusCode::TOO_MANY_REQUESTS,
        "alice is over her limit, whichever balancer she comes through"
    );
    assert_eq!(send(&proxied, "192.0.2.10", &bob, 0).await, StatusCode::OK);
    db.drop_database().await;
}

async fn send(router: &Router, peer: &str, forwarded: &str, i: usize) -> StatusCode {
    let request = script_call(peer, Some(forwarded), &format!("Note {i} here"));
    router.clone().oneshot(request).await.unwrap().status()
}

#[tokio::test]
async fn without_javascript_the_refusal_is_shown_in_the_form_with_the_input_kept() {
    let db = TestDb::sqlite().await;
    let router = instance(db.stores().await, Arc::new(MemoryLimiter::new()), &[]).await;
    let peer = fresh_ip();
    assert_eq!(
        burst(std::slice::from_ref(&router), &peer, LIMIT).await,
        LIMIT
    );

    let response = router
        .clone()
        .oneshot(
            Request::post(SendFeedback::PATH)
                .header(header::ACCEPT, "text/html,application/xhtml+xml")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::REFERER, "http://127.0.0.1:3000/feedback")
                .extension(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 40000)))
                .body(Body::from("message=One+note+too+many"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/feedback");
    let cookie = response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = text(
        router
            .oneshot(
                Request::get("/feedback")
                    .header(header::ACCEPT, "text/html")
                    .header(header::COOKIE, cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains("Too many requests. Please try again in"),
        "{page}"
    );
    assert!(
        page.contains("One note too many"),
        "the input is kept: {page}"
    );
    assert_eq!(
        db.store().await.feedback_count().await.unwrap(),
        LIMIT as u64
    );
    db.drop_database().await;
}
