//! The `register` action and its form.

use super::model::Registration;
use formwork::{ActionError, ActionForm, FormError, FormState, SubmitButton, TextInput};
use leptos::prelude::*;

/// Creates an account with the `user` role, signs it in and goes to the posts.
#[server]
pub async fn register(#[server(flatten)] registration: Registration) -> Result<(), ActionError> {
    use crate::roles::Role;
    use formwork::Validated;

    let registration = registration.validated()?;
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

formwork::declare!(Register {
    access: Public,
    body_limit: 4 * 1024,
    rate_limit: formwork::RateLimit::per_ip(5).per_hour(),
});

#[component]
pub fn RegisterForm() -> impl IntoView {
    let state = FormState::<Register>::new().schema::<Registration>();
    view! {
        <ActionForm state=state class="register">
            <fieldset>
                <legend>"Your account"</legend>
                <TextInput field=state.field("username") id="register-username" label="Username" autocomplete="username"/>
                <TextInput field=state.field("email") id="register-email" label="Email" autocomplete="email"/>
                <TextInput field=state.field("password") id="register-password" label="Password" autocomplete="new-password"/>
                <FormError state=state/>
                <div class="actions">
                    <SubmitButton label="Create account" pending_label="Creating…"/>
                </div>
            </fieldset>
        </ActionForm>
    }
}
