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

/// Each part a handler takes as its state, from the whole (the webhook, which revalidates,
/// takes the cache and the live hub).
macro_rules! parts {
    ($($part:ty => |$state:ident| $get:expr),* $(,)?) => {$(
        impl axum::extract::FromRef<ServerState> for $part {
            fn from_ref($state: &ServerState) -> Self {
                $get.clone()
            }
        }
    )*};
}

parts! {
    LeptosOptions => |state| state.leptos_options,
    AppState => |state| state.app,
    Formwork => |state| state.formwork,
    crate::api::webhooks::Webhooks => |state| state.webhooks,
    DataCache => |state| state.formwork.cache(),
    LiveHub => |state| state.formwork.live(),
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
