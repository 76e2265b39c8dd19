//! Clients that are slow on purpose, against the real server loop (`formwork::serve`) on a
//! loopback port: hundreds of connections that never finish their headers, bodies that stop
//! and bodies that trickle. Each is closed at its bound, and normal requests are served
//! meanwhile.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use app::feedback::send_feedback::SendFeedback;
use common::TestDb;
use server_fn::ServerFn;
use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

const HALF_HEADERS: usize = 300;
const STALLED_BODIES: usize = 20;
const TRICKLED_BODIES: usize = 10;

/// The bounds in this test: short, so that it runs in seconds.
const HEADER_READ: Duration = Duration::from_millis(1_000);
const BODY_IDLE: Duration = Duration::from_millis(1_000);
const REQUEST_TIMEOUT_MS: &str = "3000";
/// How long the test waits for a connection to be closed before calling it held: far beyond
/// every bound, so only a connection that is never closed fails.
const HELD: Duration = Duration::from_secs(30);

/// Waits until the server closes `stream`; returns what it sent first and when it closed.
async fn until_closed(mut stream: TcpStream, since: Instant) -> (String, Duration) {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let closed = tokio::time::timeout(HELD, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "a connection was still open after {HELD:?}");
    let first_line = String::from_utf8_lossy(&received)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    (first_line, since.elapsed())
}

/// A whole normal request on a new connection: its status line.
async fn normal_request(addr: SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tokio::time::timeout(HELD, stream.read_to_string(&mut answer))
        .await
        .expect("a normal request is answered")
        .unwrap();
    answer.lines().next().unwrap_or_default().to_owned()
}

fn stalled_post(addr: SocketAddr, length: usize) -> String {
    format!(
        "POST {} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nSec-Fetch-Site: same-origin\r\n\
         Content-Length: {length}\r\n\r\nmessage=",
        SendFeedback::PATH
    )
}

fn summary(name: &str, closed: &mut [Duration]) -> String {
    closed.sort();
    format!(
        "{name}: {} closed, after {} ms (first), {} ms (median), {} ms (last)",
        closed.len(),
        closed[0].as_millis(),
        closed[closed.len() / 2].as_millis(),
        closed[closed.len() - 1].as_millis()
    )
}

#[tokio::test]
async fn slow_clients_are_closed_at_their_bounds_while_others_are_served() {
    let db = TestDb::sqlite().await;
    let router = common::router_with(
        db.stores().await,
        Arc::new(formwork::rate_limit::Unlimited),
        &["--request-timeout-ms", REQUEST_TIMEOUT_MS],
    )
    .await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(formwork::serve::serve(
        listener,
        router,
        formwork::serve::Timeouts {
            header_read: HEADER_READ,
            body_idle: BODY_IDLE,
        },
        async move {
            let _ = stopped.await;
        },
    ));

    // Half a request each: the request line and one header, then nothing.
    let started = Instant::now();
    let mut half = Vec::new();
    for _ in 0..HALF_HEADERS {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /posts HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .await
            .unwrap();
        half.push(tokio::spawn(until_closed(stream, started)));
    }
    // A body that promises 1,000 bytes, sends a few, and stops.
    let mut stalled = Vec::new();
    for _ in 0..STALLED_BODIES {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(stalled_post(addr, 1_000).as_bytes())
            .await
            .unwrap();
        stalled.push(tokio::spawn(until_closed(stream, Instant::now())));
    }
    // A body that keeps coming, one byte every 200 ms: never idle, but never done.
    let mut trickled = Vec::new();
    for _ in 0..TRICKLED_BODIES {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut reading, mut writing) = stream.into_split();
        let since = Instant::now();
        writing
            .write_all(stalled_post(addr, 10_000).as_bytes())
            .await
            .unwrap();
        let dripping = tokio::spawn(async move {
            while writing.write_all(b"a").await.is_ok() {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        trickled.push(tokio::spawn(async move {
            let mut received = Vec::new();
            let closed = tokio::time::timeout(HELD, reading.read_to_end(&mut received)).await;
            dripping.abort();
            assert!(
                closed.is_ok(),
                "a trickling connection was still open after {HELD:?}"
            );
            let first = String::from_utf8_lossy(&received)
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned();
            (first, since.elapsed())
        }));
    }

    // Meanwhile the site answers everyone else.
    for _ in 0..20 {
        assert_eq!(normal_request(addr).await, "HTTP/1.1 200 OK");
    }

    let mut report = Vec::new();
    for (name, tasks, status) in [
        ("half-sent headers", half, None),
        (
            "stalled bodies",
            stalled,
            Some("HTTP/1.1 408 Request Timeout"),
        ),
        (
            "trickled bodies",
            trickled,
            Some("HTTP/1.1 408 Request Timeout"),
        ),
    ] {
        let mut closed = Vec::new();
        for task in tasks {
            let (first, after) = task.await.unwrap();
            if let Some(status) = status {
                assert_eq!(first, status, "{name}");
            }
            closed.push(after);
        }
        report.push(summary(name, &mut closed));
    }
    // And after them, too.
    assert_eq!(normal_request(addr).await, "HTTP/1.1 200 OK");
    println!(
        "slow clients (header read {} ms, body idle {} ms, request {REQUEST_TIMEOUT_MS} ms):\n{}",
        HEADER_READ.as_millis(),
        BODY_IDLE.as_millis(),
        report.join("\n")
    );

    let _ = stop.send(());
    tokio::time::timeout(HELD, server)
        .await
        .expect("the server stops once its connections are gone")
        .unwrap();
    db.drop_database().await;
}
