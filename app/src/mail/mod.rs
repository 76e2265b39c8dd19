//! Email, as far as this site goes: there is no mail server, so "sending" writes the message to
//! an outbox table (and to the log). Messages are sent by jobs (`formwork::jobs`), never
//! during a request; the job's id is the message's key, so a job that runs twice (its worker
//! died after sending) sends once.

pub mod store;

/// One message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Sends `email` for job `job_id`, once: a second call for the same job does nothing.
pub async fn send(
    store: &dyn store::OutboxStore,
    job_id: i64,
    email: &Email,
) -> Result<(), String> {
    let first = store
        .write_to_outbox(job_id, email)
        .await
        .map_err(|error| error.to_string())?;
    if first {
        tracing::info!(job = job_id, to = %email.to, subject = %email.subject, "email written to the outbox");
    } else {
        tracing::info!(job = job_id, "email already in the outbox; not sent again");
    }
    Ok(())
}
