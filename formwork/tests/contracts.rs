//! The macros' contracts with the crate that uses them. This test crate has no features at all
//! (so no `ssr`) and names `garde` nowhere: a declaration must still reach the registry of the
//! server build, and a schema must still validate.
#![cfg(feature = "ssr")]

use formwork::{registry::Access, ActionError, Rule, Schema, Validated};
use leptos::prelude::*;
use server_fn::ServerFn;

#[formwork::action(access = SignedIn, body_limit = 1 KiB)]
async fn ping_contracts(name: String) -> Result<String, ActionError> {
    Ok(name)
}

formwork::schema! {
    #[derive(Debug, Clone)]
    struct Greeting {
        name: String = Rule::text("Name").chars(2, 10),
    }
}

#[test]
fn a_declaration_reaches_the_registry_whatever_the_callers_features_are_called() {
    let declaration = formwork::registry::declaration(PingContracts::PATH)
        .unwrap_or_else(|| panic!("{} was not declared", PingContracts::PATH));
    assert_eq!(declaration.access, Access::SignedIn);
    assert_eq!(declaration.body_limit, Some(1024));
}

#[test]
fn a_schema_validates_without_a_garde_dependency_of_the_caller() {
    assert_eq!(Greeting::rule("name").map(|rule| rule.label), Some("Name"));
    let Err(ActionError::Validation { fields, .. }) = Greeting { name: "x".into() }.validated()
    else {
        panic!("a one-letter name passed")
    };
    assert_eq!(fields.len(), 1);
    assert!(fields.contains_key("name"), "{fields:?}");
    assert!(Greeting {
        name: " Ada ".into()
    }
    .validated()
    .is_ok());
}
