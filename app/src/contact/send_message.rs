//! The `send_message` action and the contact form.

use formwork::{
    rules, ActionError, ActionForm, FieldErrors, FormError, FormState, SubmitButton, TextArea,
    TextInput,
};
use leptos::prelude::*;

pub const NAME_CHARS: (usize, usize) = (2, 100);
pub const MESSAGE_CHARS: (usize, usize) = (10, 5_000);

/// A message that has passed the rules: trimmed, with a plausible email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactMessage {
    name: String,
    email: String,
    message: String,
}

impl ContactMessage {
    /// Checks every field and reports every problem at once, keyed by the form field.
    pub fn parse(name: &str, email: &str, message: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let (name, email, message) = (name.trim(), email.trim(), message.trim());
        if let Err(problem) = rules::length("Name", name, NAME_CHARS.0, NAME_CHARS.1) {
            errors.insert("name".into(), vec![problem]);
        }
        if let Err(problem) = rules::email(email) {
            errors.insert("email".into(), vec![problem.into()]);
        }
        if let Err(problem) = rules::length("Message", message, MESSAGE_CHARS.0, MESSAGE_CHARS.1) {
            errors.insert("message".into(), vec![problem]);
        }
        if errors.is_empty() {
            Ok(Self {
                name: name.to_owned(),
                email: email.to_owned(),
                message: message.to_owned(),
            })
        } else {
            Err(errors)
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn email(&self) -> &str {
        &self.email
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Keeps the message for the team, then goes to the thank-you page.
#[server]
pub async fn send_message(name: String, email: String, message: String) -> Result<(), ActionError> {
    let message = ContactMessage::parse(&name, &email, &message).map_err(ActionError::fields)?;
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
            <fieldset>
                <legend>"Your message"</legend>
                <TextInput
                    field=state.field("name")
                    id="contact-name"
                    label="Name"
                    required=true
                    minlength=NAME_CHARS.0
                    maxlength=NAME_CHARS.1
                    autocomplete="name"
                />
                <TextInput
                    field=state.field("email")
                    id="contact-email"
                    label="Email"
                    kind="email"
                    required=true
                    maxlength=254
                    autocomplete="email"
                />
                <TextArea
                    field=state.field("message")
                    id="contact-message"
                    label="Message"
                    rows=6
                    required=true
                    minlength=MESSAGE_CHARS.0
                    maxlength=MESSAGE_CHARS.1
                />
                <FormError state=state/>
                <div class="actions">
                    <SubmitButton label="Send" pending_label="Sending…"/>
                </div>
            </fieldset>
        </ActionForm>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_reported_by_field() {
        let errors = ContactMessage::parse(" a ", "nope", "too short")
            .err()
            .unwrap_or_default();
        assert_eq!(errors["name"], ["Name needs at least 2 characters."]);
        assert_eq!(
            errors["email"],
            ["Enter an email address like name@example.org."]
        );
        assert_eq!(errors["message"], ["Message needs at least 10 characters."]);
    }

    #[test]
    fn a_good_message_is_trimmed() {
        let message = ContactMessage::parse(" Ada ", "ada@example.org ", " Hello there! ")
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            (message.name(), message.email(), message.message()),
            ("Ada", "ada@example.org", "Hello there!")
        );
    }
}
