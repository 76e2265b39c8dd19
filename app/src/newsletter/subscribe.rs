//! The `subscribe` action and its form.

use formwork::{ActionError, ActionForm, FormState, Rule, SubmitButton, TextInput};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What subscribing returns: the address that will get the newsletter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscribed {
    pub email: String,
}

formwork::schema! {
    /// A newsletter sign-up.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Subscription {
        pub email: String = Rule::email("Email"),
    }
}

/// Subscribes an address. Addresses are compared without regard to case; subscribing twice is
/// answered kindly (409), not as a failure of the user's. The count is shown on one page, and
/// what changed is named by that page (Next.js' `revalidatePath('/newsletter')`): everything
/// `/newsletter` read is read afresh, there and in every open tab on it.
#[formwork::action(access = Public, rate_limit = per_ip(5).per_hour(), body_limit = 4 KiB, revalidates = ["/newsletter"])]
pub async fn subscribe(
    #[server(flatten)] subscription: Subscription,
) -> Result<Subscribed, ActionError> {
    use super::welcome::{Welcome, KIND};

    let email = subscription.email.to_lowercase();
    // The welcome email is a job, recorded with the subscriber: the answer does not wait for
    // it, and it is sent even if this server stops right after.
    let welcome = formwork::jobs::NewJob::new(
        KIND,
        &Welcome {
            email: email.clone(),
        },
    )?;
    if crate::state::store()?.subscribe(&email, &welcome).await? {
        crate::state::wake_jobs();
        tracing::info!("newsletter subscriber added");
        formwork::revalidate_path("/newsletter");
        Ok(Subscribed { email })
    } else {
        Err(ActionError::Conflict {
            message: format!("{email} is already subscribed. Thank you for reading!"),
        })
    }
}

#[component]
pub fn SubscribeForm() -> impl IntoView {
    let state = FormState::<Subscribe>::new();
    view! {
        <ActionForm state=state class="subscribe">
            <fieldset>
                <legend>"Subscribe"</legend>
                <TextInput
                    field=state.fields().email
                    id="subscribe-email"
                    autocomplete="email"
                />
                {state.success(|done| view! {
                    <p class="form-success" role="status">
                        {format!("Subscribed! The next issue goes to {}.", done.email)}
                    </p>
                })}
                <div class="actions">
                    <SubmitButton label="Subscribe" pending_label="Subscribing…"/>
                </div>
            </fieldset>
        </ActionForm>
    }
}
