//! An action's call shows in the trace as a span per pipeline step, under the action's span
//! and the request's (with its id): a trace says where a call spent its time, and which step
//! answered it.
//!
//! A test binary of its own: the log is captured through a subscriber set for this thread (the
//! runtime is the current thread's), and tracing's interest cache is shared by the process.
#![cfg(feature = "ssr")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::{body::Body, http::Request, Router};
use formwork::{
    store::{memory::MemoryStore, Stores},
    Formwork,
};
use leptos::prelude::*;
use server_fn::ServerFn;
use support::Capture;
use tower::ServiceExt;

mod support;

#[formwork::action(access = Public)]
async fn echo_spans(text: String) -> Result<String, formwork::ActionError> {
    Ok(text)
}

#[tokio::test]
async fn each_step_of_an_action_is_a_span_under_the_action_and_the_request() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();

    let options = LeptosOptions::builder().output_name("spans-test").build();
    let formwork = Formwork::builder(&options)
        .stores(Stores::of(MemoryStore::new()))
        .build()
        .await
        .unwrap();
    let app = formwork.around(Router::new().route(
        "/api/{*fn_name}",
        axum::routing::post(leptos_axum::handle_server_fns),
    ));
    let request = Request::post(EchoSpans::PATH)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from("text=hello"))
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();

    let log = capture.text();
    let action = format!("action{{path={}}}", EchoSpans::PATH);
    let mut last = 0;
    for step in [
        "find",
        "origin",
        "access",
        "body",
        "form_token",
        "posted",
        "once",
        "quota",
        "run",
    ] {
        let closed = log
            .lines()
            .position(|line| line.contains(&format!("{action}:{step}: ")) && line.contains("close"))
            .unwrap_or_else(|| panic!("no closed span `{step}` under `{action}` in:\n{log}"));
        assert!(closed >= last, "`{step}` closed out of order in:\n{log}");
        last = closed;
        let line = log.lines().nth(closed).unwrap_or_default();
        assert!(line.contains(&format!("request_id={id}")), "{line}");
    }
}
