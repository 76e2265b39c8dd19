//! The builder's defaults are the secure ones: an app that sets nothing but its stores
//! refuses another site's posts and posts that carry cookies but no provenance.
#![cfg(feature = "ssr")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::{body::Body, http::Request, Router};
use formwork::{
    builder::BuildError,
    messages::Message,
    store::{memory::MemoryStore, Stores},
    Formwork,
};
use http_body_util::BodyExt;
use leptos::prelude::*;
use server_fn::ServerFn;
use tower::ServiceExt;

#[formwork::action(access = Public)]
async fn echo_builder(text: String) -> Result<String, formwork::ActionError> {
    Ok(text)
}

/// Redirects to `to`, whoever calls.
#[formwork::action(access = Public)]
async fn go_builder(to: String) -> Result<(), formwork::ActionError> {
    let to = formwork::LocalPath::parse(&to).ok_or(formwork::ActionError::BadRequest {
        message: "not a path".into(),
    })?;
    formwork::redirect(&to);
    Ok(())
}

/// Fails as a broken dependency would: a redacted 500.
#[formwork::action(access = Public)]
async fn broken_builder() -> Result<(), formwork::ActionError> {
    Err(formwork::ActionError::internal(
        "db.internal:5432 refused the connection",
    ))
}

fn options() -> LeptosOptions {
    LeptosOptions::builder().output_name("builder-test").build()
}

async fn app() -> Router {
    let formwork = Formwork::builder(&options())
        .stores(Stores::of(MemoryStore::new()))
        .build()
        .await
        .unwrap();
    formwork.around(
        Router::new()
            .route(
                "/api/{*fn_name}",
                axum::routing::post(leptos_axum::handle_server_fns),
            )
            .route(
                "/bug",
                axum::routing::get(|| async {
                    if std::hint::black_box(true) {
                        panic!("a bug in a handler: secret detail");
                    }
                }),
            ),
    )
}

/// A script call of the echo action with `headers`: its status and body.
async fn post(headers: &[(&str, &str)]) -> (u16, String) {
    let mut request = Request::post(EchoBuilder::PATH)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app()
        .await
        .oneshot(request.body(Body::from("text=hello")).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn the_defaults_refuse_another_sites_post() {
    let (status, body) = post(&[
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("cookie", "fw_session=whatever"),
    ])
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains(Message::CrossSite.english()), "{body}");
}

#[tokio::test]
async fn the_defaults_refuse_a_post_with_a_session_cookie_but_no_provenance_or_form_token() {
    let (status, body) = post(&[("cookie", "fw_session=whatever")]).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains(Message::NoProvenance.english()), "{body}");
}

#[tokio::test]
async fn the_sites_own_page_and_a_cookieless_script_are_served() {
    for headers in [
        &[
            ("sec-fetch-site", "same-origin"),
            ("cookie", "fw_session=x"),
        ][..],
        &[][..],
    ] {
        let (status, body) = post(headers).await;
        assert_eq!((status, body.as_str()), (200, "\"hello\""), "{headers:?}");
    }
}

#[tokio::test]
async fn outside_development_a_signing_secret_is_required() {
    let production = Formwork::builder(&options())
        .public_origin("https://example.org")
        .build()
        .await;
    assert!(
        matches!(&production, Err(BuildError::Setting(message)) if message.contains("signing secret")),
        "built without a secret on https"
    );
    let configured = Formwork::builder(&options())
        .public_origin("https://example.org")
        .signing_secret(Some("a-signing-secret-of-at-least-32-bytes!"))
        .build()
        .await;
    assert!(configured.is_ok());
    let short = Formwork::builder(&options())
        .signing_secret(Some("short"))
        .build()
        .await;
    assert!(matches!(short, Err(BuildError::Setting(_))));
}

/// With hashed file names, Leptos reads the list of hashes beside the binary on the first
/// page, and panics on every page without it: such a server refuses to start, and says why.
#[tokio::test]
async fn hashed_names_without_their_hash_file_refuse_to_start() {
    let missing = LeptosOptions::builder()
        .output_name("builder-test")
        .hash_files(true)
        .hash_file("no-such-hash-file.txt".into())
        .build();
    let refused = Formwork::builder(&missing).build().await;
    assert!(
        matches!(&refused, Err(BuildError::Setting(message))
            if message.contains("no-such-hash-file.txt") && message.contains("LEPTOS_HASH_FILES")),
        "started without its hash file"
    );

    // Beside the test binary, as cargo-leptos puts it beside the server's.
    let dir = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let name = format!("builder-test-hash-{}.txt", std::process::id());
    std::fs::write(dir.join(&name), "js: 0123\nwasm: 4567\ncss: 89ab\n").unwrap();
    let present = LeptosOptions::builder()
        .output_name("builder-test")
        .hash_files(true)
        .hash_file(name.as_str().into())
        .build();
    let built = Formwork::builder(&present).build().await;
    std::fs::remove_file(dir.join(&name)).unwrap();
    assert!(built.is_ok(), "refused with its hash file beside it");
}

/// `redirect()` records only where to go; the pipeline answers each caller its own way, from
/// the request: a plain form post (a document request) gets `303 See Other` there, a script
/// gets a success that names the target, to navigate to.
#[tokio::test]
async fn a_redirect_is_a_303_for_a_form_and_a_target_for_a_script() {
    let app = app().await;
    let call = |accept: &'static str| {
        Request::post(GoBuilder::PATH)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "same-origin")
            .header("accept", accept)
            .body(Body::from("to=%2Fthere%3Fpage%3D2"))
            .unwrap()
    };
    let form = app
        .clone()
        .oneshot(call("text/html,application/xhtml+xml"))
        .await
        .unwrap();
    assert_eq!(form.status(), 303);
    assert_eq!(form.headers()["location"], "/there?page=2");

    let script = app.oneshot(call("application/json")).await.unwrap();
    assert_eq!(script.status(), 200);
    assert_eq!(script.headers()["location"], "/there?page=2");
    assert!(script
        .headers()
        .contains_key(server_fn::redirect::REDIRECT_HEADER));
}

/// Every answer names its request (`x-request-id`, the server's own, never the client's), and
/// a 500's reference is that id: what a person reads off the error is what the operator
/// searches the logs for.
#[tokio::test]
async fn every_answer_names_its_request_and_a_500_refers_to_it() {
    let app = app().await;
    let id_of = |response: &axum::response::Response| {
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()),
            "{id}"
        );
        id
    };

    let echo = Request::post(EchoBuilder::PATH)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("x-request-id", "chosen-by-the-client")
        .body(Body::from("text=hello"))
        .unwrap();
    let first = app.clone().oneshot(echo).await.unwrap();
    assert_eq!(first.status(), 200);
    let first = id_of(&first);
    assert_ne!(first, "chosen-by-the-client");

    let broken = Request::post(BrokenBuilder::PATH)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(broken).await.unwrap();
    assert_eq!(response.status(), 500);
    let id = id_of(&response);
    assert_ne!(id, first, "each request has its own id");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains(&id), "the 500 refers to its request: {body}");
    assert!(!body.contains("db.internal"), "{body}");

    let bug = Request::get("/bug").body(Body::empty()).unwrap();
    let response = app.oneshot(bug).await.unwrap();
    assert_eq!(response.status(), 500);
    let id = id_of(&response);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8_lossy(&body);
    assert!(
        body.contains(&id),
        "a panic's 500 refers to its request: {body}"
    );
    assert!(!body.contains("secret detail"), "{body}");
}
