//! What the server's handlers share: the app's state, formwork, and the services one instance
//! shares between its requests and its jobs.

use app::state::AppState;
use formwork::{cache::DataCache, live::LiveHub, Formwork};
use leptos::prelude::LeptosOptions;
use std::sync::Arc;

/// Everything a request handler may need: one allocation that every route shares. Axum
/// clones a route's handler, and the state in it, for each request (a page answered from
/// memory too): a clone is one count, not the options' strings and every service's handle
/// (measured on `/posts` from memory: the deep clones and their drops were 9% of its CPU).
#[derive(Clone)]
pub struct ServerState(Arc<Shared>);

/// What [`ServerState`] holds.
pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub app: AppState,
    /// The framework's part: its cache, live hub, stores and figures.
    pub formwork: Formwork,
    pub webhooks: crate::api::webhooks::Webhooks,
}

impl ServerState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for ServerState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Each part a handler takes as its state, from the whole.
macro_rules! parts {
    ($($part:ty => $field:ident),* $(,)?) => {$(
        impl axum::extract::FromRef<ServerState> for $part {
            fn from_ref(state: &ServerState) -> Self {
                state.$field.clone()
            }
        }
    )*};
}

parts! {
    LeptosOptions => leptos_options,
    AppState => app,
    Formwork => formwork,
    crate::api::webhooks::Webhooks => webhooks,
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
