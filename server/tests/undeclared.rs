//! A server function that declares no access policy stops the server from starting, and the
//! error names it. (Its own test binary: the undeclared function below is linked only here.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use clap::Parser;
use common::TestDb;
use formwork::ActionError;
use leptos::prelude::*;
use server_fn::ServerFn;

/// Deliberately a plain `#[server]`, not a `#[formwork::action]`.
#[server]
pub async fn forgotten_action(note: String) -> Result<String, ActionError> {
    Ok(note)
}

#[tokio::test]
async fn an_undeclared_server_function_stops_the_server_naming_it() {
    let problem = formwork::registry::check().unwrap_err();
    assert!(
        problem.contains(&format!(
            "{} declares no access policy",
            ForgottenAction::PATH
        )),
        "{problem}"
    );
    // Only that one: the app's own functions are all declared.
    assert_eq!(
        problem.matches("declares no access policy").count(),
        1,
        "{problem}"
    );

    let db = TestDb::sqlite().await;
    let config = server::config::Config::try_parse_from(["server"]).unwrap();
    let options = LeptosOptions::builder().output_name("formwork").build();
    let stores = db.stores().await;
    let refused = server::http::router(
        &config,
        options,
        stores,
        std::sync::Arc::new(formwork::rate_limit::MemoryLimiter::new()),
        server::state::Services {
            cache: formwork::cache::DataCache::new(),
            live: formwork::live::LiveHub::new(),
            objects: std::sync::Arc::new(object_store::memory::InMemory::new()),
        },
        formwork::jobs::Waker::default(),
    )
    .await
    .expect_err("the server must not start");
    assert!(
        refused.to_string().contains(ForgottenAction::PATH),
        "{refused}"
    );
    db.drop_database().await;
}
