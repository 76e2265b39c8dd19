//! `POST /api/webhooks/newsletter-bounce`: a plain route for the mail provider, with its own
//! proof of origin (an HMAC signature), freshness window and replay protection.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::{
    body::Body,
    http::{Request, StatusCode},
    Router,
};
use common::{text, LiveStream, TestDb};
use server::api::webhooks::sign;
use std::time::Duration;
use tower::ServiceExt;

const SECRET: &str = "bounce-secret-bounce-secret-bounce!!";

struct Delivery {
    id: String,
    timestamp: i64,
    body: String,
    secret: &'static str,
    signature: Option<String>,
}

impl Delivery {
    fn of(id: &str, email: &str) -> Self {
        Self {
            id: id.into(),
            timestamp: time::OffsetDateTime::now_utc().unix_timestamp(),
            body: format!(r#"{{"email":"{email}"}}"#),
            secret: SECRET,
            signature: None,
        }
    }

    async fn send(&self, router: &Router) -> (StatusCode, serde_json::Value) {
        let timestamp = self.timestamp.to_string();
        let signature = self.signature.clone().unwrap_or_else(|| {
            sign(
                self.secret.as_bytes(),
                &self.id,
                &timestamp,
                self.body.as_bytes(),
            )
            .unwrap()
        });
        let request = Request::post("/api/webhooks/newsletter-bounce")
            .header("content-type", "application/json")
            .header("x-webhook-id", &self.id)
            .header("x-webhook-timestamp", &timestamp)
            .header("x-webhook-signature", signature)
            .body(Body::from(self.body.clone()))
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        (
            status,
            serde_json::from_str(&text(response).await).unwrap_or_default(),
        )
    }
}

async fn site(secret: bool) -> (Router, TestDb, server::store::Stores) {
    let db = TestDb::sqlite().await;
    let stores = db.stores().await;
    let args: &[&str] = if secret {
        &["--newsletter-webhook-secret", SECRET]
    } else {
        &[]
    };
    (common::router(stores.clone(), args).await, db, stores)
}

async fn subscribed(stores: &server::store::Stores) -> u64 {
    stores.app.subscriber_count().await.unwrap()
}

#[tokio::test]
async fn a_signed_fresh_delivery_unsubscribes_once_and_open_pages_hear_it() {
    let (router, _db, stores) = site(true).await;
    stores
        .app
        .subscribe("gone@example.org", &common::welcome("gone@example.org"))
        .await
        .unwrap();
    stores
        .app
        .subscribe("stays@example.org", &common::welcome("stays@example.org"))
        .await
        .unwrap();
    let mut newsletter = LiveStream::open(&router, "path=/newsletter&tags=newsletter", None).await;

    let delivery = Delivery::of("evt_1", "Gone@Example.org");
    let (status, body) = delivery.send(&router).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("unsubscribed"))
    );
    assert_eq!(subscribed(&stores).await, 1);
    let heard = newsletter
        .next(Duration::from_secs(10))
        .await
        .expect("the count's pages hear it");
    assert_eq!(heard.items, ["tag:newsletter"]);

    // The provider retries the same delivery after the address subscribed again: ignored.
    stores
        .app
        .subscribe("gone@example.org", &common::welcome("gone@example.org"))
        .await
        .unwrap();
    let (status, body) = delivery.send(&router).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("already_handled"))
    );
    assert_eq!(subscribed(&stores).await, 2, "a replay does nothing");

    let (status, body) = Delivery::of("evt_2", "never@example.org")
        .send(&router)
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("not_subscribed"))
    );
}

#[tokio::test]
async fn bad_signatures_old_deliveries_and_bad_bodies_are_refused_and_change_nothing() {
    let (router, _db, stores) = site(true).await;
    stores
        .app
        .subscribe("ada@example.org", &common::welcome("ada@example.org"))
        .await
        .unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let cases: Vec<(&str, Delivery, StatusCode)> = vec![
        (
            "another secret",
            Delivery {
                secret: "some-other-secret-some-other-secret!",
                ..Delivery::of("a", "ada@example.org")
            },
            StatusCode::UNAUTHORIZED,
        ),
        (
            "a body changed after signing",
            Delivery {
                signature: Some(
                    sign(
                        SECRET.as_bytes(),
                        "b",
                        &now.to_string(),
                        br#"{"email":"bob@example.org"}"#,
                    )
                    .unwrap(),
                ),
                ..Delivery::of("b", "ada@example.org")
            },
            StatusCode::UNAUTHORIZED,
        ),
        (
            "another delivery's signature",
            Delivery {
                signature: Some(
                    sign(
                        SECRET.as_bytes(),
                        "other",
                        &now.to_string(),
                        br#"{"email":"ada@example.org"}"#,
                    )
                    .unwrap(),
                ),
                ..Delivery::of("c", "ada@example.org")
            },
            StatusCode::UNAUTHORIZED,
        ),
        (
            "no hex",
            Delivery {
                signature: Some("sha256=zz".into()),
                ..Delivery::of("d", "ada@example.org")
            },
            StatusCode::UNAUTHORIZED,
        ),
        (
            "another scheme",
            Delivery {
                signature: Some("md5=00".into()),
                ..Delivery::of("e", "ada@example.org")
            },
            StatusCode::UNAUTHORIZED,
        ),
        (
            "six minutes old",
            Delivery {
                timestamp: now - 360,
                ..Delivery::of("f", "ada@example.org")
            },
            StatusCode::UNAUTHORIZED,
        ),
        (
            "two minutes ahead",
            Delivery {
                timestamp: now + 120,
                ..Delivery::of("g", "ada@example.org")
            },
            StatusCode::UNAUTHORIZED,
        ),
        (
            "not JSON",
            Delivery {
                body: "email=ada".into(),
                ..Delivery::of("h", "ada@example.org")
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            "no address",
            Delivery {
                body: r#"{"email":"nobody"}"#.into(),
                ..Delivery::of("i", "ada@example.org")
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            "too large",
            Delivery {
                body: format!(
                    r#"{{"email":"ada@example.org","pad":"{}"}}"#,
                    "x".repeat(17 * 1024)
                ),
                ..Delivery::of("j", "ada@example.org")
            },
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (what, delivery, expected) in cases {
        let (status, body) = delivery.send(&router).await;
        assert_eq!(status, expected, "{what}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: says why"
        );
        assert_eq!(subscribed(&stores).await, 1, "{what}: nothing changed");
    }
    // A refused delivery is not remembered: sent properly, the same id works.
    let (status, _) = Delivery::of("f", "ada@example.org").send(&router).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(subscribed(&stores).await, 0);

    let missing = Request::post("/api/webhooks/newsletter-bounce")
        .body(Body::from("{}"))
        .unwrap();
    let response = router.clone().oneshot(missing).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(text(response).await.contains("x-webhook-id"));
}

#[tokio::test]
async fn without_a_secret_the_webhook_does_not_exist() {
    let (router, _db, stores) = site(false).await;
    stores
        .app
        .subscribe("ada@example.org", &common::welcome("ada@example.org"))
        .await
        .unwrap();
    let (status, _) = Delivery::of("a", "ada@example.org").send(&router).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(subscribed(&stores).await, 1);
}
