//! The `send_feedback` action and its form.

use formwork::{ActionError, ActionForm, FormState, Rule, SubmitButton, TextArea};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

formwork::schema! {
    /// A note about the site.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Feedback {
        pub message: String = Rule::text("Feedback").chars(3, 2_000),
    }
}

/// Keeps the note; the form thanks the sender and clears.
#[formwork::action(access = Public, rate_limit = per_ip(10).per_minute(), body_limit = 16 KiB, revalidates = [])]
pub async fn send_feedback(#[server(flatten)] feedback: Feedback) -> Result<u64, ActionError> {
    let id = crate::state::store()?.save_feedback(&feedback).await?;
    tracing::info!(id, "feedback received");
    Ok(u64::try_from(id).unwrap_or_default())
}

/// The feedback form: with JavaScript a note is sent without leaving the page; without it,
/// the same form posts and comes back with the outcome.
#[component]
pub fn FeedbackForm() -> impl IntoView {
    let state = FormState::<SendFeedback>::new();
    view! {
        <ActionForm state=state class="feedback">
            <fieldset>
                <legend>"Your feedback"</legend>
                <TextArea
                    field=state.fields().message
                    id="feedback-message"
                    rows=4
                />
                {state.success(|_| view! {
                    <p class="form-success" role="status">"Thank you for your feedback!"</p>
                })}
                <div class="actions">
                    <SubmitButton label="Send feedback" pending_label="Sending…"/>
                </div>
            </fieldset>
        </ActionForm>
    }
}
