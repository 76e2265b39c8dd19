//! The app's background jobs, and the queue that runs them (`formwork::jobs`).

use crate::{config::Config, store::Stores};
use formwork::jobs::Queue;
use std::time::Duration;

/// The queue with a handler for every kind of job the app records.
pub fn queue(stores: &Stores, config: &Config) -> Queue {
    let outbox = stores.app.clone();
    Queue::new(stores.jobs.clone())
        .concurrency(config.job_workers.max(1))
        .poll(Duration::from_millis(config.job_poll_ms))
        .handle(
            app::newsletter::welcome::KIND,
            move |job, welcome: app::newsletter::welcome::Welcome| {
                let outbox = outbox.clone();
                async move { app::newsletter::welcome::run(outbox.as_ref(), job, welcome).await }
            },
        )
}
