//! The email outbox on `/admin`: what the site "sent" (there is no mail server; jobs write
//! here, see `crate::mail`), newest first. Admins only.

use formwork::ActionError;
use leptos::{either::Either, prelude::*};
use serde::{Deserialize, Serialize};

/// How many messages the admin page shows.
pub const OUTBOX_SHOWN: u32 = 20;

/// A message as the admin page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentEmail {
    pub job: i64,
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// The last messages written to the outbox. Admins only.
#[formwork::action(access = AtLeast(crate::roles::Role::Admin.rank()), method = GET)]
pub async fn list_outbox() -> Result<Vec<SentEmail>, ActionError> {
    Ok(crate::state::store()?
        .outbox(OUTBOX_SHOWN)
        .await?
        .into_iter()
        .map(|(job, email)| SentEmail {
            job,
            to: email.to,
            subject: email.subject,
            body: email.body,
        })
        .collect())
}

/// The outbox section; rendered only for admins (the page checks first).
#[component]
pub fn Outbox() -> impl IntoView {
    view! {
        <section class="outbox" aria-labelledby="outbox-heading">
            <h2 id="outbox-heading">"Outbox"</h2>
            <Suspense fallback=|| view! { <p>"Loading the outbox…"</p> }>
                {Suspend::new(async move {
                    match list_outbox().await {
                        Ok(sent) if sent.is_empty() => Either::Left(Either::Left(view! {
                            <p class="empty">"Nothing sent yet."</p>
                        })),
                        Ok(sent) => Either::Left(Either::Right(view! {
                            <ol class="sent">
                                {sent
                                    .into_iter()
                                    .map(|email| view! {
                                        <li>
                                            <details>
                                                <summary>
                                                    <span class="to">{email.to}</span> " · " <span class="subject">{email.subject}</span>
                                                </summary>
                                                <pre>{email.body}</pre>
                                            </details>
                                        </li>
                                    })
                                    .collect_view()}
                            </ol>
                        })),
                        Err(error) => Either::Right(view! {
                            <p class="form-error" role="alert">{error.to_string()}</p>
                        }),
                    }
                })}
            </Suspense>
        </section>
    }
}
