//! Two instances on one PostgreSQL database, as behind a load balancer: what one of them
//! revalidates, the other's data cache drops too and its open pages hear of it, through
//! PostgreSQL's `LISTEN/NOTIFY` or through Redis pub/sub.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use app::posts::create_post::CreatePost;
use app::roles::Role;
use axum::{
    body::Body,
    http::{header, Request, StatusCode},
    Router,
};
use common::TestDb;
use formwork::{cache::DataCache, rate_limit::MemoryLimiter};
use server_fn::ServerFn;
use std::{sync::Arc, time::Duration};
use tower::ServiceExt;

async fn page(router: &Router, path: &str) -> String {
    common::page(router, path, None).await
}

/// Waits until `cache` has seen more purges than `seen` (a revalidation arrived).
async fn purged_since(cache: &DataCache, seen: u64) {
    let mut purges = cache.purges();
    tokio::time::timeout(Duration::from_secs(10), purges.wait_for(|n| *n > seen))
        .await
        .expect("the revalidation reached the other instance within 10 s")
        .unwrap();
}

/// What carries revalidations between the two instances.
#[derive(Clone, Copy, Debug)]
enum Bus {
    Postgres,
    Redis,
}

async fn stores(db: &TestDb, bus: Bus) -> server::store::Stores {
    let stores = db.stores().await;
    match bus {
        Bus::Postgres => stores,
        Bus::Redis => {
            let url = std::env::var("FORMWORK_TEST_REDIS_URL").unwrap_or_else(|_| {
                panic!(
                    "FORMWORK_TEST_REDIS_URL is not set. Run the README's test command \
                     (scripts/test.sh), which starts redis-server on loopback."
                )
            });
            let bus = formwork::invalidation::redis::RedisInvalidations::connect(&url)
                .await
                .unwrap();
            server::store::Stores {
                framework: stores.framework.with_bus(Arc::new(bus)),
                ..stores
            }
        }
    }
}

#[tokio::test]
async fn a_revalidation_on_one_instance_purges_the_others_cache_through_postgres() {
    one_revalidates_the_other_follows(Bus::Postgres).await;
}

#[tokio::test]
async fn a_revalidation_on_one_instance_purges_the_others_cache_through_redis() {
    one_revalidates_the_other_follows(Bus::Redis).await;
}

async fn one_revalidates_the_other_follows(bus: Bus) {
    let db = TestDb::postgres().await;
    let (stores_a, stores_b) = (stores(&db, bus).await, stores(&db, bus).await);
    let (_, session) = common::signed_in(&stores_a, "ada", Role::User).await;
    let (cache_a, cache_b) = (DataCache::new(), DataCache::new());
    let instance =
        |stores, cache| common::instance(stores, Arc::new(MemoryLimiter::new()), cache, &[]);
    let a = instance(stores_a, cache_a.clone()).await;
    let b = instance(stores_b, cache_b.clone()).await;
    // Each listener starts by purging what it may have missed: then it is listening.
    purged_since(&cache_a, 0).await;
    purged_since(&cache_b, 0).await;

    // A page on B shows the list, live.
    let mut live_on_b = common::LiveStream::open(&b, "path=/posts&tags=posts", None).await;
    // B shows the list and the newsletter count, and keeps both: the list rendered again for
    // another visitor (a cookie of its own: not the shared page from memory) is a hit.
    assert!(page(&b, "/posts").await.contains("No posts here yet."));
    common::page(&b, "/posts", Some("view=another")).await;
    page(&b, "/newsletter").await;
    let before = cache_b.stats();
    assert!(before.hits >= 1 && before.entries >= 1, "{before:?}");
    let seen = *cache_b.purges().borrow();

    // A publishes; its own cache is purged at once, B's as soon as the notification arrives.
    let response = a
        .clone()
        .oneshot(
            Request::post(CreatePost::PATH)
                .header(header::ACCEPT, "application/json")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header("sec-fetch-site", "same-origin")
                .header(header::COOKIE, &session)
                .body(Body::from("title=From+A&content=Published+on+instance+A."))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    purged_since(&cache_b, seen).await;
    let heard = live_on_b
        .next(Duration::from_secs(10))
        .await
        .unwrap_or_else(|| panic!("the page on B heard of A's post ({bus:?})"));
    assert_eq!(heard.items, ["tag:posts"]);
    assert_eq!(
        heard.id,
        response.headers()[formwork::protocol::REVALIDATION_ID_HEADER]
            .to_str()
            .unwrap(),
        "the id A's answer named"
    );
    let after = cache_b.stats();
    assert!(after.purged > before.purged, "{after:?}");
    assert!(
        page(&b, "/posts").await.contains(">From A<"),
        "B shows A's post"
    );
    db.drop_database().await;
}

/// Who the header of `/posts` on `router` says is signed in, for a request with `cookie`.
async fn signed_in_as(router: &Router, cookie: &str) -> Option<String> {
    let page = common::page(router, "/posts", Some(cookie)).await;
    let (_, rest) = page.split_once("Signed in as <strong>")?;
    Some(rest.split_once("</strong>")?.0.to_owned())
}

/// Calls `until` every 20 ms until it holds, for at most 10 s (the bus is asynchronous).
async fn eventually<F, Fut>(what: &str, mut until: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let waited = tokio::time::timeout(Duration::from_secs(10), async {
        while !until().await {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "{what} did not reach the other instance");
}

/// Each instance uses a session it resolved from memory (here for an hour, so only the bus
/// can tell it otherwise), yet a role changed or a session ended on A counts on B at once.
#[tokio::test]
async fn a_role_change_or_a_sign_out_on_one_instance_counts_on_the_other_through_the_bus() {
    use app::{accounts::log_out::LogOut, admin::change_role::ChangeRole, admin::ListAccounts};
    const SECRET: &str = "instances-secret-instances-secret!!!";
    let db = TestDb::postgres().await;
    let (stores_a, stores_b) = (
        stores(&db, Bus::Postgres).await,
        stores(&db, Bus::Postgres).await,
    );
    let (ada, ada_session) = common::signed_in(&stores_a, "ada", Role::User).await;
    let (_, root_session) = common::signed_in(&stores_a, "root", Role::Admin).await;
    let args = &["--session-cache-ms", "3600000", "--flash-secret", SECRET];
    let (cache_a, cache_b) = (DataCache::new(), DataCache::new());
    let limiter = || Arc::new(MemoryLimiter::new());
    let a = common::instance(stores_a, limiter(), cache_a.clone(), args).await;
    let b = common::instance(stores_b, limiter(), cache_b.clone(), args).await;
    purged_since(&cache_a, 0).await;
    purged_since(&cache_b, 0).await;

    let accounts_on_b = |session: String| {
        let b = b.clone();
        async move {
            b.oneshot(
                Request::get(format!("{}?page=0&query=", ListAccounts::PATH))
                    .header(header::ACCEPT, "application/json")
                    .header(header::COOKIE, session)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap()
            .status()
        }
    };
    // B knows ada, a user: the admins' list is not hers. (B now remembers her session, and
    // keeps her /posts for her next view: a role change or a sign-out ends that too.)
    assert_eq!(signed_in_as(&b, &ada_session).await.as_deref(), Some("ada"));
    assert_eq!(signed_in_as(&b, &ada_session).await.as_deref(), Some("ada"));
    let admin_link = "href=\"/admin\"";
    assert!(!common::page(&b, "/posts", Some(&ada_session))
        .await
        .contains(admin_link));
    assert_eq!(
        accounts_on_b(ada_session.clone()).await,
        StatusCode::FORBIDDEN
    );

    // Root makes her an admin on A; B lets her in.
    let key = formwork::signing::SigningKey::new(SECRET.as_bytes()).unwrap();
    let user = formwork::bound::sign_with(&key, ChangeRole::PATH, &ada.to_string());
    let post = |path: &'static str, body: String, session: &str| {
        Request::post(path)
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "same-origin")
            .header(header::COOKIE, session)
            .body(Body::from(body))
            .unwrap()
    };
    let changed = a
        .clone()
        .oneshot(post(
            ChangeRole::PATH,
            format!("user={user}&role=admin"),
            &root_session,
        ))
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    eventually("the role change", || async {
        accounts_on_b(ada_session.clone()).await == StatusCode::OK
    })
    .await;
    assert!(
        common::page(&b, "/posts", Some(&ada_session))
            .await
            .contains(admin_link),
        "her page on B shows what an admin sees"
    );

    // She signs out on A; on B her session is gone too.
    let out = a
        .oneshot(post(LogOut::PATH, String::new(), &ada_session))
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::OK);
    eventually("the sign-out", || async {
        signed_in_as(&b, &ada_session).await.is_none()
    })
    .await;
    db.drop_database().await;
}
