//! The pipeline's steps answer in one order, with JavaScript and without: a request that is at
//! once cross-site, signed out, oversized and over its rate limit gets the origin step's 403;
//! mended one fault at a time it gets the access step's 401, then the body's 413, then the
//! rate limit's 429. A script reads each answer's status; a plain form post reads the same
//! error from the flash its 303 leaves (the cross-site 403 never touches the form).
#![cfg(feature = "ssr")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::{body::Body, http::Request, Router};
use formwork::{
    flash::{Flash, FlashStore},
    identity::{Principal, Rank},
    store::{memory::MemoryStore, Stores},
    ActionError, Formwork,
};
use leptos::prelude::*;
use server_fn::{error::FromServerFnError, ServerFn};
use std::sync::Arc;
use tower::ServiceExt;

#[formwork::action(access = SignedIn, body_limit = 64 B, rate_limit = per_ip(1).per_hour())]
async fn order_probe(text: String) -> Result<String, ActionError> {
    Ok(text)
}

const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A site whose only user (id 1) is signed in with [`TOKEN`], and its flash store.
async fn site() -> (Router, Formwork, Arc<dyn FlashStore>) {
    let store = MemoryStore::new().principals(|id| {
        (id == 1).then(|| Principal {
            user_id: 1,
            username: "ada".into(),
            rank: Rank(0),
        })
    });
    let stores = Stores::of(store);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    stores
        .sessions
        .insert_session(&formwork::identity::hash(TOKEN), 1, now, now + 3600, "test")
        .await
        .unwrap();
    let flashes = stores.flash.clone();
    let options = LeptosOptions::builder().output_name("order-test").build();
    let formwork = Formwork::builder(&options)
        .stores(stores)
        .build()
        .await
        .unwrap();
    let router = formwork.around(Router::new().route(
        "/api/{*fn_name}",
        axum::routing::post(leptos_axum::handle_server_fns),
    ));
    (router, formwork, flashes)
}

/// Faults a request may have at once.
#[derive(Clone, Copy)]
struct Faults {
    cross_site: bool,
    signed_out: bool,
    oversized: bool,
}

/// The status of the outcome of one post: the answer's, or (a plain form post's 303) that of
/// the error the flash carries back to the form.
async fn outcome(site: &(Router, Formwork, Arc<dyn FlashStore>), js: bool, faults: Faults) -> u16 {
    let (router, formwork, flashes) = site;
    let body = if faults.oversized {
        format!("text={}", "x".repeat(200))
    } else {
        "text=hi".to_owned()
    };
    let mut request = Request::post(OrderProbe::PATH)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("content-length", body.len())
        .header("accept", if js { "application/json" } else { "text/html" })
        .header("referer", "http://localhost/probe");
    request = if faults.cross_site {
        request
            .header("origin", "https://evil.example")
            .header("sec-fetch-site", "cross-site")
    } else {
        request.header("sec-fetch-site", "same-origin")
    };
    if !faults.signed_out {
        request = request.header("cookie", format!("fw_session={TOKEN}"));
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    if status != 303 {
        return status;
    }
    assert!(!js, "a script is never redirected by the pipeline");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("fw_flash="))
        .and_then(|v| v.split(';').next())
        .expect("a flash cookie")
        .to_owned();
    let id = formwork
        .signing_key()
        .verify(&cookie)
        .expect("a stored flash");
    let payload = flashes
        .take_flash(id, 0)
        .await
        .unwrap()
        .expect("the flash is there");
    let flash: Flash = serde_json::from_str(&payload).unwrap();
    if flash.ok {
        200
    } else {
        ActionError::de(flash.body.into()).status().as_u16()
    }
}

#[tokio::test]
async fn refusals_come_in_one_order_with_javascript_and_without() {
    for js in [true, false] {
        let site = site().await;
        let clean = Faults {
            cross_site: false,
            signed_out: false,
            oversized: false,
        };
        // One call spends the quota: from now on the client is over its rate limit.
        assert_eq!(outcome(&site, js, clean).await, 200, "js: {js}");
        let all = Faults {
            cross_site: true,
            signed_out: true,
            oversized: true,
        };
        let answers = [
            outcome(&site, js, all).await,
            outcome(
                &site,
                js,
                Faults {
                    cross_site: false,
                    ..all
                },
            )
            .await,
            outcome(
                &site,
                js,
                Faults {
                    cross_site: false,
                    signed_out: false,
                    ..all
                },
            )
            .await,
            outcome(&site, js, clean).await,
        ];
        assert_eq!(answers, [403, 401, 413, 429], "js: {js}");
    }
}
