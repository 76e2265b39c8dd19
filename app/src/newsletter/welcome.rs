//! The welcome email a new subscriber gets, sent by a job: subscribing answers at once, and
//! the message goes out even if the server restarts in between.

use serde::{Deserialize, Serialize};

/// The job kind.
pub const KIND: &str = "newsletter.welcome";

/// The job's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    pub email: String,
}

/// The message for `email`.
pub fn message(email: &str) -> crate::mail::Email {
    crate::mail::Email {
        to: email.to_owned(),
        subject: "Welcome to the Formwork newsletter".to_owned(),
        body: format!(
            "Hello,\n\nyou subscribed {email} to the Formwork newsletter. The next issue is on \
             its way.\n\nIf this was not you, reply and we will remove the address.\n"
        ),
    }
}

/// Runs one welcome job.
pub async fn run(
    store: &dyn crate::mail::store::OutboxStore,
    job: formwork::jobs::Job,
    welcome: Welcome,
) -> Result<(), String> {
    crate::mail::send(store, job.id, &message(&welcome.email)).await
}
