//! What the server's handlers share: the app's state, formwork, and the services one instance
//! shares between its requests and its jobs.

use app::state::AppState;
use formwork::{cache::DataCache, live::LiveHub, Formwork};
use leptos::prelude::LeptosOptions;
use std::sync::Arc;

/// Everything a request handler may need.
#[derive(Clone, axum::extract::FromRef)]
pub struct ServerState {
    pub leptos_options: LeptosOptions,
    pub app: AppState,
    /// The framework's part: its cache, live hub, stores and figures.
    pub formwork: Formwork,
    pub webhooks: crate::api::webhooks::Webhooks,
}

// Handlers that revalidate (the webhook) take the cache and the live hub as their state.
impl axum::extract::FromRef<ServerState> for DataCache {
    fn from_ref(state: &ServerState) -> Self {
        state.formwork.cache().clone()
    }
}

impl axum::extract::FromRef<ServerState> for LiveHub {
    fn from_ref(state: &ServerState) -> Self {
        state.formwork.live().clone()
    }
}

/// What one instance shares between its requests and its jobs.
#[derive(Clone)]
pub struct Services {
    /// The tagged data cache every read shares; actions purge it by tag or path.
    pub cache: DataCache,
    /// The pages with a live stream open, which hear what changed.
    pub live: LiveHub,
    /// Where uploads and the pictures made from them are kept.
    pub objects: Arc<dyn object_store::ObjectStore>,
}
