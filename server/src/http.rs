//! The HTTP stack: pages, actions, static assets, the app's plain routes and the operator's
//! endpoints, in one axum router.
//!
//! formwork is built from the configuration and put around the app's routes
//! (`Formwork::around`: the panic guard, tracing, compression, the timeout, security headers,
//! the action pipeline, the live stream and the built files).

use crate::{
    config::Config,
    ops::{healthz, metrics},
    state::{ServerState, Services, Shared},
    store::Stores,
};
use app::{shell, state::AppState, App};
use axum::{routing::get, Router};
use formwork::{rate_limit::Limiter, Formwork};
use leptos::prelude::*;
use std::sync::Arc;

/// Leptos' options, from its `LEPTOS_*` variables, with the address and site root that
/// [`Config`] decided.
pub fn leptos_options(config: &Config) -> anyhow::Result<LeptosOptions> {
    let mut options = get_configuration(None)?.leptos_options;
    options.site_addr = config.bind;
    options.site_root = config.site_root.to_string_lossy().into_owned().into();
    Ok(options)
}

/// Builds the whole application router: the app's routes, with formwork around them. Fails,
/// naming it, when a server function was not declared with `#[formwork::action]` or a
/// setting is unusable: such a server must not start.
pub async fn router(
    config: &Config,
    leptos_options: LeptosOptions,
    stores: Stores,
    limiter: Arc<dyn Limiter>,
    services: Services,
    jobs: formwork::jobs::Waker,
) -> anyhow::Result<Router> {
    let Services {
        cache,
        live,
        objects,
    } = services;
    let formwork = Formwork::builder(&leptos_options)
        .stores(stores.framework.clone())
        .signing_secret(config.flash_secret.clone())
        .public_origin(&config.public_origin)
        .allowed_origins(&config.allowed_origins)
        .trusted_proxies(config.trusted_proxies()?)
        .limiter(limiter)
        .session_lifetime(config.session_lifetime())
        .session_cache(config.session_cache())
        .body_limit(config.action_body_limit)
        .request_timeout(config.request_timeout())
        .passthrough(crate::api::PREFIXES.iter().copied())
        .cache(cache)
        .live(live)
        .messages(app::wording::messages())
        .build()
        .await?;
    let app = AppState {
        store: stores.app,
        jobs,
        objects,
    };
    let state = ServerState::new(Shared {
        leptos_options: leptos_options.clone(),
        app: app.clone(),
        formwork: formwork.clone(),
        webhooks: crate::api::webhooks::Webhooks {
            secret: config
                .newsletter_webhook_secret
                .as_ref()
                .map(|s| Arc::from(s.as_bytes())),
            bus: stores.framework.bus,
        },
    });
    // Every page and action gets formwork's context and the app's.
    let pages = formwork.pages(&state, App, shell, move || provide_context(app.clone()));
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        // Users' pictures, from the object store.
        .route("/avatars/{user}/{file}", get(crate::media::avatar))
        // For third parties: plain routes, not actions (see crate::api).
        .route("/api/v1/posts", get(crate::api::posts::list))
        .route("/api/v1/posts/{slug}", get(crate::api::posts::one))
        .route(
            "/api/webhooks/newsletter-bounce",
            axum::routing::post(crate::api::webhooks::newsletter_bounce),
        )
        .merge(pages);
    Ok(state.formwork.around(router).with_state(state))
}
