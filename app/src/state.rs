//! What the server gives every action and page: the store, reached through Leptos context.

use crate::store::Store;
use formwork::ActionError;
use leptos::prelude::use_context;
use std::sync::Arc;

/// Shared, cheap to clone; provided to every request by the server binary.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
}

/// The store of the running server. Missing context is a wiring bug, reported as a 500.
pub fn store() -> Result<Arc<dyn Store>, ActionError> {
    use_context::<AppState>()
        .map(|state| state.store)
        .ok_or_else(|| ActionError::internal("AppState was not provided to this request"))
}
