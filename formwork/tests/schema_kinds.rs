//! Every kind of schema field through the real pipeline: a wrong value is a 422 with a
//! message at its field (never a 400 because it did not decode), every field at once; a
//! right one reaches the action typed. A plain form post gets the same messages back through
//! its flash.
#![cfg(feature = "ssr")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::{body::Body, http::Request, response::Response, Router};
use formwork::{ActionError, Rule};
use leptos::prelude::*;
use server_fn::ServerFn;
use tower::ServiceExt;

mod support;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum Size {
    Small,
    Large,
}

formwork::schema! {
    #[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
    struct Order {
        quantity: u32 = Rule::integer("Quantity").range(1, 10),
        price: f64 = Rule::decimal("Price").range_f64(0.5, 1000.0),
        gift: bool = Rule::checkbox("Gift wrap"),
        terms: bool = Rule::checkbox("I accept the terms").required(),
        size: Size = Rule::choice("Size", &["small", "large"]),
        note: Option<String> = Rule::text("Note").optional().chars(0, 10),
        email: String = Rule::email("Email"),
        again: String = Rule::email("Email again").same_as("email"),
    }
}

#[formwork::action(access = Public, revalidates = [])]
async fn place_order(#[server(flatten)] order: Order) -> Result<String, ActionError> {
    if order.email == "taken@example.org" {
        return Err(ActionError::field("email", "That address has ordered."));
    }
    Ok(format!(
        "{} {:?} {} {} {} {:?}",
        order.quantity, order.size, order.price, order.gift, order.terms, order.note
    ))
}

async fn app() -> Router {
    support::actions("schema-kinds").await
}

async fn post(app: &Router, body: &str, accept: &str) -> Response {
    let request = Request::post(PlaceOrder::PATH)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", accept)
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(body.to_owned()))
        .unwrap();
    app.clone().oneshot(request).await.unwrap()
}

async fn json(response: Response) -> serde_json::Value {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

const GOOD: &str =
    "quantity=3&price=9.99&terms=on&size=large&note=&email=ada%40example.org&again=ada%40example.org";

#[tokio::test]
async fn right_values_reach_the_action_typed() {
    let app = app().await;
    let answer = post(&app, GOOD, "application/json").await;
    assert_eq!(answer.status(), 200);
    assert_eq!(json(answer).await, "3 Large 9.99 false true None");
    let ticked = post(
        &app,
        &GOOD.replace("note=", "gift=on&note=+hi+"),
        "application/json",
    )
    .await;
    assert_eq!(json(ticked).await, "3 Large 9.99 true true Some(\"hi\")");
}

#[tokio::test]
async fn each_wrong_value_is_a_422_at_its_field_all_at_once() {
    let app = app().await;
    let cases: &[(&str, &str, &str)] = &[
        (
            "quantity",
            "quantity=three",
            "Quantity must be a whole number, like 42.",
        ),
        ("quantity", "quantity=11", "Quantity must be at most 10."),
        ("quantity", "quantity=-1", "Quantity must be at least 1."),
        (
            "quantity",
            "quantity=99999999999999999999",
            "Quantity must be at most 10.",
        ),
        ("price", "price=1e3", "Price must be a number, like 4.25."),
        (
            "price",
            "price=9.999",
            "Price can have at most 2 digits after the point.",
        ),
        ("gift", "gift=maybe", "Gift wrap is either ticked or not."),
        ("terms", "terms=", "Tick “I accept the terms” to go on."),
        ("size", "size=medium", "Choose one of the options for Size."),
        ("size", "size=", "Choose an option for Size."),
        (
            "note",
            "note=far+too+long",
            "Note can be at most 10 characters (it has 12).",
        ),
        (
            "again",
            "again=bob%40example.org",
            "Email again does not match Email.",
        ),
    ];
    for (field, change, message) in cases {
        let name = change.split('=').next().unwrap();
        let body = GOOD
            .split('&')
            .filter(|pair| !pair.starts_with(&format!("{name}=")))
            .chain([*change])
            .collect::<Vec<_>>()
            .join("&");
        let answer = post(&app, &body, "application/json").await;
        assert_eq!(answer.status(), 422, "{change}");
        let said = json(answer).await;
        assert_eq!(
            said["fields"][field],
            serde_json::json!([message]),
            "{change}: {said}"
        );
    }

    // Nothing sent: every required field says so, at once.
    let answer = post(&app, "", "application/json").await;
    assert_eq!(answer.status(), 422);
    let fields = json(answer).await["fields"].clone();
    for field in ["quantity", "price", "terms", "size", "email", "again"] {
        assert!(fields.get(field).is_some(), "{field}: {fields}");
    }
    assert!(
        fields.get("gift").is_none() && fields.get("note").is_none(),
        "{fields}"
    );

    // The action's own rule, at its field.
    let taken = GOOD.replace("ada%40example.org", "taken%40example.org");
    let answer = post(&app, &taken, "application/json").await;
    assert_eq!(answer.status(), 422);
    assert_eq!(
        json(answer).await["fields"]["email"],
        serde_json::json!(["That address has ordered."])
    );
}

#[tokio::test]
async fn a_plain_post_with_a_wrong_value_comes_back_to_its_form() {
    let app = app().await;
    let body = format!(
        "__fw_return=%2Forder&{}",
        GOOD.replace("quantity=3", "quantity=x")
    );
    let answer = post(&app, &body, "text/html,application/xhtml+xml").await;
    assert_eq!(answer.status(), 303);
    assert_eq!(answer.headers()["location"], "/order");
    assert!(answer.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .starts_with("fw_flash="));
}
