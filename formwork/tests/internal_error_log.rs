//! An internal error's detail reaches the log, under the correlation id the client is shown,
//! and never the client.
//!
//! A test binary of its own: the log is captured through a thread-local subscriber, and
//! tracing's global interest cache and level filter are shared by every thread of a process,
//! so tests on other threads that set or drop subscribers meanwhile could hide the event.
#![cfg(feature = "ssr")]

use formwork::ActionError;
use server_fn::error::FromServerFnError;
use support::Capture;

mod support;

#[test]
fn an_internal_error_is_logged_in_full_under_the_id_the_client_sees() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let error = tracing::subscriber::with_default(subscriber, || {
        // Other tests, on other threads, may have cached "no subscriber wants this event".
        tracing::callsite::rebuild_interest_cache();
        ActionError::internal("connection refused: db.internal:5432")
    });
    let ActionError::Internal { correlation_id } = &error else {
        panic!("expected a 500, got {error:?}");
    };
    let log = capture.text();
    assert!(
        log.contains(correlation_id.as_str())
            && log.contains("connection refused: db.internal:5432"),
        "{log}"
    );
    let shown = format!("{error} {}", String::from_utf8_lossy(&error.ser()));
    assert!(shown.contains(correlation_id.as_str()), "{shown}");
    assert!(!shown.contains("db.internal"), "{shown}");
}
