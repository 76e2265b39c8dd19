//! The request pipeline every action walks, as one axum middleware.
//!
//! ```text
//! request → body limit (413) → find the action (404/405) → run it (server_fn) → respond
//! respond:  script caller → the ActionError's status (422, 429 + Retry-After, …)
//!           plain form    → 303 See Other, so a reload never re-posts
//! ```
//!
//! A plain form post is run as a script call inside the pipeline, so its outcome comes back
//! as data; the pipeline keeps that outcome and the user's input in a [flash](crate::flash)
//! and answers `303` to the page the form came from. The next page view takes the flash.
//!
//! Every rendered form carries a one-time token. A plain post that repeats a token (a double
//! click, a resubmitted page) does not run the action again: it waits for the first one and
//! gets its outcome. With JavaScript the form itself submits once at a time.
//!
//! In order: find the action (404/405) → its declaration → origin check (403) → body limit
//! and well-formedness (413, 400) → rate limit (429) → run it → respond.

use crate::{
    client_ip::{self, ClientKey, TrustedProxies},
    flash::{
        Flash, FlashStore, ReceivedFlash, SigningKey, FLASH_COOKIE, FLASH_TTL, ITEM_FIELD,
        ONCE_FIELD, RETURN_FIELD, SECRET_FIELD,
    },
    identity::Sessions,
    invalidation::{announce, InvalidationBus},
    live::LiveHub,
    messages::{say, text, Message},
    origin::{check_form_token, OriginPolicy, Verdict},
    rate_limit::{Decision, Limiter, MemoryLimiter, RateLimit},
    ActionError, LocalPath,
};
use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use server_fn::{error::FromServerFnError, error::SERVER_FN_ERROR_HEADER};
use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, OnceLock},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// How long a rendered form's submission token is remembered: a repeat of the same form
/// within this time replays the first outcome instead of running the action again.
pub const SUBMISSION_MEMORY: Duration = Duration::from_secs(24 * 60 * 60);

/// How long a repeated submission waits for the first one to finish.
const REPEAT_WAIT: Duration = Duration::from_secs(10);

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

/// Where flashes are kept and how their cookie is signed.
#[derive(Clone)]
pub struct FlashSettings {
    /// Where flashes are kept until the next page reads them.
    pub store: Arc<dyn FlashStore>,
    /// Signs the flash id in the cookie.
    pub key: SigningKey,
    /// Mark the cookie `Secure` (when the site is served over https).
    pub secure_cookie: bool,
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

/// A browser navigation (a plain `<form>` post) rather than a call from the server_fn client.
///
/// Browsers send `Accept: text/html` for document requests; server_fn's client does not.
pub fn is_document_request(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// Every registered action, with the methods it answers.
fn registered_actions() -> &'static HashMap<&'static str, Vec<Method>> {
    static ACTIONS: OnceLock<HashMap<&'static str, Vec<Method>>> = OnceLock::new();
    ACTIONS.get_or_init(|| {
        let mut map: HashMap<&'static str, Vec<Method>> = HashMap::new();
        for (path, method) in server_fn::axum::server_fn_paths() {
            map.entry(path).or_default().push(method);
        }
        map
    })
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
        .layer(axum::middleware::from_fn_with_state(pipeline, run))
}

/// The pipeline as an axum middleware (see [`install`]).
pub async fn run(State(pipeline): State<Pipeline>, mut request: Request, next: Next) -> Response {
    // Who is asking, for pages and actions (not for the static files): one lookup, and only
    // when the request carries a session cookie.
    let principal = match &pipeline.sessions {
        Some(sessions) if !request.uri().path().starts_with(&pipeline.static_prefix) => {
            match sessions.resolve(request.headers()).await {
                Ok(principal) => principal,
                // Who is asking is unknown, not "nobody": never answered as signed out.
                Err(error) => return unavailable(&pipeline, &error, request).await,
            }
        }
        _ => None,
    };
    if let Some(principal) = &principal {
        request.extensions_mut().insert(principal.clone());
    }
    let path = request.uri().path();
    if !pipeline.serves_actions_at(path) {
        return match &pipeline.flash {
            Some(settings) => receive_flash(settings, request, next).await,
            None => next.run(request).await,
        };
    }
    let document = is_document_request(request.headers());

    // Find the action before reading a byte of its body.
    let Some(methods) = registered_actions().get(path) else {
        return error_response(&ActionError::not_found(text(Message::ThatAction)), document);
    };
    if !methods.contains(request.method()) {
        let allow = methods
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        let mut response = (
            StatusCode::METHOD_NOT_ALLOWED,
            say(Message::MethodNotAllowed, &[("allow", &allow)]),
        )
            .into_response();
        if let Ok(allow) = HeaderValue::from_str(&allow) {
            response.headers_mut().insert(header::ALLOW, allow);
        }
        return no_store(response);
    }

    // What the action declared about itself (the server refused to start without it).
    let Some(declaration) = crate::registry::declaration(path) else {
        tracing::error!(action = %path, "an action without a declaration was called");
        return error_response(
            &ActionError::forbidden(text(Message::NotAvailable)),
            document,
        );
    };
    let limit = declaration.body_limit.unwrap_or(pipeline.max_body_bytes);
    let quota = declaration.rate_limit.map(|rate| {
        let peer = client_ip::peer(request.extensions());
        let client = ClientKey::of(pipeline.trusted_proxies.client_ip(peer, request.headers()));
        Quota {
            limiter: pipeline.limiter.clone(),
            bucket: rate.bucket(path, client, principal.as_ref().map(|p| p.user_id)),
            limit: rate,
        }
    });

    // Another site's page may not make the user's browser call an action (CSRF). Reads
    // (GET, HEAD) change nothing and stay linkable.
    let safe = matches!(*request.method(), Method::GET | Method::HEAD);
    let verdict = (!safe)
        .then_some(pipeline.origin.as_ref())
        .flatten()
        .map(|policy| {
            let forwarded = crate::origin::forwarded_origin(
                &pipeline.trusted_proxies,
                client_ip::peer(request.extensions()),
                request.headers(),
            );
            policy.judge(request.headers(), forwarded.as_deref())
        });
    let needs_form_token = match verdict {
        Some(Verdict::Foreign(from)) => {
            tracing::warn!(action = %request.uri().path(), %from, "refused a cross-site request");
            return error_response(&ActionError::forbidden(text(Message::CrossSite)), document);
        }
        Some(Verdict::NeedsFormToken) => true,
        Some(Verdict::Allowed) | None => false,
    };

    // The action's access policy, before a byte of its arguments is read.
    if let Err(error) = declaration.access.admits(principal.as_ref()) {
        tracing::info!(action = %path, access = ?declaration.access, status = %error.status(), "refused by the access policy");
        return refuse(
            &pipeline,
            &error,
            document,
            path,
            referer_path(request.headers()),
        )
        .await;
    }

    // Oversized and malformed requests are refused here, with a message, before server_fn
    // sees them; a plain form post gets the refusal inline through the flash.
    let too_large = ActionError::PayloadTooLarge { limit_bytes: limit };
    let action = request.uri().path().to_owned();
    let back = referer_path(request.headers());
    let checked = check_well_formed(request, limit, declaration.content_type)
        .await
        .map_err(|refusal| refusal.into_error(&too_large));
    let request = match (checked, document, &pipeline.flash) {
        (Ok(request), _, _) if needs_form_token => {
            match with_form_token(request, pipeline.flash.as_ref(), limit).await {
                Some(request) => request,
                None => {
                    tracing::warn!(%action, "refused a request with cookies, no origin and no form token");
                    return error_response(
                        &ActionError::forbidden(text(Message::NoProvenance)),
                        document,
                    );
                }
            }
        }
        (Ok(request), _, _) => request,
        (Err(error), true, Some(settings)) => {
            return flash_redirect(settings, &action, Err(&error), BTreeMap::new(), back).await
        }
        (Err(error), _, _) => return error_response(&error, document),
    };
    if let (true, Some(settings)) = (document, &pipeline.flash) {
        let told = Told {
            bus: pipeline.bus.as_deref(),
            live: pipeline.live.as_ref(),
        };
        return post_redirect_get(limit, settings, &too_large, quota, told, request, next).await;
    }
    if let Some(Err(error)) = spend(quota.as_ref()).await {
        return error_response(&error, document);
    }
    // A body without a declared length is counted as it streams in: it stops at the limit,
    // the action fails to read it, and the answer is the same 413.
    let (parts, body) = request.into_parts();
    let (body, overflow) = limit::LimitedBody::new(body, limit);
    let mut response = next.run(Request::from_parts(parts, Body::new(body))).await;
    if overflow.tripped() {
        return error_response(&too_large, document);
    }
    // What the action revalidated reaches the open pages and the other instances before its
    // answer leaves.
    announce(
        pipeline.bus.as_deref(),
        pipeline.live.as_ref(),
        response.headers_mut(),
    )
    .await;

    no_store(if document {
        respond_to_document(response)
    } else {
        respond_to_script(response).await
    })
}

/// An error decided before the action runs: shown in the form through the flash for a plain
/// form post, else answered with its status.
async fn refuse(
    pipeline: &Pipeline,
    error: &ActionError,
    document: bool,
    action: &str,
    back: Option<LocalPath>,
) -> Response {
    match (document, &pipeline.flash) {
        (true, Some(settings)) => {
            flash_redirect(settings, action, Err(error), BTreeMap::new(), back).await
        }
        _ => error_response(error, document),
    }
}

/// The rate limit a request counts against, when its action declares one.
struct Quota {
    limiter: Arc<dyn Limiter>,
    bucket: String,
    limit: RateLimit,
}

/// Counts the request against its action's rate limit: `None` when the action has none,
/// else whether it may run (429 with the seconds to wait when it may not).
async fn spend(quota: Option<&Quota>) -> Option<Result<(), ActionError>> {
    let quota = quota?;
    Some(
        match quota.limiter.check(&quota.bucket, &quota.limit).await {
            Decision::Allowed => Ok(()),
            Decision::Refused { retry_after } => {
                let retry_after_secs = Decision::retry_after_secs(retry_after);
                tracing::warn!(
                    bucket = %quota.bucket,
                    limiter = quota.limiter.kind(),
                    retry_after_secs,
                    "rate limit reached"
                );
                Err(ActionError::RateLimited { retry_after_secs })
            }
        },
    )
}

/// The request, if its form data carries a form token this server signed (see
/// [`crate::origin`]).
async fn with_form_token(
    request: Request,
    flash: Option<&FlashSettings>,
    limit: u64,
) -> Option<Request> {
    let key = &flash?.key;
    let (parts, body) = request.into_parts();
    // Form data was already read (within the limit) by `check_well_formed`.
    let bytes = read_body(body, limit).await.ok()?;
    let token = posted_form(&parts.headers, &bytes).await.signed_once?;
    check_form_token(key, &token).then(|| Request::from_parts(parts, Body::from(bytes)))
}

enum Refusal {
    TooLarge,
    Malformed(String),
}

impl Refusal {
    fn into_error(self, too_large: &ActionError) -> ActionError {
        match self {
            Self::TooLarge => too_large.clone(),
            Self::Malformed(message) => ActionError::BadRequest { message },
        }
    }
}

/// Refuses a body over the limit, and what server_fn would turn into a 500 or a panic: a multipart body without a
/// boundary, and urlencoded bodies with broken escapes or bytes that are not UTF-8 (which
/// would otherwise be read leniently, as something the user never sent). Urlencoded bodies
/// are read here, within the limit, and handed on whole.
async fn check_well_formed(
    request: Request,
    limit: u64,
    reads: &'static str,
) -> Result<Request, Refusal> {
    // A declared length over the limit is refused before a byte is read.
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(declared) = declared.filter(|len| *len > limit) {
        // Read (and drop) what the client is sending before answering: a browser still
        // uploading when the connection closes shows a network error instead of the answer.
        if declared <= DRAIN_LIMIT {
            drain(request.into_body()).await;
        }
        return Err(Refusal::TooLarge);
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    // The same boundary server_fn's reader looks for (it would panic without one).
    if content_type.starts_with("multipart/form-data")
        && multer::parse_boundary(&content_type).is_err()
    {
        return Err(Refusal::Malformed(text(Message::NoBoundary).into_owned()));
    }
    // What the action reads: form data (what HTML forms send), an upload, or JSON, as its
    // server function declares. Anything else would be read as if it were that.
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if request.method() == Method::POST && media_type != reads {
        let expected = if reads == "application/x-www-form-urlencoded" {
            text(Message::FormEncoding)
        } else {
            reads.into()
        };
        return Err(Refusal::Malformed(if media_type.is_empty() {
            say(Message::NoContentType, &[("expected", &expected)])
        } else {
            say(
                Message::ContentType,
                &[("sent", &media_type), ("expected", &expected)],
            )
        }));
    }
    if media_type != "application/x-www-form-urlencoded" {
        return Ok(request);
    }
    let (parts, body) = request.into_parts();
    let bytes = read_body(body, limit).await?;
    check_urlencoded(&bytes).map_err(Refusal::Malformed)?;
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// The most a refused body is read (and dropped) so that its sender sees the answer.
const DRAIN_LIMIT: u64 = 16 * 1024 * 1024;

/// Reads a body to its end, keeping nothing.
async fn drain(body: Body) {
    use http_body_util::BodyExt;
    let mut body = body;
    while let Some(frame) = body.frame().await {
        if frame.is_err() {
            break;
        }
    }
}

/// The whole body, up to `limit` bytes.
async fn read_body(body: Body, limit: u64) -> Result<axum::body::Bytes, Refusal> {
    let (body, overflow) = limit::LimitedBody::new(body, limit);
    match axum::body::to_bytes(Body::new(body), usize::MAX).await {
        Ok(bytes) => Ok(bytes),
        Err(_) if overflow.tripped() => Err(Refusal::TooLarge),
        Err(error) => Err(Refusal::Malformed(say(
            Message::BodyUnreadable,
            &[("detail", &error)],
        ))),
    }
}

/// Strict `application/x-www-form-urlencoded`: every `%` starts a two-digit hex escape, and
/// every decoded name and value is UTF-8.
fn check_urlencoded(body: &[u8]) -> Result<(), String> {
    for (index, field) in body.split(|b| *b == b'&').enumerate() {
        for part in field.splitn(2, |b| *b == b'=') {
            let mut decoded = Vec::with_capacity(part.len());
            let mut bytes = part.iter().copied();
            while let Some(byte) = bytes.next() {
                decoded.push(match byte {
                    b'+' => b' ',
                    b'%' => {
                        let hex = [bytes.next(), bytes.next()];
                        let digits = match hex {
                            [Some(a), Some(b)] => std::str::from_utf8(&[a, b])
                                .ok()
                                .and_then(|h| u8::from_str_radix(h, 16).ok()),
                            _ => None,
                        };
                        digits.ok_or_else(|| {
                            format!(
                                "The form data is malformed: field {} has a `%` that is not \
                                 followed by two hex digits.",
                                index + 1
                            )
                        })?
                    }
                    other => other,
                });
            }
            if std::str::from_utf8(&decoded).is_err() {
                return Err(say(Message::FieldNotUtf8, &[("field", &(index + 1))]));
            }
            // No text a person sends holds a NUL, and PostgreSQL cannot store one.
            if decoded.contains(&0) {
                return Err(say(Message::FieldNul, &[("field", &(index + 1))]));
            }
        }
    }
    Ok(())
}

/// A plain form post: run the action as a script call, keep its outcome and the user's input
/// in a flash, and send the browser back to the form's page with `303 See Other`.
/// Who hears of what an action revalidated: the other instances and this one's open pages.
#[derive(Clone, Copy)]
struct Told<'a> {
    bus: Option<&'a dyn InvalidationBus>,
    live: Option<&'a LiveHub>,
}

async fn post_redirect_get(
    limit: u64,
    settings: &FlashSettings,
    too_large: &ActionError,
    quota: Option<Quota>,
    told: Told<'_>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let action = parts.uri.path().to_owned();
    let back = referer_path(&parts.headers);
    let bytes = match read_body(body, limit).await {
        Ok(bytes) => bytes,
        Err(refusal) => {
            let error = refusal.into_error(too_large);
            return flash_redirect(settings, &action, Err(&error), BTreeMap::new(), back).await;
        }
    };
    let form = posted_form(&parts.headers, &bytes).await;
    let PostedForm {
        return_to,
        once,
        inputs,
        item,
        ..
    } = form;

    // The same rendered form, posted again: the first post's outcome, not a second run.
    let once = match once {
        Some(token) => match claim(settings, &token).await {
            Claim::First => Some(token),
            Claim::Repeat => return replay(settings, &token, &action, return_to.or(back)).await,
            // The database is down: the action would find it down too. Nothing runs, and the
            // form gets its input back with the reason.
            Claim::Unavailable(error) => {
                return flash_redirect(settings, &action, Err(&error), inputs, return_to.or(back))
                    .await;
            }
        },
        None => None,
    };

    // Over the rate limit: the refusal is this submission's outcome (a repeat replays it),
    // shown in the form with the user's input kept.
    if let Some(Err(error)) = spend(quota.as_ref()).await {
        let target = return_to.or(back);
        let flash = Flash {
            action,
            ok: false,
            body: String::from_utf8_lossy(&error.ser()).into_owned(),
            inputs,
        };
        if let Some(token) = once {
            remember(settings, &token, &flash, target.as_ref()).await;
        }
        return store_and_redirect(settings, &flash, target, Keep::Store).await;
    }

    // Ask for data, not a redirect: the pipeline does the redirecting.
    parts
        .headers
        .insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    let mut response = respond_to_script(
        next.run(Request::from_parts(parts, Body::from(bytes)))
            .await,
    )
    .await;
    announce(told.bus, told.live, response.headers_mut()).await;
    let redirect = response
        .headers()
        .contains_key(server_fn::redirect::REDIRECT_HEADER)
        .then(|| response.headers().get(header::LOCATION))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(LocalPath::parse);
    let ok = response.status().is_success();
    let database_down = response.status() == StatusCode::SERVICE_UNAVAILABLE;
    // Cookies the action set (a new session, a preference) go out with the redirect.
    let cookies: Vec<HeaderValue> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .cloned()
        .collect();
    let body = match axum::body::to_bytes(response.into_body(), 1024 * 1024).await {
        Ok(body) => String::from_utf8_lossy(&body).into_owned(),
        Err(error) => {
            let error = ActionError::internal(format!("unreadable action response: {error}"));
            String::from_utf8_lossy(&error.ser()).into_owned()
        }
    };
    let target = redirect.or(return_to).or(back);
    // A success clears the form, so its input is not kept: only the one that tells the form
    // apart from its siblings, so the success finds its way back to it.
    let inputs = if ok {
        inputs
            .into_iter()
            .filter(|(name, _)| item.as_deref() == Some(name.as_str()))
            .collect()
    } else {
        inputs
    };
    let flash = Flash {
        action,
        ok,
        body,
        inputs,
    };
    // An action the database failed under (503) changed nothing, and the database would keep
    // this answer waiting: the outcome is not recorded, and the flash rides in its cookie.
    let keep_in = if database_down {
        Keep::Cookie
    } else {
        if let Some(token) = once {
            remember(settings, &token, &flash, target.as_ref()).await;
        }
        Keep::Store
    };
    let mut redirect = store_and_redirect(settings, &flash, target, keep_in).await;
    for cookie in cookies {
        redirect.headers_mut().append(header::SET_COOKIE, cookie);
    }
    redirect
}

enum Claim {
    /// The first post of this form: run it.
    First,
    /// The form was posted before.
    Repeat,
    /// The store could not be written: its database is down.
    Unavailable(ActionError),
}

async fn claim(settings: &FlashSettings, token: &str) -> Claim {
    let now = unix_now();
    let until = now + SUBMISSION_MEMORY.as_secs() as i64;
    match settings.store.claim_submission(token, now, until).await {
        Ok(true) => Claim::First,
        Ok(false) => Claim::Repeat,
        Err(error) => Claim::Unavailable(ActionError::unavailable(format!(
            "could not claim a submission token: {error}"
        ))),
    }
}

/// How a first submission ended, kept under its token for repeats.
#[derive(serde::Serialize, serde::Deserialize)]
struct Remembered {
    flash: Flash,
    target: Option<String>,
}

async fn remember(
    settings: &FlashSettings,
    token: &str,
    flash: &Flash,
    target: Option<&LocalPath>,
) {
    let remembered = Remembered {
        flash: flash.clone(),
        target: target.map(ToString::to_string),
    };
    let stored = match serde_json::to_string(&remembered) {
        Ok(outcome) => settings.store.finish_submission(token, &outcome).await,
        Err(error) => Err(error.to_string()),
    };
    if let Err(error) = stored {
        tracing::error!(%error, "could not record a submission's outcome; repeats will wait in vain");
    }
}

/// A repeated post: wait for the first one to finish, then send the browser where the first
/// one went, with its outcome. The action does not run again.
async fn replay(
    settings: &FlashSettings,
    token: &str,
    action: &str,
    back: Option<LocalPath>,
) -> Response {
    tracing::info!(
        action,
        "repeated form submission: replaying the first outcome"
    );
    let deadline = tokio::time::Instant::now() + REPEAT_WAIT;
    loop {
        match settings.store.submission_outcome(token).await {
            Ok(Some(outcome)) => match serde_json::from_str::<Remembered>(&outcome) {
                Ok(remembered) => {
                    let target = remembered.target.as_deref().and_then(LocalPath::parse);
                    let flash = &remembered.flash;
                    return store_and_redirect(settings, flash, target.or(back), Keep::Store).await;
                }
                Err(error) => {
                    tracing::error!(%error, "unreadable remembered submission");
                    break;
                }
            },
            Ok(None) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(None) => break,
            Err(error) => {
                tracing::error!(%error, "could not read a remembered submission");
                break;
            }
        }
    }
    let error = ActionError::Conflict {
        message: "This form was already sent and is still being handled. Reload the page in a \
                  moment to see the result."
            .into(),
    };
    flash_redirect(settings, action, Err(&error), BTreeMap::new(), back).await
}

/// A flash for an outcome the pipeline decided itself (413, an unreadable body, …).
async fn flash_redirect(
    settings: &FlashSettings,
    action: &str,
    outcome: Result<&str, &ActionError>,
    inputs: BTreeMap<String, String>,
    target: Option<LocalPath>,
) -> Response {
    let (ok, body) = match outcome {
        Ok(value) => (true, value.to_owned()),
        Err(error) => (false, String::from_utf8_lossy(&error.ser()).into_owned()),
    };
    let keep_in = match outcome {
        Err(ActionError::TemporarilyUnavailable { .. }) => Keep::Cookie,
        _ => Keep::Store,
    };
    let flash = Flash {
        action: action.to_owned(),
        ok,
        body,
        inputs,
    };
    store_and_redirect(settings, &flash, target, keep_in).await
}

/// Where a flash is kept for the page after the redirect.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// In the flash store, its cookie holding only a signed id (falling back to the cookie
    /// when the store cannot be written).
    Store,
    /// Whole in its signed cookie: the store is the database, and it is known to be down.
    Cookie,
}

async fn store_and_redirect(
    settings: &FlashSettings,
    flash: &Flash,
    target: Option<LocalPath>,
    keep_in: Keep,
) -> Response {
    let location = target.map_or_else(|| "/".to_owned(), |t| t.to_string());
    let mut response = Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::empty())
        .unwrap_or_default();
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let payload = match serde_json::to_string(flash) {
        Ok(payload) => payload,
        Err(error) => {
            tracing::error!(%error, "could not encode a flash; its outcome is lost");
            return response;
        }
    };
    let expires_at = unix_now() + FLASH_TTL.as_secs() as i64;
    let stored = match keep_in {
        Keep::Store => settings.store.put_flash(&id, &payload, expires_at).await,
        Keep::Cookie => Err("the database is unavailable".to_owned()),
    };
    let value = match stored {
        Ok(()) => settings.key.sign(&id),
        // The flash store is the database: when it cannot be written, the flash travels whole
        // in its (signed) cookie, and the page after the redirect needs no database for it.
        Err(error) => {
            tracing::warn!(%error, "could not store a flash; sending it in its cookie");
            sealed(settings, flash)
        }
    };
    if let Some(cookie) = flash_cookie(settings, &value, FLASH_TTL.as_secs()) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The longest flash cookie value: browsers keep cookies up to 4,096 bytes with their name and
/// attributes, and proxies limit the whole `Cookie` header (nginx: 8 KB by default).
const SEALED_MAX: usize = 3_600;

/// `flash` sealed into a cookie value of at most [`SEALED_MAX`] bytes: when its input is too
/// long for that, the longest fields are left out (the message always stays).
fn sealed(settings: &FlashSettings, flash: &Flash) -> String {
    let mut flash = flash.clone();
    loop {
        let payload = serde_json::to_string(&flash).unwrap_or_default();
        let value = settings.key.seal(&payload);
        if value.len() <= SEALED_MAX {
            return value;
        }
        let longest = flash
            .inputs
            .iter()
            .max_by_key(|(_, value)| value.len())
            .map(|(name, _)| name.clone());
        match longest {
            Some(name) => {
                tracing::warn!(field = %name, "a field too long for the flash cookie is not kept");
                flash.inputs.remove(&name);
            }
            None => return value,
        }
    }
}

/// What a request is answered when the database cannot say who is asking (see
/// [`Sessions::resolve`]): a plain form post comes back to its form with its input and the
/// reason (carried in the flash cookie, since the flash store is that database); a script
/// gets the 503 as data; a page view gets a short 503 page. Nothing runs.
async fn unavailable(pipeline: &Pipeline, error: &ActionError, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let document = is_document_request(request.headers());
    let action =
        pipeline.serves_actions_at(&path) && registered_actions().contains_key(path.as_str());
    match (
        &pipeline.flash,
        action && document && request.method() == Method::POST,
    ) {
        (Some(settings), true) => {
            let limit = crate::registry::declaration(&path)
                .and_then(|declaration| declaration.body_limit)
                .unwrap_or(pipeline.max_body_bytes);
            let back = referer_path(request.headers());
            let (parts, body) = request.into_parts();
            let form = match read_body(body, limit).await {
                Ok(bytes) => posted_form(&parts.headers, &bytes).await,
                Err(_) => PostedForm::default(),
            };
            flash_redirect(
                settings,
                &path,
                Err(error),
                form.inputs,
                form.return_to.or(back),
            )
            .await
        }
        _ if document && !action => {
            let mut response = (
                error.status(),
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                unavailable_page(),
            )
                .into_response();
            if let Some(seconds) = error.retry_after() {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            no_store(response)
        }
        _ => error_response(error, document),
    }
}

/// The page a page view gets while the database cannot say who is asking (503), in the
/// catalog's words ([`Message::UnavailableTitle`], [`Message::UnavailablePage`]).
pub fn unavailable_page() -> String {
    let title = crate::meta::escape_text(&text(Message::UnavailableTitle));
    let body = crate::meta::escape_text(&text(Message::UnavailablePage));
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>{title}</title></head>\
         <body><main><h1>{title}</h1><p>{body}</p></main></body></html>\n"
    )
}

/// The `Set-Cookie` value for the flash cookie (`max_age` 0 clears it).
fn flash_cookie(settings: &FlashSettings, value: &str, max_age: u64) -> Option<HeaderValue> {
    let secure = if settings.secure_cookie {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{FLASH_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .ok()
}

/// A page view that brings a flash cookie: take the flash (once) and hand it to the page.
async fn receive_flash(settings: &FlashSettings, mut request: Request, next: Next) -> Response {
    let Some(cookie) = cookie_value(request.headers(), FLASH_COOKIE) else {
        return next.run(request).await;
    };
    // Only the user's own view of a page takes its flash: not a script's call, and not a
    // region refresh (which may race the navigation the flash is meant for).
    if request.method() != Method::GET
        || !is_document_request(request.headers())
        || request
            .headers()
            .contains_key(crate::region::REFRESH_HEADER)
    {
        return next.run(request).await;
    }
    if let Some(payload) = settings.key.open(&cookie) {
        match serde_json::from_str::<Flash>(&payload) {
            Ok(flash) => {
                request
                    .extensions_mut()
                    .insert(ReceivedFlash(Arc::new(flash)));
            }
            Err(error) => tracing::error!(%error, "ignored an unreadable flash"),
        }
    } else {
        receive_stored_flash(settings, &cookie, &mut request).await;
    }
    let mut response = next.run(request).await;
    if let Some(clear) = flash_cookie(settings, "", 0) {
        response.headers_mut().append(header::SET_COOKIE, clear);
    }
    response
}

/// A flash kept in the store, named by the (signed) id in its cookie.
async fn receive_stored_flash(settings: &FlashSettings, cookie: &str, request: &mut Request) {
    match settings.key.verify(cookie) {
        Some(id) => match settings.store.take_flash(id, unix_now()).await {
            Ok(Some(payload)) => match serde_json::from_str::<Flash>(&payload) {
                Ok(flash) => {
                    request
                        .extensions_mut()
                        .insert(ReceivedFlash(Arc::new(flash)));
                }
                Err(error) => tracing::error!(%error, "ignored an unreadable flash"),
            },
            Ok(None) => tracing::debug!("flash already used or expired"),
            Err(error) => tracing::error!(%error, "could not read a flash"),
        },
        None => tracing::warn!("ignored a flash cookie with a bad signature"),
    }
}

/// What the pipeline reads from a plain form post besides the action's own arguments.
#[derive(Default)]
struct PostedForm {
    /// Where to send the browser back to (same-origin only).
    return_to: Option<LocalPath>,
    /// The rendered form's one-time submission id.
    once: Option<String>,
    /// The same token as sent, with its signature (for [`with_form_token`]).
    signed_once: Option<String>,
    /// The inputs to keep for the form, secrets left out.
    inputs: BTreeMap<String, String>,
    /// The name of the input that tells this form apart from others to the same action.
    item: Option<String>,
}

/// What a plain form post sent besides the action's arguments, from a urlencoded body or
/// from the text fields of a multipart one (files are never kept).
async fn posted_form(headers: &HeaderMap, body: &axum::body::Bytes) -> PostedForm {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return read_form(body);
    }
    match multer::parse_boundary(content_type) {
        Ok(boundary) if content_type.starts_with("multipart/form-data") => {
            let fields = crate::upload::text_fields(body.clone(), &boundary).await;
            read_fields(fields.into_iter().map(|(n, v)| (n.into(), v.into())))
        }
        _ => PostedForm::default(),
    }
}

/// The return path, the submission token and the inputs to keep from a urlencoded form body.
/// Secret fields (those the form lists, and anything named like a password) are dropped.
fn read_form(body: &[u8]) -> PostedForm {
    read_fields(form_urlencoded::parse(body))
}

fn read_fields<'a>(
    fields: impl Iterator<Item = (std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
) -> PostedForm {
    let mut form = PostedForm::default();
    let mut secrets: Vec<String> = Vec::new();
    for (name, value) in fields {
        match name.as_ref() {
            RETURN_FIELD => form.return_to = LocalPath::parse(&value),
            SECRET_FIELD => secrets.extend(value.split(',').map(|s| s.trim().to_owned())),
            ITEM_FIELD => form.item = Some(value.into_owned()),
            // Tokens are the server's own (32 hex digits, then perhaps `.signature`);
            // anything else is ignored.
            ONCE_FIELD => {
                let id = value.split('.').next().unwrap_or_default();
                if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                    form.once = Some(id.to_owned());
                    form.signed_once = Some(value.into_owned());
                }
            }
            name if name.starts_with("__fw") => {}
            _ => {
                form.inputs
                    .entry(name.into_owned())
                    .or_insert_with(|| value.into_owned());
            }
        }
    }
    form.inputs.retain(|name, _| {
        !secrets.iter().any(|s| s == name) && !name.to_ascii_lowercase().contains("password")
    });
    form
}

/// The path (and query) of the Referer: never its host, so it cannot redirect elsewhere.
fn referer_path(headers: &HeaderMap) -> Option<LocalPath> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let after_scheme = referer.split_once("://").map_or(referer, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    LocalPath::parse(path)
}

pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A plain form post always ends in `303 See Other`: server_fn answers `302`, which
/// browsers may replay as a POST.
fn respond_to_document(mut response: Response) -> Response {
    if response.status() == StatusCode::FOUND {
        *response.status_mut() = StatusCode::SEE_OTHER;
    }
    // server_fn strips its own query parameters from the Referer and may leave a bare `?`.
    let trimmed = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.ends_with('?'))
        .and_then(|v| HeaderValue::from_str(v.trim_end_matches('?')).ok());
    if let Some(location) = trimmed {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// A script caller gets the status its error stands for, instead of server_fn's blanket 500.
async fn respond_to_script(response: Response) -> Response {
    if !response.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(bytes) => bytes,
        Err(error) => {
            let error = ActionError::internal(format!("unreadable error body: {error}"));
            return error_response(&error, false);
        }
    };
    let error = ActionError::de(bytes.clone());
    parts.status = error.status();
    if let Some(seconds) = error.retry_after() {
        parts
            .headers
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// An error the pipeline answers itself, before the action runs.
pub fn error_response(error: &ActionError, document: bool) -> Response {
    let mut response = if document {
        (error.status(), error.to_string()).into_response()
    } else {
        let mut response = (error.status(), error.ser()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    };
    if let Some(seconds) = error.retry_after() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    no_store(response)
}

/// Action responses are never cached by browsers or proxies.
fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

mod limit {
    //! A request body that stops at a byte limit and remembers that it did.

    use axum::body::{Body, Bytes};
    use http_body::{Frame, SizeHint};
    use std::{
        pin::Pin,
        sync::{
            atomic::{AtomicBool, Ordering},
            Arc,
        },
        task::{Context, Poll},
    };

    /// Set once the body went over its limit; shared with the pipeline.
    #[derive(Clone, Default)]
    pub struct Overflow(Arc<AtomicBool>);

    impl Overflow {
        pub fn tripped(&self) -> bool {
            self.0.load(Ordering::Relaxed)
        }
    }

    pub struct LimitedBody {
        inner: Body,
        remaining: u64,
        overflow: Overflow,
    }

    impl LimitedBody {
        pub fn new(inner: Body, limit: u64) -> (Self, Overflow) {
            let overflow = Overflow::default();
            let body = Self {
                inner,
                remaining: limit,
                overflow: overflow.clone(),
            };
            (body, overflow)
        }
    }

    #[derive(Debug, thiserror::Error)]
    #[error("the request body is larger than this action accepts")]
    pub struct TooLarge;

    impl http_body::Body for LimitedBody {
        type Data = Bytes;
        type Error = axum::BoxError;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            let this = &mut *self;
            let frame = match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => frame,
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error.into()))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            };
            if let Some(data) = frame.data_ref() {
                let len = data.len() as u64;
                if len > this.remaining {
                    this.overflow.0.store(true, Ordering::Relaxed);
                    return Poll::Ready(Some(Err(Box::new(TooLarge))));
                }
                this.remaining -= len;
            }
            Poll::Ready(Some(Ok(frame)))
        }

        fn is_end_stream(&self) -> bool {
            self.inner.is_end_stream()
        }

        fn size_hint(&self) -> SizeHint {
            self.inner.size_hint()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_reading_keeps_inputs_but_never_secrets() {
        let form = read_form(
            b"title=Hi&__fw_return=%2Fposts%3Fpage%3D2&password=hunter2&new_password=x\
              &token=t&__fw_secret=token&content=a+b&__fw_once=0123456789abcdef0123456789ABCDEF",
        );
        assert_eq!(
            form.return_to.map(|p| p.to_string()).as_deref(),
            Some("/posts?page=2")
        );
        assert_eq!(
            form.once.as_deref(),
            Some("0123456789abcdef0123456789ABCDEF")
        );
        assert_eq!(
            form.inputs.into_iter().collect::<Vec<_>>(),
            [
                ("content".into(), "a b".into()),
                ("title".into(), "Hi".into())
            ]
        );
    }

    #[test]
    fn a_foreign_return_path_is_dropped() {
        let form = read_form(b"__fw_return=%2F%2Fevil.example%2F&__fw_once=../../x");
        assert!(form.return_to.is_none());
        assert!(form.once.is_none(), "not a token of ours");
    }

    #[test]
    fn referer_fallback_keeps_only_the_path() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::REFERER,
            HeaderValue::from_static("https://evil.example/x?y=1"),
        );
        assert_eq!(
            referer_path(&headers).map(|p| p.to_string()).as_deref(),
            Some("/x?y=1")
        );
        headers.insert(
            header::REFERER,
            HeaderValue::from_static("https://site.example"),
        );
        assert_eq!(
            referer_path(&headers).map(|p| p.to_string()).as_deref(),
            Some("/")
        );
    }

    #[test]
    fn urlencoding_is_checked_strictly() {
        assert!(check_urlencoded(b"title=Hello+world%21&content=%C3%A9t%C3%A9").is_ok());
        assert!(check_urlencoded(b"").is_ok());
        assert!(check_urlencoded(b"a&b=&=c").is_ok());
        for bad in [
            &b"title=%ZZ"[..],
            b"title=%4",
            b"title=%",
            b"title=%FF%FE",
            b"%C3=x",
        ] {
            assert!(
                check_urlencoded(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let message = check_urlencoded(b"a=1&b=%G1").err().unwrap_or_default();
        assert!(message.contains("field 2"), "{message}");
    }

    #[test]
    fn a_rate_limit_says_when_to_retry_with_and_without_javascript() {
        for document in [false, true] {
            let response = error_response(
                &ActionError::RateLimited {
                    retry_after_secs: 30,
                },
                document,
            );
            assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
            assert_eq!(
                response
                    .headers()
                    .get(header::RETRY_AFTER)
                    .map(|v| v.as_bytes()),
                Some(&b"30"[..])
            );
            assert_eq!(
                response
                    .headers()
                    .get(header::CACHE_CONTROL)
                    .map(|v| v.as_bytes()),
                Some(&b"no-store"[..])
            );
        }
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; fw_flash_x=2; fw_flash=3"),
        );
        assert_eq!(cookie_value(&headers, FLASH_COOKIE).as_deref(), Some("3"));
    }
}
