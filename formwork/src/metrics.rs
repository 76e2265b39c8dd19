//! The operator's HTTP figures: every request counted and timed, by route pattern, method and
//! status, through the `metrics` crate, rendered in the Prometheus text format with formwork's
//! own figures by [`Formwork::metrics`](crate::Formwork::metrics).
//!
//! - `http_requests_total{method, route, status}`: a counter;
//! - `http_request_duration_seconds{method, route, status}`: a histogram of the time until the
//!   response's head (a streamed page's body may still be on its way).
//!
//! `route` is the route's pattern (`/posts/{id}`), an action's path for actions, `/pkg/…` for
//! the site's files and `unmatched` for what no route matched: the label's values stay as few
//! as the site's routes, whatever paths clients ask for.
//!
//! formwork installs its recorder as the process's `metrics` recorder when the first app is
//! built. An app that installed a recorder of its own first keeps it, and its exporter then has
//! these figures instead. The figures are the process's: an app is one per process.

use axum::{
    extract::{MatchedPath, Request},
    middleware::Next,
    response::Response,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::{sync::OnceLock, time::Instant};

const REQUESTS: &str = "http_requests_total";
const DURATION: &str = "http_request_duration_seconds";
/// From half a millisecond (a page from the cache) to ten seconds (a slow upload).
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// formwork's recorder, installed the first time; `None` when the process has another.
pub(crate) fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(DURATION.to_owned()), BUCKETS)
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => {
                    metrics::describe_counter!(REQUESTS, "HTTP requests answered.");
                    metrics::describe_histogram!(
                        DURATION,
                        metrics::Unit::Seconds,
                        "Time from a request until its response's head."
                    );
                    Some(handle)
                }
                Err(error) => {
                    tracing::info!(%error, "the process has a metrics recorder already: formwork's HTTP figures go to it");
                    None
                }
            }
        })
        .as_ref()
}

/// The figures' text, for [`Formwork::metrics`](crate::Formwork::metrics).
pub(crate) fn render() -> String {
    handle().map(PrometheusHandle::render).unwrap_or_default()
}

/// The middleware that counts and times each request (inside the routes: it reads the
/// matched route's pattern).
pub(crate) async fn record(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = route_of(&request);
    let response = next.run(request).await;
    let labels = [
        ("method", method),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!(REQUESTS, &labels).increment(1);
    metrics::histogram!(DURATION, &labels).record(start.elapsed().as_secs_f64());
    response
}

/// The request's route for the `route` label: never a path a client made up.
fn route_of(request: &Request) -> String {
    let path = request.uri().path();
    match request
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str)
    {
        // One route serves every action: each is its own route here.
        Some(_) if crate::registry::declaration(path).is_some() => path.to_owned(),
        Some(pattern) => match pattern.split_once("/{*") {
            // A nested service or a catch-all: its prefix.
            Some((prefix, _)) => format!("{prefix}/…"),
            None => pattern.to_owned(),
        },
        None => "unmatched".to_owned(),
    }
}
