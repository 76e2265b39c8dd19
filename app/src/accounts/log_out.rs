//! The `log_out` action and its button.

use formwork::{ActionError, ActionForm, FormState, SubmitButton};
use leptos::prelude::*;

/// Ends this session and goes to the posts.
#[formwork::action(access = SignedIn, body_limit = 1 KiB, revalidates = [])]
pub async fn log_out() -> Result<(), ActionError> {
    formwork::identity::sign_out().await?;
    if let Some(next) = formwork::LocalPath::parse("/posts") {
        formwork::redirect(&next);
    }
    Ok(())
}

#[component]
pub fn LogOutButton() -> impl IntoView {
    let state = FormState::<LogOut>::new();
    view! {
        <ActionForm state=state class="log-out">
            <SubmitButton label="Sign out" pending_label="Signing out…" class="link"/>
        </ActionForm>
    }
}
