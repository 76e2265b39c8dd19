//! A bare axum server, the floor of the site's figures on this machine:
//! - `GET /favicon.svg` answers the site's favicon from memory: the latency over one
//!   connection any tokio server has, formwork's included;
//! - `POST /insert` inserts one row (a title, a body, a time) into a SQLite database opened
//!   as formwork opens it (WAL, `synchronous = NORMAL`, eight connections not pinged before
//!   each use, a checkpoint every 10,000 pages) and answers 303:
//!   what the same database does for a bare insert, against which a form post's rate is read.
//!
//! Usage: `bench-baseline <address> [<sqlite file>]` (without a file, no `/insert`).

use axum::{
    extract::State,
    http::{header, StatusCode},
    routing::{get, post},
    Router,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::{str::FromStr, time::Duration};

const FAVICON: &str = include_str!("../../../public/favicon.svg");

async fn insert(
    State(pool): State<sqlx::SqlitePool>,
    body: String,
) -> (StatusCode, [(header::HeaderName, &'static str); 1]) {
    let done =
        sqlx::query("INSERT INTO rows (title, body, created_at) VALUES ($1, $2, unixepoch())")
            .bind("A bare insert")
            .bind(body)
            .execute(&pool)
            .await;
    match done {
        Ok(_) => (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
        ),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let address = args.next().unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let mut app = Router::new().route(
        "/favicon.svg",
        get(|| async { ([(header::CONTENT_TYPE, "image/svg+xml")], FAVICON) }),
    );
    if let Some(file) = args.next() {
        let options = SqliteConnectOptions::from_str(&format!("sqlite:{file}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .pragma("wal_autocheckpoint", "10000");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, title TEXT NOT NULL, \
             body TEXT NOT NULL, created_at INTEGER NOT NULL)",
        )
        .execute(&pool)
        .await?;
        app = app.merge(
            Router::new()
                .route("/insert", post(insert))
                .with_state(pool),
        );
    }
    let listener = tokio::net::TcpListener::bind(address).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
