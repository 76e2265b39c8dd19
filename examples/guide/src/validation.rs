//! `/validation`: one schema with every kind of field, checked in the browser and on the
//! server, each wrong value answered at its field (Zod's `z.number()`, `z.boolean()`,
//! `z.enum()`, `.optional()`, `.refine()`).
use formwork::prelude::*;
use formwork::{Checkbox, Select};

// ANCHOR: schema
/// A size, as the form's `<select>` sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Size {
    Small,
    Large,
}

formwork::schema! {
    /// An order: a whole number, a decimal, two boxes, a choice, an optional note, and an
    /// address typed twice.
    #[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
    pub struct Order {
        pub quantity: u32 = Rule::integer("Quantity").range(1, 10),
        pub price: f64 = Rule::decimal("Price").range_f64(0.5, 1000.0).places(2),
        pub gift: bool = Rule::checkbox("Gift wrap"),
        pub terms: bool = Rule::checkbox("I accept the terms").required(),
        pub size: Size = Rule::choice("Size", &["small", "large"]),
        pub note: Option<String> = Rule::text("Note").optional().chars(0, 100),
        pub email: String = Rule::email("Email"),
        pub again: String = Rule::email("Email again").same_as("email"),
    }
}
// ANCHOR_END: schema

// ANCHOR: action
/// Places an order. The schema has checked every field by now; what only the server can
/// know (here, an address that already ordered) is reported at its field the same way.
#[formwork::action(access = Public, rate_limit = per_ip(60).per_minute(), body_limit = 4 KiB, revalidates = [])]
pub async fn place_order(#[server(flatten)] order: Order) -> Result<String, ActionError> {
    if order.email.eq_ignore_ascii_case("taken@example.org") {
        return Err(ActionError::field("email", "This address already has an order."));
    }
    let wrapped = if order.gift { ", gift wrapped" } else { "" };
    Ok(format!("{} × {:?} at {:.2}{wrapped}.", order.quantity, order.size, order.price))
}
// ANCHOR_END: action

// ANCHOR: form
/// `/validation`: each input carries its rule as HTML constraints (`type=number`, `min`,
/// `max`, `step`, `required`) and as the rule the browser runtime checks before sending.
#[component]
pub fn ValidationPage() -> impl IntoView {
    let state = FormState::<PlaceOrder>::new();
    let f = state.fields();
    view! {
        <h1>"Validation"</h1>
        <ActionForm state=state class="order">
            <TextInput field=f.quantity id="quantity"/>
            <TextInput field=f.price id="price"/>
            <Checkbox field=f.gift id="gift"/>
            <Checkbox field=f.terms id="terms"/>
            <Select field=f.size id="size" options=vec![("small", "Small"), ("large", "Large")]/>
            <TextInput field=f.note id="note"/>
            <TextInput field=f.email id="email"/>
            <TextInput field=f.again id="again"/>
            {state.success(|placed| view! { <p role="status">{format!("Ordered: {placed}")}</p> })}
            <SubmitButton label="Order"/>
        </ActionForm>
    }
}
// ANCHOR_END: form
