//! The `send_message` action and the contact form.

use formwork::{
    use_form_status, ActionError, ActionForm, FormState, Rule, SubmitButton, TextArea, TextInput,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

formwork::schema! {
    /// A message for the team, as the contact form sends it.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ContactMessage {
        pub name: String = Rule::text("Name").chars(2, 100),
        pub email: String = Rule::email("Email"),
        pub message: String = Rule::text("Message").chars(10, 5_000),
    }
}

/// Keeps the message for the team, then goes to the thank-you page.
#[formwork::action(access = Public, rate_limit = per_ip(5).per_hour(), body_limit = 32 KiB, revalidates = [])]
pub async fn send_message(#[server(flatten)] message: ContactMessage) -> Result<(), ActionError> {
    let id = crate::state::store()?
        .save_contact_message(&message)
        .await?;
    tracing::info!(id, "contact message received");
    if let Some(thanks) = formwork::LocalPath::parse("/contact/thanks") {
        formwork::redirect(&thanks);
    }
    Ok(())
}

#[component]
pub fn ContactForm() -> impl IntoView {
    let state = FormState::<SendMessage>::new();
    view! {
        <ActionForm state=state class="contact">
            <MessageFields state=state/>
        </ActionForm>
    }
}

/// The form's fields. They read the form's status ([`use_form_status`]): while the message is
/// on its way the inputs are held still and a line says whose it is. Without JavaScript the
/// browser posts the form and nothing here changes.
#[component]
fn MessageFields(state: FormState<SendMessage>) -> impl IntoView {
    let status = use_form_status();
    view! {
        <fieldset {..status.disabled_while_pending()}>
            <legend>"Your message"</legend>
            <TextInput
                field=state.fields().name
                id="contact-name"
                autocomplete="name"
            />
            <TextInput
                field=state.fields().email
                id="contact-email"
                autocomplete="email"
            />
            <TextArea
                field=state.fields().message
                id="contact-message"
                rows=6
            />
            <p class="sending" role="status" {..status.shown_while_pending()}>
                "Sending your message as " {status.sent("email")} "…"
            </p>
            <div class="actions">
                <SubmitButton label="Send" pending_label="Sending…"/>
            </div>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use formwork::Validated;

    fn message(name: &str, email: &str, text: &str) -> ContactMessage {
        ContactMessage {
            name: name.into(),
            email: email.into(),
            message: text.into(),
        }
    }

    #[test]
    fn every_problem_is_reported_by_field() {
        let Err(ActionError::Validation { fields, .. }) =
            message(" a ", "nope", "too short").validated()
        else {
            panic!("expected a 422");
        };
        assert_eq!(fields["name"], ["Name needs at least 2 characters."]);
        assert_eq!(
            fields["email"],
            ["Enter an email address like name@example.org."]
        );
        assert_eq!(fields["message"], ["Message needs at least 10 characters."]);
    }

    #[test]
    fn a_good_message_is_trimmed() {
        let valid = message(" Ada ", "ada@example.org ", " Hello there! ")
            .validated()
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(valid, message("Ada", "ada@example.org", "Hello there!"));
    }
}
