//! `/redirect`: an action that sends the browser elsewhere once it is done (`redirect()`).
use formwork::prelude::*;

formwork::schema! {
    /// The code the form asks for.
    #[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
    pub struct Code {
        pub code: String = Rule::text("Code").chars(1, 20),
    }
}

// ANCHOR: action
/// Checks the code, then goes to `/redirect/done`. `redirect` records where to go and
/// returns: no exception, so no `try`/`catch` can swallow it. It counts only if the action
/// succeeds: one that fails after it stays at its form and shows why.
#[formwork::action(access = Public, rate_limit = per_ip(30).per_minute(), body_limit = 1 KiB, revalidates = [])]
pub async fn unlock(#[server(flatten)] code: Code) -> Result<(), ActionError> {
    let done = formwork::LocalPath::parse("/redirect/done")
        .ok_or_else(|| ActionError::internal("bad path"))?;
    formwork::redirect(&done); // decided first…
    if code.code != "open sesame" {
        // …and undone by the failure: the error is shown where the form is.
        return Err(ActionError::field("code", "That is not the code."));
    }
    Ok(())
}
// ANCHOR_END: action

/// `/redirect`
#[component]
pub fn RedirectPage() -> impl IntoView {
    let state = FormState::<Unlock>::new();
    view! {
        <h1>"Redirect"</h1>
        <ActionForm state=state>
            <TextInput field=state.fields().code id="code"/>
            <SubmitButton label="Unlock"/>
        </ActionForm>
    }
}

/// `/redirect/done`: where a successful `unlock` lands.
#[component]
pub fn DonePage() -> impl IntoView {
    view! { <h1>"Unlocked"</h1> <p><a href="/redirect">"Again"</a></p> }
}
