//! What the server gives every action and page: the store, reached through Leptos context.

use crate::store::Store;
use formwork::ActionError;
use leptos::prelude::use_context;
use std::sync::Arc;

/// Shared, cheap to clone; provided to every request by the server binary.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Starts a job an action just recorded (see `formwork::jobs`).
    pub jobs: formwork::jobs::Waker,
    /// Where uploaded files and the pictures made from them are kept (a directory, or S3).
    pub objects: Arc<dyn object_store::ObjectStore>,
}

/// What the server provided to this request. Missing context is a wiring bug, reported as
/// a 500.
fn app_state() -> Result<AppState, ActionError> {
    use_context::<AppState>()
        .ok_or_else(|| ActionError::internal("AppState was not provided to this request"))
}

/// The store of the running server.
pub fn store() -> Result<Arc<dyn Store>, ActionError> {
    app_state().map(|state| state.store)
}

/// The object store of the running server.
pub fn objects() -> Result<Arc<dyn object_store::ObjectStore>, ActionError> {
    app_state().map(|state| state.objects)
}

/// Tells this instance's job queue that an action recorded a job, so it starts now rather
/// than at the next poll. Without a queue here (or without context) the poll finds it.
pub fn wake_jobs() {
    if let Some(state) = use_context::<AppState>() {
        state.jobs.wake();
    }
}
