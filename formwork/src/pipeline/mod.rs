//! The request pipeline every action walks, as one axum middleware: one file per step, and
//! [`run`](fn@run) lists them in the one order both kinds of caller walk.
//!
//! ```text
//! who is asking   the session, once per request (503 when its store is down)
//! find            the action and its declaration (404, 405; 403 when undeclared)
//! origin          another site's page may not post (403)
//! access          the declared policy, before a byte of the body (401, 403)
//! body            the declared limit and a well-formed body (413, 415, 400); a post with
//!                 cookies but no provenance must carry a form token this server signed (403)
//! once            a plain form post repeating its one-time token replays the first outcome
//! rate limit      the declared quota (429 with Retry-After)
//! run             the action, then what it revalidated is announced
//! respond         a script gets the status of its ActionError; a plain form post gets
//!                 303 See Other to its page, its outcome and input kept in a flash
//! ```
//!
//! The browser runtime ([`crate::runtime`]) sends a form as the browser would, marked with
//! [`ENHANCED_HEADER`](crate::protocol::ENHANCED_HEADER): it walks as a plain form post, and
//! only its `303` is told differently, as `204` with the place to go in a header it can read.
//!
//! A script (formwork's browser side, or any HTTP client) and a plain form post (no
//! JavaScript) walk the same steps. A refusal answers a script with its status; a plain form
//! post with flash settings gets the refusal in its form, through the flash, except for the
//! refusals that must not touch the form at all (no such action, another site's page).
//!
//! Every rendered form carries a one-time token. A plain post that repeats a token (a double
//! click, a resubmitted page) does not run the action again: it waits for the first one and
//! gets its outcome. With JavaScript the form itself submits once at a time.
//!
//! A plain form post with its token runs from its claim on as a task of its own: it runs to
//! its end even when its client goes away. A browser that abandons a post for the next (a
//! double click without JavaScript) closes the first connection; the first post still
//! finishes and records its outcome, which the second one replays, instead of stopping
//! half-way with its token claimed and its outcome never written.

mod access;
mod body;
mod find;
mod identify;
mod once;
mod origin;
mod posted;
mod quota;
mod respond;
mod run;

pub use once::SUBMISSION_MEMORY;
pub use respond::{error_response, is_document_request, unavailable_page};

use crate::{
    client_ip::TrustedProxies,
    flash::FlashSettings,
    identity::{Principal, Sessions},
    invalidation::InvalidationBus,
    live::LiveHub,
    origin::OriginPolicy,
    rate_limit::{Limiter, MemoryLimiter},
    ActionError, LocalPath,
};
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use std::sync::Arc;
use tracing::Instrument;

/// Settings of the action pipeline.
#[derive(Clone)]
pub struct Pipeline {
    /// The URL prefix under which actions are served (server_fn's default is `/api`).
    pub prefix: &'static str,
    /// The largest request body an action accepts, in bytes.
    pub max_body_bytes: u64,
    /// Where plain form posts keep their outcome for the next page. Without it, a plain form
    /// post still gets its 303, but its outcome is lost.
    pub flash: Option<FlashSettings>,
    /// Which origins may post to actions (CSRF protection): the site's own pages only by
    /// default. `None` checks nothing: only for tools, never for a site.
    pub origin: Option<OriginPolicy>,
    /// Where the actions' rate limits are counted (this process, or Redis).
    pub limiter: Arc<dyn Limiter>,
    /// Proxies whose `X-Forwarded-For` names the client (see [`crate::client_ip`]).
    pub trusted_proxies: TrustedProxies,
    /// Who is signed in (see [`crate::identity`]). Without it every request is anonymous,
    /// and actions that need a user answer 401.
    pub sessions: Option<Sessions>,
    /// Where the site's static files are served (`/pkg/`): no session is looked up for them.
    pub static_prefix: String,
    /// Tells the other instances what an action revalidated (see [`crate::invalidation`]).
    /// `None` for a single instance.
    pub bus: Option<Arc<dyn InvalidationBus>>,
    /// Tells this instance's open pages what an action revalidated (see [`crate::live`]).
    pub live: Option<LiveHub>,
    /// Paths under [`Pipeline::prefix`] that are not actions but plain routes (a JSON API, a
    /// webhook): the pipeline leaves them to their own handlers.
    pub passthrough: Vec<&'static str>,
}

impl Pipeline {
    /// Whether `path` is where this pipeline serves actions (under its prefix, and not a
    /// passthrough route).
    fn serves_actions_at(&self, path: &str) -> bool {
        path.starts_with(self.prefix) && !self.passthrough.iter().any(|p| path.starts_with(p))
    }
}

impl Default for Pipeline {
    fn default() -> Self {
        Self {
            prefix: "/api/",
            max_body_bytes: 1024 * 1024,
            flash: None,
            origin: Some(OriginPolicy::same_origin_only()),
            limiter: Arc::new(MemoryLimiter::new()),
            trusted_proxies: TrustedProxies::none(),
            sessions: None,
            static_prefix: "/pkg/".to_owned(),
            bus: None,
            live: None,
            passthrough: Vec::new(),
        }
    }
}

/// Puts the pipeline in front of every route of `router`. Call it after the actions' routes
/// are added (`leptos_routes…`), so that it wraps them.
pub fn install<S>(router: axum::Router<S>, pipeline: Pipeline) -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    // The limit server_fn's body reader honours, for bodies that declare no length (the
    // pipeline holds each action to its own limit before that).
    let largest = crate::registry::largest_body_limit(pipeline.max_body_bytes);
    let read_limit = usize::try_from(largest).unwrap_or(usize::MAX);
    router
        .layer(axum::extract::DefaultBodyLimit::max(read_limit))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(pipeline),
            run,
        ))
}

/// The pipeline as an axum middleware (see [`install`]).
pub async fn run(State(pipeline): State<Arc<Pipeline>>, request: Request, next: Next) -> Response {
    let enhanced = respond::is_enhanced(request.headers());
    let response = walk(pipeline, request, next).await;
    if enhanced {
        respond::to_runtime(response)
    } else {
        response
    }
}

async fn walk(pipeline: Arc<Pipeline>, request: Request, next: Next) -> Response {
    let request = match identify::who_is_asking(&pipeline, request).await {
        Ok(request) => request,
        Err(unavailable) => return *unavailable,
    };
    if !pipeline.serves_actions_at(request.uri().path()) {
        return match &pipeline.flash {
            Some(settings) => crate::flash::read::receive(settings, request, next).await,
            None => next.run(request).await,
        };
    }
    let call = Call::new(pipeline, &request);
    let span = tracing::info_span!("action", path = %call.path);
    steps(&call, request, next)
        .instrument(span)
        .await
        .unwrap_or_else(|answer| *answer)
}

/// The steps, in order. Each one either hands the request on or answers it, in a span of its
/// own under the action's (`find`, `origin`, `access`, `body`, `form_token`, `posted`, then
/// `once`, `quota` and `run`): a trace shows where a call spent its time, and which step
/// answered it.
async fn steps(call: &Call, request: Request, next: Next) -> Result<Response, Answer> {
    let declaration =
        tracing::info_span!("find").in_scope(|| find::action(call, request.method()))?;
    let limit = declaration
        .body_limit
        .unwrap_or(call.pipeline.max_body_bytes);
    let needs_form_token =
        tracing::info_span!("origin").in_scope(|| origin::judge(call, &request))?;
    access::admit(call, declaration)
        .instrument(tracing::info_span!("access"))
        .await?;
    let request = body::check(call, request, limit, declaration.content_type)
        .instrument(tracing::info_span!("body"))
        .await?;
    let request = origin::form_token(call, request, limit, needs_form_token)
        .instrument(tracing::info_span!("form_token"))
        .await?;
    let posted = posted::read(call, request, limit)
        .instrument(tracing::info_span!("posted"))
        .await?;
    if !once::carries_token(call, posted.form.as_ref()) {
        return finish(call, declaration, posted, limit, next).await;
    }
    // A plain form post with its one-time token: from its claim on, it runs on a task of its
    // own, to its end, whatever its client does.
    let detached = {
        let call = call.clone();
        async move { finish(&call, declaration, posted, limit, next).await }
    };
    match tokio::spawn(detached.instrument(tracing::Span::current())).await {
        Ok(answer) => answer,
        Err(failed) => {
            let detail = match failed.try_into_panic() {
                Ok(panic) => crate::error::panic_message(panic.as_ref()).to_owned(),
                Err(error) => error.to_string(),
            };
            let error = ActionError::internal(format!("panic: {detail}"));
            Err(Box::new(call.refuse(&error, None).await))
        }
    }
}

/// The steps from the one-time token on: a repeat is answered with the first outcome, the
/// quota is spent, and the action runs.
async fn finish(
    call: &Call,
    declaration: &'static crate::registry::Declaration,
    posted: posted::Posted,
    limit: u64,
    next: Next,
) -> Result<Response, Answer> {
    let once = once::claim(call, posted.form.as_ref())
        .instrument(tracing::info_span!("once"))
        .await?;
    let client = quota::client(call, &posted.request);
    let form = posted.form.as_ref();
    quota::spend(call, declaration, client, form, once.as_deref())
        .instrument(tracing::info_span!("quota"))
        .await?;
    Ok(run::action(call, posted, once, limit, next)
        .instrument(tracing::info_span!("run"))
        .await)
}

/// What a step answers when the request goes no further (boxed: a response is large, and
/// the steps' results should not be).
type Answer = Box<Response>;

/// One call of an action, as every step sees it. Cheap to clone (a task that outlives the
/// request's future takes a copy).
#[derive(Clone)]
struct Call {
    pipeline: Arc<Pipeline>,
    /// The action's path.
    path: String,
    /// A browser's own request (a plain form post), not a script's.
    document: bool,
    /// Where the request came from (the Referer's path), to send a plain form post back to.
    back: Option<LocalPath>,
    /// Who is asking, if anyone is signed in.
    principal: Option<Principal>,
}

impl Call {
    fn new(pipeline: Arc<Pipeline>, request: &Request) -> Self {
        Self {
            pipeline,
            path: request.uri().path().to_owned(),
            document: is_document_request(request.headers()),
            back: posted::referer_path(request.headers()),
            principal: request.extensions().get::<Principal>().cloned(),
        }
    }

    /// Where a plain form post keeps its outcome: `Some` when this call is one and the
    /// pipeline has flash settings (its outcome then comes back to the form).
    fn form_post(&self) -> Option<&FlashSettings> {
        self.pipeline.flash.as_ref().filter(|_| self.document)
    }

    /// The answer to an error decided before the action runs: in the form, through the flash,
    /// for a plain form post (with `form`'s input and return path when it was read); with its
    /// status for a script.
    async fn refuse(&self, error: &ActionError, form: Option<&posted::PostedForm>) -> Response {
        match self.form_post() {
            Some(settings) => {
                let (inputs, target) = match form {
                    Some(form) => (
                        form.inputs.clone(),
                        form.return_to.clone().or(self.back.clone()),
                    ),
                    None => (Default::default(), self.back.clone()),
                };
                crate::flash::write::redirect(settings, &self.path, Err(error), inputs, target)
                    .await
            }
            None => error_response(error, self.document),
        }
    }

    /// The answer to an error that must not touch the form (no such action, another site's
    /// page): its status, whoever asked.
    fn answer(&self, error: &ActionError) -> Response {
        error_response(error, self.document)
    }
}
