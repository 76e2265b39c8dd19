//! One builder that owns the wiring: [`Formwork::builder`] gathers the settings, and the
//! [`Formwork`] it builds gives the two things an app's server needs:
//!
//! - [`Formwork::provide_context`], for Leptos' render of every page and action: the signing
//!   key, the sessions, the data cache and the live hub;
//! - [`Formwork::around`], for the app's axum router: the live stream's route and the action
//!   pipeline in front of every route, with secure response headers.
//!
//! It is **secure by default**: actions accept state-changing requests only from the site's
//! own pages (the same-origin check is on; [`Builder::allowed_origins`] adds origins and only
//! [`Builder::skip_origin_check`] turns it off), a request with cookies but no provenance needs
//! its form's signed token, and outside development the signing key must be configured.
//!
//! ```
//! # #[cfg(feature = "ssr")]
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use formwork::{store::{memory::MemoryStore, Stores}, Formwork};
//! use leptos::prelude::*;
//!
//! let options = LeptosOptions::builder().output_name("site").build();
//! let formwork = Formwork::builder(&options)
//!     .stores(Stores::of(MemoryStore::new()))
//!     .build()
//!     .await?;
//! let provide = { let formwork = formwork.clone(); move || formwork.provide_context() };
//! let router: axum::Router = formwork.around(axum::Router::new());
//! # let _ = (provide, router); Ok(()) }
//! ```

use crate::{
    cache::DataCache,
    client_ip::TrustedProxies,
    flash::FlashSettings,
    identity::Sessions,
    invalidation::Receiver,
    live::LiveHub,
    messages::Messages,
    origin::OriginPolicy,
    pipeline::Pipeline,
    protocol::LIVE_PATH,
    rate_limit::{Limiter, MemoryLimiter},
    signing::SigningKey,
    store::{StoreSetupError, Stores},
};
use axum::http::{header, HeaderValue};
use leptos::prelude::{provide_context, LeptosOptions};
use std::{sync::Arc, time::Duration};

/// How long a request may take unless the app says otherwise.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a session lasts unless the app says otherwise.
pub const DEFAULT_SESSION_LIFETIME: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// What went wrong building formwork. The server must not start.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A server function has no declaration (or several): named, each.
    #[error("{0}")]
    Undeclared(String),
    /// A setting is unusable (the message says which, and why).
    #[error("{0}")]
    Setting(String),
    /// formwork's stores could not be set up (their migrations failed).
    #[error(transparent)]
    Store(#[from] StoreSetupError),
}

/// Where formwork's tables are, as the builder was told.
enum Storage {
    Given(Stores),
    /// The database, and the app's writer of it if the app gave its own.
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool, Option<crate::store::sqlite::Writer>),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

/// The settings of one app's formwork (see [`Formwork::builder`]).
#[must_use]
pub struct Builder {
    storage: Option<Storage>,
    principals: Option<String>,
    migrate: bool,
    secret: Option<String>,
    development: bool,
    public_origin: Option<String>,
    origins: Vec<String>,
    check_origin: bool,
    limiter: Arc<dyn Limiter>,
    trusted_proxies: TrustedProxies,
    session_lifetime: Duration,
    session_cache: Duration,
    body_limit: u64,
    passthrough: Vec<&'static str>,
    static_prefix: String,
    site: Site,
    cache: DataCache,
    shared_pages: usize,
    live: LiveHub,
    messages: Messages,
}

/// Where the site's built files are, and how long a request may take.
#[derive(Clone)]
struct Site {
    root: String,
    pkg_dir: String,
    hashed: bool,
    /// With hashed names, the file that lists them (cargo-leptos writes it beside the server
    /// binary it builds), which Leptos reads on the first page: see [`Builder::build`].
    hash_file: Option<std::path::PathBuf>,
    request_timeout: Duration,
}

/// A panic is a bug: logged in full, answered with a redacted 500 and its correlation id.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let detail = crate::error::panic_message(panic.as_ref());
    let error = crate::ActionError::internal(format!("panic: {detail}"));
    (
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        error.to_string(),
    )
        .into_response()
}

/// One app's formwork: its key, sessions, cache, live hub and action pipeline. Cheap to clone
/// (one reference count): every request's page render takes a copy.
#[derive(Clone)]
pub struct Formwork(Arc<Shared>);

/// What every copy of a [`Formwork`] shares.
struct Shared {
    site: Site,
    key: SigningKey,
    sessions: Sessions,
    cache: DataCache,
    pages: crate::page_cache::PageCache,
    live: LiveHub,
    stores: Stores,
    pipeline: Pipeline,
    assets: crate::assets::Assets,
    runtime: crate::runtime::Runtime,
}

impl Formwork {
    /// The settings for an app served with Leptos' `options`, every one at its secure
    /// default: in memory unless told where formwork's tables are, same-origin posts only,
    /// a random signing key only in development (`LEPTOS_ENV` other than `PROD`, over http).
    pub fn builder(options: &LeptosOptions) -> Builder {
        Builder {
            storage: None,
            principals: None,
            migrate: true,
            secret: None,
            development: options.env == leptos::config::Env::DEV,
            public_origin: None,
            origins: Vec::new(),
            check_origin: true,
            limiter: Arc::new(MemoryLimiter::new()),
            trusted_proxies: TrustedProxies::none(),
            session_lifetime: DEFAULT_SESSION_LIFETIME,
            session_cache: crate::identity::FRESH_FOR,
            body_limit: 1024 * 1024,
            passthrough: Vec::new(),
            static_prefix: format!("/{}/", options.site_pkg_dir),
            site: Site {
                root: options.site_root.to_string(),
                pkg_dir: options.site_pkg_dir.to_string(),
                hashed: options.hash_files,
                hash_file: options.hash_files.then(|| {
                    // Where Leptos looks for it: beside the running binary.
                    std::env::current_exe()
                        .ok()
                        .and_then(|exe| exe.parent().map(std::path::Path::to_path_buf))
                        .unwrap_or_default()
                        .join(options.hash_file.as_ref())
                }),
                request_timeout: DEFAULT_REQUEST_TIMEOUT,
            },
            cache: DataCache::new(),
            shared_pages: crate::page_cache::DEFAULT_CAPACITY,
            live: LiveHub::new(),
            messages: Messages::english(),
        }
    }

    /// Provides formwork's part of a request's context: call it in the closure given to
    /// `leptos_routes_with_context` and `file_and_error_handler_with_context`, next to the
    /// app's own `provide_context` calls.
    pub fn provide_context(&self) {
        provide_context(self.0.key.clone());
        provide_context(crate::page_cache::FormTokens::for_request(
            self.0.key.clone(),
        ));
        provide_context(self.0.sessions.clone());
        provide_context(self.0.cache.clone());
        provide_context(self.0.live.clone());
        provide_context(self.0.runtime.clone());
    }

    /// Puts formwork around the app's `router`, once the app's routes are all added:
    ///
    /// - the live stream's route, and the site's built files (`/pkg/…`, cached for a year
    ///   when cargo-leptos hashes their names, and then answered from memory, compressed
    ///   once: [`crate::assets`]);
    /// - the kept pages ([`crate::page_cache`]): a page that shares itself is answered from
    ///   memory to visitors without cookies, and one kept per visitor to that visitor again;
    /// - the action pipeline in front of every route (actions, pages, files), and so of the
    ///   kept pages: who is asking is known before a visitor's page is served again;
    /// - `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`,
    ///   `X-Frame-Options: DENY`, and the strictest Content-Security-Policy on any response
    ///   that sets none (pages set theirs, see [`crate::Scripts`]);
    /// - outermost, in order: the request's id ([`crate::request_id`]: answered in
    ///   `x-request-id`, on the request's span, and the correlation id of its 500s), a panic
    ///   guard (logged in full, answered with a redacted 500 and that id), a `tracing` span
    ///   per request, compression, and the request timeout (408).
    pub fn around<S>(&self, router: axum::Router<S>) -> axum::Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        use tower_http::{
            catch_panic::CatchPanicLayer,
            compression::CompressionLayer,
            set_header::SetResponseHeaderLayer,
            timeout::TimeoutLayer,
            trace::{DefaultOnResponse, TraceLayer},
        };
        let router = router
            .route(
                LIVE_PATH,
                axum::routing::get(crate::live::stream).with_state(self.0.live.clone()),
            )
            .nest_service(&format!("/{}", self.0.site.pkg_dir), self.site_files());
        // The kept pages sit inside the pipeline: a page kept for a visitor is served again
        // only once the pipeline knows who is asking, and never with a flash to show.
        let router = router.layer(axum::middleware::from_fn_with_state(
            self.0.pages.clone(),
            crate::page_cache::serve,
        ));
        crate::pipeline::install(router, self.0.pipeline.clone())
            .layer(axum::middleware::from_fn_with_state(
                self.0.assets.clone(),
                crate::assets::serve,
            ))
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
            .layer(TimeoutLayer::with_status_code(
                axum::http::StatusCode::REQUEST_TIMEOUT,
                self.0.site.request_timeout,
            ))
            .layer(CompressionLayer::new())
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|request: &axum::http::Request<_>| {
                        crate::request_id::span(request)
                    })
                    .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
            )
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(axum::middleware::from_fn(crate::metrics::record))
            .layer(axum::middleware::from_fn(crate::request_id::assign))
    }

    /// The app's pages as an axum router: every route of `app` rendered into `shell`, and
    /// the site's files (then the app's 404) for everything else. Each render gets
    /// formwork's context ([`provide_context`](Self::provide_context)) and then the app's
    /// (`context`: its own `provide_context` calls). Add the app's other routes to it, then
    /// put formwork [`around`](Self::around) it.
    pub fn pages<S, A, D>(
        &self,
        state: &S,
        app: fn() -> A,
        shell: fn(LeptosOptions) -> D,
        context: impl Fn() + Clone + Send + Sync + 'static,
    ) -> axum::Router<S>
    where
        S: Clone + Send + Sync + 'static,
        LeptosOptions: axum::extract::FromRef<S>,
        A: leptos::IntoView + 'static,
        D: leptos::IntoView + 'static,
    {
        use leptos_axum::LeptosRoutes;
        // Behind one count each: axum clones a route's handler, and what it holds, for every
        // request (one answered from memory too).
        let formwork = self.clone();
        let provide = std::sync::Arc::new(move || {
            formwork.provide_context();
            context();
        });
        let provide = move || provide();
        let options = std::sync::Arc::new(<LeptosOptions as axum::extract::FromRef<S>>::from_ref(
            state,
        ));
        axum::Router::new()
            .leptos_routes_with_context(
                state,
                leptos_axum::generate_route_list(app),
                provide.clone(),
                move || shell(LeptosOptions::clone(&options)),
            )
            .fallback(leptos_axum::file_and_error_handler_with_context::<S, D>(
                provide, shell,
            ))
    }

    /// Serves the app's `router` at `address`, with formwork [`around`](Self::around) it,
    /// until Ctrl-C or SIGTERM; then lets the requests in flight finish. HTTP/1.1 with the
    /// slow-client bounds of [`crate::serve`], every request knowing its peer's address. Open
    /// live streams end at the signal (their pages reconnect).
    pub async fn serve(
        &self,
        router: axum::Router,
        address: std::net::SocketAddr,
    ) -> std::io::Result<()> {
        let listener = tokio::net::TcpListener::bind(address).await?;
        tracing::info!("listening on http://{}", listener.local_addr()?);
        let live = self.0.live.clone();
        crate::serve::serve(
            listener,
            self.around(router),
            crate::serve::Timeouts::default(),
            async move {
                crate::serve::shutdown_signal().await;
                live.close();
            },
        )
        .await;
        Ok(())
    }

    /// The built files (`/pkg/…`): for a year, never to change, when their names carry a hash
    /// of their content (cargo-leptos `hash-files`); else checked again on every use.
    fn site_files(
        &self,
    ) -> tower_http::set_header::SetResponseHeader<
        tower_http::services::ServeDir,
        impl Fn(
                &axum::response::Response<tower_http::services::fs::ServeFileSystemResponseBody>,
            ) -> Option<HeaderValue>
            + Clone,
    > {
        let hashed = self.0.site.hashed;
        let dir = std::path::Path::new(&self.0.site.root).join(&self.0.site.pkg_dir);
        tower_http::set_header::SetResponseHeader::overriding(
            tower_http::services::ServeDir::new(dir),
            header::CACHE_CONTROL,
            move |response: &axum::response::Response<_>| {
                Some(HeaderValue::from_static(
                    if hashed && response.status().is_success() {
                        crate::assets::IMMUTABLE
                    } else {
                        "no-cache"
                    },
                ))
            },
        )
    }

    /// The tagged data cache every read shares.
    pub fn cache(&self) -> &DataCache {
        &self.0.cache
    }

    /// The pages kept in memory ([`crate::page_cache`]).
    pub fn shared_pages(&self) -> &crate::page_cache::PageCache {
        &self.0.pages
    }

    /// The pages with a live stream open. Close it at shutdown ([`LiveHub::close`]): open
    /// streams would hold the shutdown up.
    pub fn live(&self) -> &LiveHub {
        &self.0.live
    }

    /// formwork's stores (the job queue's among them, for [`crate::jobs::Queue`]).
    pub fn stores(&self) -> &Stores {
        &self.0.stores
    }

    /// The key forms' tokens, bound values and flash cookies are signed with.
    pub fn signing_key(&self) -> &SigningKey {
        &self.0.key
    }

    /// formwork's figures in the Prometheus text format: the data cache, the live streams
    /// and the job queue, then the HTTP requests by route and status (see
    /// [`crate::metrics`]). Serve them to the operator's scraper only, off the public port.
    pub async fn metrics(&self) -> String {
        let stats = self.0.cache.stats();
        let pages = self.0.pages.stats();
        let mut body = String::new();
        for (name, kind, help, value) in [
            (
                "formwork_cache_hits_total",
                "counter",
                "Reads served from the data cache.",
                stats.hits,
            ),
            (
                "formwork_cache_misses_total",
                "counter",
                "Reads that went to the database.",
                stats.misses,
            ),
            (
                "formwork_cache_purged_total",
                "counter",
                "Entries removed by revalidation.",
                stats.purged,
            ),
            (
                "formwork_cache_discarded_total",
                "counter",
                "Loads not kept because a revalidation overtook them.",
                stats.discarded,
            ),
            (
                "formwork_cache_entries",
                "gauge",
                "Entries in the data cache.",
                stats.entries,
            ),
            (
                "formwork_shared_page_hits_total",
                "counter",
                "Page views without cookies answered from memory (shared pages).",
                pages.hits,
            ),
            (
                "formwork_shared_pages_kept_total",
                "counter",
                "Renders of shared pages kept in memory.",
                pages.kept,
            ),
            (
                "formwork_visitor_page_hits_total",
                "counter",
                "Page views with cookies answered with the page kept for that visitor.",
                pages.visitor_hits,
            ),
            (
                "formwork_visitor_pages_kept_total",
                "counter",
                "Renders kept in memory for one visitor each.",
                pages.visitor_kept,
            ),
            (
                "formwork_store_writes_total",
                "counter",
                "Form posts' own writes (claims, outcomes, flashes) to a SQL store.",
                crate::store::WRITE_COUNTS
                    .writes
                    .load(std::sync::atomic::Ordering::Relaxed),
            ),
            (
                "formwork_store_write_batches_total",
                "counter",
                "Rounds of statements those writes were made in, together.",
                crate::store::WRITE_COUNTS
                    .batches
                    .load(std::sync::atomic::Ordering::Relaxed),
            ),
            (
                "formwork_live_streams",
                "gauge",
                "Pages holding a live revalidation stream open.",
                self.0.live.open_streams() as u64,
            ),
        ] {
            body.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
            ));
        }
        match self.0.stores.jobs.counts().await {
            Ok(counts) => body.push_str(&crate::jobs::metrics(counts)),
            // The other figures still help; the gap in the jobs' says something is wrong.
            Err(error) => tracing::error!(%error, "could not count the jobs for the metrics"),
        }
        body.push_str(&crate::metrics::render());
        body
    }
}

impl Builder {
    /// formwork's tables in these stores (in memory: [`Stores::of`] a
    /// [`MemoryStore`](crate::store::memory::MemoryStore)). Without a call they are in memory,
    /// and nobody can sign in.
    pub fn stores(mut self, stores: Stores) -> Self {
        self.storage = Some(Storage::Given(stores));
        self
    }

    /// formwork's tables in this SQLite database, migrated when built (see
    /// [`crate::store::sqlite`]).
    #[cfg(feature = "sqlite")]
    pub fn sqlite(mut self, pool: sqlx::SqlitePool) -> Self {
        self.storage = Some(Storage::Sqlite(pool, None));
        self
    }

    /// formwork's tables in the SQLite database `writer` writes, migrated when built, and
    /// formwork's own writes through `writer`: the app's writes through the same writer share
    /// its transactions with formwork's (a form post's claim and outcome), where two writers
    /// of one database would take turns at its lock.
    #[cfg(feature = "sqlite")]
    pub fn sqlite_writer(mut self, writer: crate::store::sqlite::Writer) -> Self {
        self.storage = Some(Storage::Sqlite(writer.pool().clone(), Some(writer)));
        self
    }

    /// formwork's tables in this PostgreSQL database, migrated when built, with its
    /// `LISTEN/NOTIFY` carrying revalidations between the instances that share it.
    #[cfg(feature = "postgres")]
    pub fn postgres(mut self, pool: sqlx::PgPool) -> Self {
        self.storage = Some(Storage::Postgres(pool));
        self
    }

    /// Who a session names, for the SQLite or PostgreSQL tables: one `SELECT` of the columns
    /// `id`, `name` and `rank` from the app's own tables (see [`crate::store`]).
    pub fn principals(mut self, query: impl Into<String>) -> Self {
        self.principals = Some(query.into());
        self
    }

    /// Leaves formwork's migrations to the operator (`store::sqlite::migrate`,
    /// `store::postgres::migrate`, from a deploy step) instead of applying them when built.
    pub fn skip_migrations(mut self) -> Self {
        self.migrate = false;
        self
    }

    /// The secret forms' tokens, bound values and flash cookies are signed with: at least 32
    /// bytes, the same on every instance (e.g. from a `FLASH_SECRET` variable). Without one, a
    /// random key is made in development, and building fails anywhere else.
    pub fn signing_secret(mut self, secret: Option<impl Into<String>>) -> Self {
        self.secret = secret.map(Into::into);
        self
    }

    /// Whether this is development (a random signing key then only warns). Taken from
    /// `LEPTOS_ENV` unless set here; a public origin on https is never development.
    pub fn development(mut self, development: bool) -> Self {
        self.development = development;
        self
    }

    /// The origin the site is served at, `scheme://host[:port]`: pages there may post to
    /// actions, and on https cookies are `Secure`.
    pub fn public_origin(mut self, origin: impl Into<String>) -> Self {
        self.public_origin = Some(origin.into());
        self
    }

    /// Further origins whose pages may post to actions (a second domain of the same site).
    pub fn allowed_origins<I, O>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = O>,
        O: Into<String>,
    {
        self.origins.extend(origins.into_iter().map(Into::into));
        self
    }

    /// Turns the origin (CSRF) check off: any site's page may then make a signed-in user's
    /// browser call any action. Only for tools and tests that cannot send provenance headers,
    /// never for a site people sign in to.
    pub fn skip_origin_check(mut self) -> Self {
        self.check_origin = false;
        self
    }

    /// Where rate limits are counted (this process by default; Redis to share them).
    pub fn limiter(mut self, limiter: Arc<dyn Limiter>) -> Self {
        self.limiter = limiter;
        self
    }

    /// The proxies whose `X-Forwarded-*` headers are believed (none by default).
    pub fn trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// How long a session lasts ([`DEFAULT_SESSION_LIFETIME`] by default).
    pub fn session_lifetime(mut self, lifetime: Duration) -> Self {
        self.session_lifetime = lifetime;
        self
    }

    /// How long a resolved session is used without asking the store again (5 s by default;
    /// zero asks on every request). Sign-out and [`refresh_user`](crate::identity::refresh_user)
    /// reach every instance at once through the invalidation bus, whatever this is; an app
    /// run as several instances has a bus (PostgreSQL's, or Redis').
    pub fn session_cache(mut self, fresh_for: Duration) -> Self {
        self.session_cache = fresh_for;
        self
    }

    /// The largest body an action accepts unless it declares its own (1 MiB by default).
    pub fn body_limit(mut self, bytes: u64) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Path prefixes under the actions' (`/api/`) served by plain routes of the app (a JSON
    /// API, a webhook): the pipeline leaves them to those routes.
    pub fn passthrough(mut self, prefixes: impl IntoIterator<Item = &'static str>) -> Self {
        self.passthrough.extend(prefixes);
        self
    }

    /// How long a whole request may take before it is answered 408
    /// ([`DEFAULT_REQUEST_TIMEOUT`] by default). A live stream is bound only until it starts.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.site.request_timeout = timeout;
        self
    }

    /// How many pages of each kind are kept in memory at most (1,000 by default; `0` keeps none): pages
    /// that call [`page_cache::share`](crate::page_cache::share), rendered for visitors
    /// without cookies, and those that call
    /// [`page_cache::keep_per_visitor`](crate::page_cache::keep_per_visitor), one per visitor.
    /// Each kind is bounded apart: past `capacity` pages or 64 MiB the oldest go first, and
    /// each page is at most 1 MiB.
    pub fn shared_pages(mut self, capacity: usize) -> Self {
        self.shared_pages = capacity;
        self
    }

    /// The data cache to use (a new one by default): pass the one the app's background jobs
    /// revalidate, so their revalidations reach this cache.
    pub fn cache(mut self, cache: DataCache) -> Self {
        self.cache = cache;
        self
    }

    /// The live hub to use (a new one by default): pass the one the app's background jobs
    /// announce to, so open pages hear them.
    pub fn live(mut self, live: LiveHub) -> Self {
        self.live = live;
        self
    }

    /// The sentences formwork shows people (English by default), for the server and, through
    /// [`Scripts`](crate::meta::Scripts), for the pages' browser side. One catalog per
    /// process: building installs it.
    pub fn messages(mut self, messages: Messages) -> Self {
        self.messages = messages;
        self
    }

    /// Checks the settings and the declarations, sets up the stores (migrating them unless
    /// told not to) and starts listening to the other instances.
    pub async fn build(self) -> Result<Formwork, BuildError> {
        crate::registry::check().map_err(BuildError::Undeclared)?;
        self.messages.check().map_err(BuildError::Setting)?;
        // Leptos 0.8 reads the hash file on the first page and panics on every page when it is
        // missing: a server without it must not start.
        if let Some(path) = self
            .site
            .hash_file
            .as_deref()
            .filter(|path| !path.is_file())
        {
            return Err(BuildError::Setting(format!(
                "LEPTOS_HASH_FILES is true, but {} is missing: cargo-leptos writes it beside the \
                 server binary it builds (`cargo leptos build --release`); ship it with the \
                 binary, or set LEPTOS_HASH_FILES=false",
                path.display()
            )));
        }
        // The recorder is in place before the first request is counted.
        let _ = crate::metrics::handle();
        crate::messages::install(self.messages.clone());
        let https = self
            .public_origin
            .as_deref()
            .is_some_and(|origin| origin.starts_with("https://"));
        let key =
            match &self.secret {
                Some(secret) => SigningKey::new(secret.as_bytes()).map_err(BuildError::Setting)?,
                None if self.development && !https => {
                    tracing::warn!(
                        "no signing secret: using a random one for this process (development only)"
                    );
                    SigningKey::random()
                }
                None => return Err(BuildError::Setting(
                    "a signing secret is required outside development (Builder::signing_secret, \
                     e.g. from FLASH_SECRET): at least 32 random bytes, the same on every instance"
                        .into(),
                )),
            };
        let origin = self.origin_policy()?;
        let stores = self.open_stores().await?;
        let mut sessions = Sessions::new(stores.sessions.clone(), https, self.session_lifetime)
            .fresh_for(self.session_cache);
        if let Some(bus) = &stores.bus {
            sessions = sessions.with_bus(bus.clone());
            // Revalidations by other instances purge this one's cache too, and reach its pages;
            // sessions they ended or users they changed are read afresh here too.
            bus.subscribe(Receiver {
                cache: self.cache.clone(),
                live: Some(self.live.clone()),
                sessions: Some(sessions.clone()),
            });
        }
        let pipeline = Pipeline {
            max_body_bytes: self.body_limit,
            static_prefix: self.static_prefix,
            bus: stores.bus.clone(),
            live: Some(self.live.clone()),
            passthrough: self.passthrough,
            sessions: Some(sessions.clone()),
            flash: Some(FlashSettings {
                store: stores.flash.clone(),
                key: key.clone(),
                cookies: crate::cookies::CookiePolicy::new(https),
            }),
            origin,
            limiter: self.limiter,
            trusted_proxies: self.trusted_proxies,
            ..Pipeline::default()
        };
        let assets = if self.site.hashed {
            let root = std::path::Path::new(&self.site.root);
            match crate::assets::Assets::load(root, &self.site.pkg_dir) {
                Ok(assets) => {
                    tracing::info!(files = assets.len(), "site files kept in memory");
                    assets
                }
                Err(error) => {
                    tracing::warn!(%error, root = %root.display(), "site files are read from disk: they could not be kept in memory");
                    crate::assets::Assets::none()
                }
            }
        } else {
            crate::assets::Assets::none()
        };
        let (runtime, script) = crate::runtime::Runtime::build(&self.messages);
        let assets = assets.with_generated(
            runtime.path(),
            "text/javascript; charset=utf-8",
            script.into(),
        );
        let pages =
            crate::page_cache::PageCache::new(self.shared_pages, self.cache.clone(), key.clone());
        Ok(Formwork(Arc::new(Shared {
            pages,
            site: self.site,
            assets,
            runtime,
            key,
            sessions,
            cache: self.cache,
            live: self.live,
            stores,
            pipeline,
        })))
    }

    fn origin_policy(&self) -> Result<Option<OriginPolicy>, BuildError> {
        if !self.check_origin {
            tracing::warn!("the origin check is off: any site may post to this site's actions");
            return Ok(None);
        }
        let origins = self.public_origin.iter().chain(&self.origins);
        OriginPolicy::new(origins.map(|origin| origin.trim_end_matches('/')))
            .map(Some)
            .map_err(BuildError::Setting)
    }

    async fn open_stores(&self) -> Result<Stores, BuildError> {
        let principals = self.principals.as_deref();
        Ok(match &self.storage {
            None | Some(Storage::Given(_)) if principals.is_some() => {
                return Err(BuildError::Setting(
                    "Builder::principals is for formwork's SQLite and PostgreSQL tables; a store \
                     given with Builder::stores is told its principals itself"
                        .into(),
                ))
            }
            None => Stores::of(crate::store::memory::MemoryStore::new()),
            Some(Storage::Given(stores)) => stores.clone(),
            #[cfg(feature = "sqlite")]
            Some(Storage::Sqlite(pool, writer)) => {
                use crate::store::sqlite;
                if self.migrate {
                    sqlite::migrate(pool).await?;
                }
                let store = sqlite::SqliteStore::new(pool.clone());
                let store = match writer {
                    Some(writer) => store.with_writer(writer.clone()),
                    None => store,
                };
                Stores::of(match principals {
                    Some(query) => store.principals(query)?,
                    None => store,
                })
            }
            #[cfg(feature = "postgres")]
            Some(Storage::Postgres(pool)) => {
                use crate::store::postgres;
                if self.migrate {
                    postgres::migrate(pool).await?;
                }
                let store = postgres::PgStore::new(pool.clone());
                let store = match principals {
                    Some(query) => store.principals(query)?,
                    None => store,
                };
                Stores::of(store).with_bus(Arc::new(
                    crate::invalidation::postgres::PgInvalidations::new(pool.clone()),
                ))
            }
        })
    }
}
