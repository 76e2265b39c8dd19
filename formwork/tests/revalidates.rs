//! An action is held to what its declaration says it revalidates: what it revalidates outside
//! `revalidates = […]` still happens (no page goes stale), and is logged as an error naming the
//! action and what it revalidated, so the manifest cannot quietly drift from the code.
//!
//! A test binary of its own: the log is captured through a subscriber set for this thread (the
//! runtime is the current thread's), and tracing's interest cache is shared by the process.
#![cfg(feature = "ssr")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::{body::Body, http::Request};
use formwork::{revalidate_path, revalidate_tag};
use leptos::prelude::*;
use server_fn::ServerFn;
use support::Capture;
use tower::ServiceExt;

mod support;

#[formwork::action(access = Public, revalidates = ["notes", "note:*", "/notes/*"])]
async fn keep_note(id: String, also: String) -> Result<(), formwork::ActionError> {
    revalidate_tag("notes");
    revalidate_tag(&format!("note:{id}"));
    revalidate_path(&format!("/notes/{id}"));
    if !also.is_empty() {
        revalidate_tag(&also);
    }
    Ok(())
}

#[tokio::test]
async fn what_an_action_revalidates_outside_its_declaration_is_done_and_logged() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();

    let app = support::actions("revalidates-test").await;
    let call = |body: &'static str| {
        Request::post(KeepNote::PATH)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .header("sec-fetch-site", "same-origin")
            .body(Body::from(body))
            .unwrap()
    };
    let revalidated = |response: &axum::response::Response| {
        response
            .headers()
            .get_all("x-formwork-revalidated")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };

    // Everything it revalidates is listed: nothing is logged.
    let response = app.clone().oneshot(call("id=7&also=")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        revalidated(&response),
        ["tag:notes", "tag:note:7", "path:/notes/7"]
    );
    assert!(
        !capture.text().contains("does not list"),
        "{}",
        capture.text()
    );

    // One tag outside the list: still revalidated, and logged as an error, once.
    let response = app.oneshot(call("id=8&also=people")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(revalidated(&response).contains(&"tag:people".to_owned()));
    let log = capture.text();
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("does not list"))
        .collect();
    assert_eq!(errors.len(), 1, "{log}");
    assert!(errors[0].contains("ERROR"), "{log}");
    assert!(errors[0].contains(r#"revalidated="tag:people""#), "{log}");
    assert!(errors[0].contains(KeepNote::PATH), "{log}");
}
