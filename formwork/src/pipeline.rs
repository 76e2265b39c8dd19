//! The request pipeline every action walks, as one axum middleware.
//!
//! ```text
//! request → body limit (413) → find the action (404/405) → run it (server_fn) → respond
//! respond:  script caller → the ActionError's status (422, 429 + Retry-After, …)
//!           plain form    → 303 See Other, so a reload never re-posts
//! ```
//!
//! Later steps (origin check, access policy, rate limit, flash) slot in here, in this order.

use crate::ActionError;
use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use server_fn::{error::FromServerFnError, error::SERVER_FN_ERROR_HEADER};
use std::{collections::HashMap, sync::OnceLock};

/// Settings of the action pipeline.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The URL prefix under which actions are served (server_fn's default is `/api`).
    pub prefix: &'static str,
    /// The largest request body an action accepts, in bytes.
    pub max_body_bytes: u64,
}

impl Default for Pipeline {
    fn default() -> Self {
        Self {
            prefix: "/api/",
            max_body_bytes: 1024 * 1024,
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
    // The limit server_fn's body reader honours, for bodies that declare no length.
    let read_limit = usize::try_from(pipeline.max_body_bytes).unwrap_or(usize::MAX);
    router
        .layer(axum::extract::DefaultBodyLimit::max(read_limit))
        .layer(axum::middleware::from_fn_with_state(pipeline, run))
}

/// The pipeline as an axum middleware (see [`install`]).
pub async fn run(State(pipeline): State<Pipeline>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !path.starts_with(pipeline.prefix) {
        return next.run(request).await;
    }
    let document = is_document_request(request.headers());

    // Find the action before reading a byte of its body.
    let Some(methods) = registered_actions().get(path) else {
        return error_response(&ActionError::not_found("That action"), document);
    };
    if !methods.contains(request.method()) {
        let allow = methods
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        let mut response = (
            StatusCode::METHOD_NOT_ALLOWED,
            format!("This action accepts only {allow} requests."),
        )
            .into_response();
        if let Ok(allow) = HeaderValue::from_str(&allow) {
            response.headers_mut().insert(header::ALLOW, allow);
        }
        return no_store(response);
    }

    // Body limit: a declared length over the limit is refused before anything is read. A
    // body without a declared length is counted as it streams in: it stops at the limit,
    // the action fails to read it, and the answer is the same 413.
    let too_large = ActionError::PayloadTooLarge {
        limit_bytes: pipeline.max_body_bytes,
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > pipeline.max_body_bytes) {
        return error_response(&too_large, document);
    }
    let (parts, body) = request.into_parts();
    let (body, overflow) = limit::LimitedBody::new(body, pipeline.max_body_bytes);
    let response = next.run(Request::from_parts(parts, Body::new(body))).await;
    if overflow.tripped() {
        return error_response(&too_large, document);
    }

    no_store(if document {
        respond_to_document(response)
    } else {
        respond_to_script(response).await
    })
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
    if let ActionError::RateLimited { retry_after_secs } = error {
        parts
            .headers
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
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
    if let ActionError::RateLimited { retry_after_secs } = error {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
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
