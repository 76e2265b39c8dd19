//! The HTTP stack: pages, actions, static assets and the health check, in one axum router.
//!
//! Request flow, outermost first: panic guard → trace → compression → action pipeline
//! (`formwork::pipeline`, for `/api/…` only) → route.

use crate::{config::Config, store::Stores};
use app::{shell, state::AppState, App};
use axum::{
    extract::State,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use formwork::{
    cache::DataCache,
    flash::SigningKey,
    identity::Sessions,
    invalidation::Receiver,
    live::{LiveHub, LIVE_PATH},
    pipeline::{FlashSettings, Pipeline},
    rate_limit::Limiter,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::{any::Any, sync::Arc};
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    services::ServeDir,
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer},
};
use tracing::Level;

/// Everything a request handler may need.
#[derive(Clone, axum::extract::FromRef)]
pub struct ServerState {
    pub leptos_options: LeptosOptions,
    pub app: AppState,
    pub cache: DataCache,
    pub live: LiveHub,
    pub webhooks: crate::api::webhooks::Webhooks,
    /// The job queue's table, for its counts on `/metrics`.
    pub jobs: Arc<dyn formwork::jobs::JobStore>,
}

/// Leptos' options, from its `LEPTOS_*` variables, with the address and site root that
/// [`Config`] decided.
pub fn leptos_options(config: &Config) -> anyhow::Result<LeptosOptions> {
    let mut options = get_configuration(None)?.leptos_options;
    options.site_addr = config.bind;
    options.site_root = config.site_root.to_string_lossy().into_owned().into();
    Ok(options)
}

/// Builds the whole application router. Fails, naming it, when a server function declares
/// no access policy (`formwork::declare!`): such a server must not start.
pub fn router(
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
    let app = AppState {
        store: stores.app,
        jobs,
        objects,
    };
    formwork::registry::check().map_err(anyhow::Error::msg)?;
    // Revalidations by other instances purge this one's cache too, and reach its open pages.
    if let Some(bus) = &stores.bus {
        bus.subscribe(Receiver {
            cache: cache.clone(),
            live: Some(live.clone()),
        });
    }
    let state = ServerState {
        jobs: stores.jobs.clone(),
        leptos_options: leptos_options.clone(),
        app: app.clone(),
        cache: cache.clone(),
        live: live.clone(),
        webhooks: crate::api::webhooks::Webhooks {
            secret: config
                .newsletter_webhook_secret
                .as_ref()
                .map(|s| Arc::from(s.as_bytes())),
            bus: stores.bus.clone(),
        },
    };
    let routes = generate_route_list(App);
    let key = match &config.flash_secret {
        Some(secret) => SigningKey::new(secret.as_bytes()).unwrap_or_else(|error| {
            // Config::validate refuses short secrets before we get here.
            tracing::error!(%error, "unusable flash secret; using a random one");
            SigningKey::random()
        }),
        None => {
            tracing::warn!("FLASH_SECRET is not set: using a random one for this process");
            SigningKey::random()
        }
    };
    let sessions = Sessions::new(stores.sessions, config.https(), config.session_lifetime());
    // Pages sign the values they bind into forms, and actions check them, with this key;
    // actions that sign in and out reach the sessions.
    let provide_app_state = {
        let (app, key, sessions, cache, live) = (
            app.clone(),
            key.clone(),
            sessions.clone(),
            cache.clone(),
            live.clone(),
        );
        move || {
            provide_context(app.clone());
            provide_context(key.clone());
            provide_context(sessions.clone());
            provide_context(cache.clone());
            provide_context(live.clone());
        }
    };
    let pipeline = Pipeline {
        max_body_bytes: config.action_body_limit,
        static_prefix: format!("/{}/", leptos_options.site_pkg_dir),
        bus: stores.bus.clone(),
        live: Some(live),
        passthrough: crate::api::PREFIXES.to_vec(),
        sessions: Some(sessions),
        flash: Some(FlashSettings {
            store: stores.flash,
            key,
            secure_cookie: config.https(),
        }),
        origin: Some(config.origin_policy().unwrap_or_else(|error| {
            // Config::validate refuses bad origins before we get here; stay closed regardless.
            tracing::error!(%error, "unusable origins; only same-origin requests may call actions");
            formwork::origin::OriginPolicy::same_origin_only()
        })),
        limiter,
        trusted_proxies: config.trusted_proxies().unwrap_or_else(|error| {
            // Config::validate refuses bad networks before we get here; trust no one regardless.
            tracing::error!(%error, "unusable trusted proxies; trusting none");
            formwork::client_ip::TrustedProxies::none()
        }),
        ..Pipeline::default()
    };

    // Hashed file names (cargo-leptos `hash-files`) never change content: cache for a year.
    let pkg_dir = config.site_root.join(leptos_options.site_pkg_dir.as_ref());
    let assets = tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            |response: &Response<_>| {
                response
                    .status()
                    .is_success()
                    .then(|| HeaderValue::from_static("public, max-age=31536000, immutable"))
            },
        ))
        .service(ServeDir::new(pkg_dir));

    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        // Open pages hear what changed (see formwork::live).
        .route(LIVE_PATH, get(formwork::live::stream))
        // Users' pictures, from the object store.
        .route("/avatars/{user}/{file}", get(crate::media::avatar))
        // For third parties: plain routes, not actions (see crate::api).
        .route("/api/v1/posts", get(crate::api::posts::list))
        .route("/api/v1/posts/{slug}", get(crate::api::posts::one))
        .route(
            "/api/webhooks/newsletter-bounce",
            axum::routing::post(crate::api::webhooks::newsletter_bounce),
        )
        .leptos_routes_with_context(&state, routes, provide_app_state.clone(), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .nest_service(&format!("/{}", leptos_options.site_pkg_dir), assets)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            ServerState,
            _,
        >(provide_app_state, shell));
    Ok(formwork::pipeline::install(router, pipeline)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout(),
        ))
        // Security headers on every response. Pages set their own CSP (with the nonce of
        // their hydration script, see `app::shell`); everything else gets the strictest.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(CompressionLayer::new())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(CatchPanicLayer::custom(panic_response))
        .with_state(state))
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

/// `GET /healthz`: 200 when the database answers, 503 when it does not.
async fn healthz(State(app): State<AppState>) -> Response {
    let backend = app.store.backend();
    match app.store.ping().await {
        Ok(()) => Json(serde_json::json!({ "status": "ok", "backend": backend })).into_response(),
        Err(error) => {
            tracing::error!(%error, backend, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "unavailable", "backend": backend })),
            )
                .into_response()
        }
    }
}

/// `GET /metrics`: the data cache's counters in the Prometheus text format. For the operator's
/// scraper: keep it off the public load balancer.
async fn metrics(
    State(cache): State<DataCache>,
    State(live): State<LiveHub>,
    State(jobs): State<Arc<dyn formwork::jobs::JobStore>>,
) -> Response {
    let stats = cache.stats();
    let mut body = format!(
        "# HELP formwork_cache_hits_total Reads served from the data cache.\n\
         # TYPE formwork_cache_hits_total counter\n\
         formwork_cache_hits_total {}\n\
         # HELP formwork_cache_misses_total Reads that went to the database.\n\
         # TYPE formwork_cache_misses_total counter\n\
         formwork_cache_misses_total {}\n\
         # HELP formwork_cache_purged_total Entries removed by revalidation.\n\
         # TYPE formwork_cache_purged_total counter\n\
         formwork_cache_purged_total {}\n\
         # HELP formwork_cache_discarded_total Loads not kept because a revalidation overtook them.\n\
         # TYPE formwork_cache_discarded_total counter\n\
         formwork_cache_discarded_total {}\n\
         # HELP formwork_cache_entries Entries in the data cache.\n\
         # TYPE formwork_cache_entries gauge\n\
         formwork_cache_entries {}\n\
         # HELP formwork_live_streams Pages holding a live revalidation stream open.\n\
         # TYPE formwork_live_streams gauge\n\
         formwork_live_streams {}\n",
        stats.hits,
        stats.misses,
        stats.purged,
        stats.discarded,
        stats.entries,
        live.open_streams()
    );
    match jobs.counts().await {
        Ok(counts) => body.push_str(&formwork::jobs::metrics(counts)),
        // The other figures still help; the gap in the jobs' says something is wrong.
        Err(error) => tracing::error!(%error, "could not count the jobs for /metrics"),
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

/// A panic is a bug: log it in full, answer a redacted 500.
fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    let error = formwork::ActionError::internal(format!("panic: {detail}"));
    (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
}
