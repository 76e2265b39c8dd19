//! `/members`: who may call an action and how often, declared with it and checked by the
//! pipeline before its body runs.
use formwork::prelude::*;

// ANCHOR: access
/// Only a signed-in user may call this (this guide has no accounts: everyone is refused, with
/// a 401 that says so). The signed-in user arrives as an argument, from the session: never
/// from the request's fields.
#[formwork::action(access = SignedIn, body_limit = 1 KiB, revalidates = [])]
pub async fn members_only(me: formwork::identity::Principal) -> Result<String, ActionError> {
    Ok(format!("Welcome, {}.", me.username))
}
// ANCHOR_END: access

// ANCHOR: rate
/// Anyone may wave, three times a minute from one address; the fourth is answered 429 with
/// `Retry-After`, and the form says when to try again.
#[formwork::action(access = Public, rate_limit = per_ip(3).per_minute(), body_limit = 1 KiB, revalidates = [])]
pub async fn wave() -> Result<String, ActionError> {
    Ok("You waved.".to_owned())
}
// ANCHOR_END: rate

/// `/members`
#[component]
pub fn MembersPage() -> impl IntoView {
    let members = FormState::<MembersOnly>::new();
    let waved = FormState::<Wave>::new();
    view! {
        <h1>"Members"</h1>
        <ActionForm state=members class="members">
            {members.success(|text| view! { <p role="status">{text}</p> })}
            <SubmitButton label="Enter the members' room"/>
        </ActionForm>
        <ActionForm state=waved class="wave">
            {waved.success(|text| view! { <p role="status">{text}</p> })}
            <SubmitButton label="Wave"/>
        </ActionForm>
    }
}
