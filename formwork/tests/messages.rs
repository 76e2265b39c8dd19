//! The catalog given to the builder is what the server says: in the pipeline's refusals, in
//! the errors of actions, and in the rules the browser shares. (One catalog per process, so
//! this file is its own test binary.)
#![cfg(feature = "ssr")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::{body::Body, http::Request, Router};
use formwork::{
    builder::BuildError,
    messages::{Message, Messages},
    store::{memory::MemoryStore, Stores},
    Formwork,
};
use http_body_util::BodyExt;
use leptos::prelude::*;
use server_fn::ServerFn;
use tower::ServiceExt;

#[formwork::action(access = SignedIn)]
async fn echo_messages(text: String) -> Result<String, formwork::ActionError> {
    Ok(text)
}

fn options() -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("messages-test")
        .build()
}

async fn app(messages: Messages) -> Result<Router, BuildError> {
    let formwork = Formwork::builder(&options())
        .stores(Stores::of(MemoryStore::new()))
        .messages(messages)
        .build()
        .await?;
    Ok(formwork.around(Router::new().route(
        "/api/{*fn_name}",
        axum::routing::any(leptos_axum::handle_server_fns),
    )))
}

async fn send(app: &Router, request: Request<Body>) -> (u16, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn the_builders_catalog_is_what_the_server_says_and_a_wrong_one_stops_the_start() {
    // A placeholder the sentence is not given would reach people as written: refused.
    let wrong = app(Messages::english().set(Message::RateLimited, "Wait {secs} s.")).await;
    assert!(
        matches!(&wrong, Err(BuildError::Setting(m)) if m.contains("RateLimited") && m.contains("{secs}")),
        "{:?}",
        wrong.err()
    );

    let app = app(Messages::english()
        .set(
            Message::CrossSite,
            "Posts from other sites are refused here.",
        )
        .set(Message::SignIn, "Sign in first, then try again.")
        .set(Message::MethodNotAllowed, "Use {allow} for this.")
        .set(
            Message::TooLong,
            "{label}: {max} characters at most, not {count}.",
        ))
    .await
    .unwrap();

    let post = |headers: &[(&str, &str)]| {
        let mut request = Request::post(EchoMessages::PATH)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(Body::from("text=hello")).unwrap()
    };
    let (status, body) = send(
        &app,
        post(&[
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ]),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("Posts from other sites are refused here."),
        "{body}"
    );
    assert!(!body.contains(Message::CrossSite.english()), "{body}");

    // An error an action's policy gives (401), through ActionError's own words.
    let (status, body) = send(&app, post(&[("sec-fetch-site", "same-origin")])).await;
    assert_eq!(status, 401, "{body}");
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["message"], "Sign in first, then try again.", "{body}");

    // A placeholder filled in an override.
    let get = Request::get(EchoMessages::PATH)
        .body(Body::empty())
        .unwrap();
    let (status, body) = send(&app, get).await;
    assert_eq!((status, body.as_str()), (405, "Use POST for this."));

    // The rules the browser shares speak the same catalog.
    assert_eq!(
        formwork::rules::length("Title", "abcdef", 1, 3),
        Err("Title: 3 characters at most, not 6.".to_owned())
    );
    // And the page carries the overrides to the browser, `<` escaped for a script element.
    let json = formwork::messages::page_json().unwrap();
    let carried = Messages::from_page_json(&json);
    assert_eq!(
        carried.text(Message::SignIn),
        "Sign in first, then try again."
    );
    assert_eq!(carried.text(Message::Empty), Message::Empty.english());
}
