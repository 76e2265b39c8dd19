//! The app's background jobs, and the queue that runs them (`formwork::jobs`).

use crate::{config::Config, state::Services, store::Stores};
use app::settings::avatar::process::{self, Processed};
use formwork::jobs::Queue;
use std::time::Duration;

/// The queue with a handler for every kind of job the app records.
pub fn queue(stores: &Stores, config: &Config, services: &Services) -> Queue {
    let outbox = stores.app.clone();
    let avatars = (
        stores.app.clone(),
        services.clone(),
        stores.framework.bus.clone(),
    );
    Queue::new(stores.framework.jobs.clone())
        .concurrency(config.job_workers.max(1))
        .poll(Duration::from_millis(config.job_poll_ms))
        .handle(
            app::newsletter::welcome::KIND,
            move |job, welcome: app::newsletter::welcome::Welcome| {
                let outbox = outbox.clone();
                async move { app::newsletter::welcome::run(outbox.as_ref(), job, welcome).await }
            },
        )
        .handle(process::KIND, move |_job, input: process::Process| {
            let (store, services, bus) = avatars.clone();
            async move {
                let user_id = input.user_id;
                let outcome =
                    process::run(store.as_ref(), services.objects.as_ref(), input).await?;
                // The profile page hears either way; bylines only when the picture changed.
                let private = app::settings::avatar::tag(user_id);
                let tags: Vec<&str> = match &outcome {
                    Processed::Changed(_) => vec![app::tags::PEOPLE, &private],
                    Processed::Refused(_) => vec![&private],
                    Processed::Nothing => vec![],
                };
                if !tags.is_empty() {
                    formwork::invalidation::revalidate_outside(
                        &services.cache,
                        Some(&services.live),
                        bus.as_deref(),
                        &tags,
                    )
                    .await;
                }
                Ok(())
            }
        })
}
