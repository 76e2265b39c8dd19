//! Serving the app over HTTP/1.1, with bounds on clients that are slow on purpose.
//!
//! `axum::serve` sets no timer on hyper's connections, so a client that sends half a
//! request and then nothing holds its connection (and a file descriptor) forever: two
//! thousand of them from one machine stay open indefinitely. [`serve`] runs the same
//! router with three bounds, each answered the way HTTP says:
//!
//! | a client that… | bound | what happens |
//! |---|---|---|
//! | has not finished its request line and headers | [`Timeouts::header_read`] | the connection is closed (hyper's header-read timeout) |
//! | stops sending its body, for longer than | [`Timeouts::body_idle`] | `408 Request Timeout`, `Connection: close` |
//! | is still sending when the whole request has taken | the app's own request timeout (a `TimeoutLayer`) | 408 |
//!
//! The body's bound counts only time spent waiting on the client: it starts when the app
//! asks for the next part of the body and nothing has arrived, and restarts with every part.
//! An app that reads the body late (after a rate limit, say) is not held against the client.
//!
//! Every request carries `ConnectInfo<SocketAddr>`, as with
//! `into_make_service_with_connect_info`, so [`crate::client_ip`] sees the peer.

use axum::{
    body::Body,
    extract::{ConnectInfo, Request},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Router,
};
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::{
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    task::{Context, Poll},
    time::Duration,
};
use tokio::{net::TcpListener, time::Sleep};
use tower::ServiceExt;

/// How long the server waits on a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// From the first byte of a request (or from a kept-alive connection's readiness for the
    /// next) to the end of its headers.
    pub header_read: Duration,
    /// The longest pause in a request body.
    pub body_idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(10),
            body_idle: Duration::from_secs(10),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves; then stops accepting, lets the
/// requests in flight finish and returns once every connection is closed (bound that wait
/// from outside if it must end).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    timeouts: Timeouts,
    shutdown: impl Future<Output = ()> + Send,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, say: the connections we hold are still served,
                    // and accepting resumes when some close.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
            handle(router.clone(), timeouts.body_idle, peer, request)
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(timeouts.header_read)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                // A client that went away or was too slow: routine, not an error of ours.
                tracing::debug!(%error, %peer, "connection closed");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

async fn handle(
    router: Router,
    body_idle: Duration,
    peer: SocketAddr,
    request: Request<hyper::body::Incoming>,
) -> Result<Response, std::convert::Infallible> {
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(ConnectInfo(peer));
    let timed_out = Arc::new(AtomicBool::new(false));
    let body = IdleBody {
        inner: body,
        idle: body_idle,
        sleep: None,
        timed_out: timed_out.clone(),
    };
    let response = router
        .oneshot(Request::from_parts(parts, Body::new(body)))
        .await?;
    if timed_out.load(Ordering::Relaxed) {
        tracing::info!(%peer, "a request body stopped arriving; answered 408");
        let mut response = (
            StatusCode::REQUEST_TIMEOUT,
            crate::messages::text(crate::messages::Message::BodyStopped).into_owned(),
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return Ok(response);
    }
    Ok(response)
}

/// The request body stopped arriving (see [`Timeouts::body_idle`]).
#[derive(Debug, thiserror::Error)]
#[error("the request body stopped arriving")]
pub struct BodyTimedOut;

/// A request body that fails when the client pauses longer than `idle`.
struct IdleBody {
    inner: hyper::body::Incoming,
    idle: Duration,
    /// Armed when the app waits for the next part and none has come; cleared by each part.
    sleep: Option<Pin<Box<Sleep>>>,
    timed_out: Arc<AtomicBool>,
}

impl HttpBody for IdleBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.sleep = None;
                Poll::Ready(frame.map(|frame| frame.map_err(Into::into)))
            }
            Poll::Pending => {
                let idle = this.idle;
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        this.timed_out.store(true, Ordering::Relaxed);
                        Poll::Ready(Some(Err(BodyTimedOut.into())))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Ctrl-C, or SIGTERM on Unix (what a process manager or a container runtime sends).
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("Ctrl-C: shutting down"),
        () = terminate => tracing::info!("SIGTERM: shutting down"),
    }
}
