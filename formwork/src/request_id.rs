//! Every request's id: made by the server (32 hex digits), put on the request's `tracing` span
//! (`request_id`), answered in the `x-request-id` header, and used as the correlation id of a
//! redacted 500. The reference a person reads off an error page is the id an operator
//! searches the logs for, and it finds every line of that request.
//!
//! An id a client sends is not taken: the server's own id is the one that must be unique
//! and trusted. (A proxy's id can be logged by the proxy next to the id this server answers.)

use axum::{extract::Request, middleware::Next, response::Response};
use http::HeaderValue;
use std::sync::Arc;

/// The response header that carries the request's id.
pub const HEADER: &str = "x-request-id";

/// One request's id, in the request's extensions (and so in a page render's and an
/// action's `Parts`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(Arc<str>);

impl RequestId {
    fn new() -> Self {
        Self(crate::random_id().into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

tokio::task_local! {
    static CURRENT: RequestId;
}

/// The id of the request being served: from the task serving it, or, in work a render
/// spawned onto another task, from the render's `Parts`. `None` outside any request.
pub fn current() -> Option<RequestId> {
    CURRENT
        .try_with(RequestId::clone)
        .ok()
        .or_else(|| crate::request::with(|parts| parts.extensions.get::<RequestId>().cloned())?)
}

/// The middleware (outermost): gives the request its id, serves it with the id current, and
/// answers the id in [`HEADER`].
pub(crate) async fn assign(mut request: Request, next: Next) -> Response {
    let id = RequestId::new();
    request.extensions_mut().insert(id.clone());
    let mut response = CURRENT.scope(id.clone(), next.run(request)).await;
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

/// The request's span: method, path and version, and its id.
pub(crate) fn span<B>(request: &http::Request<B>) -> tracing::Span {
    let id = request
        .extensions()
        .get::<RequestId>()
        .map_or_else(String::new, ToString::to_string);
    tracing::info_span!(
        "request",
        method = %request.method(),
        uri = %request.uri(),
        version = ?request.version(),
        request_id = %id,
    )
}
