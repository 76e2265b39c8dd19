//! The `register` action and its form.

use super::model::Registration;
use formwork::{ActionError, ActionForm, FormState, SubmitButton, TextInput};
use leptos::prelude::*;

/// Creates an account with the `user` role, signs it in and goes to the posts.
#[formwork::action(access = Public, rate_limit = per_ip(5).per_hour(), body_limit = 4 KiB, revalidates = [])]
pub async fn register(#[server(flatten)] registration: Registration) -> Result<(), ActionError> {
    use crate::roles::Role;

    let hash = super::password::hash(registration.password).await?;
    let user_id = crate::state::store()?
        .create_account(
            &registration.username,
            &registration.email.to_lowercase(),
            &hash,
            Role::User,
        )
        .await?;
    tracing::info!(user_id, "account created");
    formwork::identity::sign_in(user_id).await?;
    if let Some(next) = formwork::LocalPath::parse("/posts") {
        formwork::redirect(&next);
    }
    Ok(())
}

#[component]
pub fn RegisterForm() -> impl IntoView {
    let state = FormState::<Register>::new();
    view! {
        <ActionForm state=state class="register">
            <fieldset>
                <legend>"Your account"</legend>
                <TextInput field=state.fields().username id="register-username" autocomplete="username"/>
                <TextInput field=state.fields().email id="register-email" autocomplete="email"/>
                <TextInput field=state.fields().password id="register-password" autocomplete="new-password"/>
                <div class="actions">
                    <SubmitButton label="Create account" pending_label="Creating…"/>
                </div>
            </fieldset>
        </ActionForm>
    }
}
