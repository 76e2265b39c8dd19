//! The `log_in` action and its form.

use super::model::Credentials;
use formwork::{ActionError, ActionForm, FormState, SubmitButton, TextInput};
use leptos::prelude::*;

/// What a failed sign-in says, whichever part was wrong: it never tells whether the account
/// exists.
pub const WRONG_CREDENTIALS: &str = "Wrong username or password.";

/// Signs in with a username and password, starting a new session.
#[formwork::action(
    access = Public,
    rate_limit = per_ip(10).per(std::time::Duration::from_secs(15 * 60)),
    body_limit = 4 KiB,
    revalidates = []
)]
pub async fn log_in(#[server(flatten)] credentials: Credentials) -> Result<(), ActionError> {
    let account = crate::state::store()?
        .account_by_username(&credentials.username)
        .await?;
    let hash = account.as_ref().map(|a| a.password_hash.clone());
    let matches = super::password::verify(credentials.password, hash).await?;
    let Some(account) = account.filter(|_| matches) else {
        tracing::info!("sign-in refused");
        return Err(ActionError::Validation {
            fields: Default::default(),
            form: vec![WRONG_CREDENTIALS.to_owned()],
        });
    };
    formwork::identity::sign_in(account.id).await?;
    tracing::info!(user_id = account.id, "signed in");
    if let Some(next) = formwork::LocalPath::parse("/posts") {
        formwork::redirect(&next);
    }
    Ok(())
}

#[component]
pub fn LoginForm() -> impl IntoView {
    let state = FormState::<LogIn>::new();
    view! {
        <ActionForm state=state class="login">
            <fieldset>
                <legend>"Sign in"</legend>
                <TextInput field=state.fields().username id="login-username" autocomplete="username"/>
                <TextInput field=state.fields().password id="login-password" autocomplete="current-password"/>
                <div class="actions">
                    <SubmitButton label="Sign in" pending_label="Signing in…"/>
                </div>
            </fieldset>
        </ActionForm>
    }
}
