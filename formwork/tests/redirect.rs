//! An action that calls `redirect()` and then fails does not send its caller away: the error
//! is shown where the form is, for a plain form post, the browser runtime and a script alike.
//! One that succeeds goes where it said.
#![cfg(feature = "ssr")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::{body::Body, http::Request, response::Response, Router};
use formwork::{ActionError, LocalPath};
use leptos::prelude::*;
use server_fn::ServerFn;
use tower::ServiceExt;

mod support;

#[formwork::action(access = Public, revalidates = [])]
async fn move_note(fail: bool) -> Result<(), ActionError> {
    formwork::redirect(&LocalPath::parse("/notes/moved").unwrap());
    if fail {
        return Err(ActionError::Conflict {
            message: "That note is locked.".into(),
        });
    }
    Ok(())
}

async fn app() -> Router {
    support::actions("redirect-test").await
}

/// `fail` posted as a browser posts the form on `/notes/7`: `accept` says who asks.
async fn post(app: &Router, fail: bool, accept: &str, enhanced: bool) -> Response {
    let mut request = Request::post(MoveNote::PATH)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", accept)
        .header("sec-fetch-site", "same-origin")
        .header("referer", "http://127.0.0.1:3000/notes/7");
    if enhanced {
        request = request.header("x-formwork-enhanced", "1");
    }
    let body = format!("__fw_return=%2Fnotes%2F7&fail={fail}");
    app.clone()
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap()
}

fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn a_redirect_followed_by_an_error_leaves_the_caller_at_its_form() {
    let app = app().await;
    let page = "text/html,application/xhtml+xml";

    // Without JavaScript: back to the form's page (with the error in the flash), not away.
    let failed = post(&app, true, page, false).await;
    assert_eq!(failed.status(), 303);
    assert_eq!(header(&failed, "location"), Some("/notes/7"));
    assert!(header(&failed, "set-cookie").is_some_and(|c| c.starts_with("fw_flash=")));
    let done = post(&app, false, page, false).await;
    assert_eq!(done.status(), 303);
    assert_eq!(header(&done, "location"), Some("/notes/moved"));

    // The browser runtime is told to stay on the form's page (where it shows the error).
    let failed = post(&app, true, page, true).await;
    assert_eq!(header(&failed, "x-formwork-location"), Some("/notes/7"));
    let done = post(&app, false, page, true).await;
    assert_eq!(header(&done, "x-formwork-location"), Some("/notes/moved"));

    // A script gets the error, and nothing that would make server_fn's client navigate.
    let failed = post(&app, true, "application/json", false).await;
    assert_eq!(failed.status(), 409);
    assert_eq!(header(&failed, "location"), None);
    assert_eq!(header(&failed, server_fn::redirect::REDIRECT_HEADER), None);
    let done = post(&app, false, "application/json", false).await;
    assert_eq!(header(&done, "location"), Some("/notes/moved"));
    assert!(header(&done, server_fn::redirect::REDIRECT_HEADER).is_some());
}
