//! A bare axum server: `GET /favicon.svg` answers the site's favicon from memory. Its latency
//! over one connection is what the machine allows any tokio server, formwork's included.
//! Usage: `bench-baseline <address>`.

use axum::{http::header, routing::get, Router};

const FAVICON: &str = include_str!("../../../public/favicon.svg");

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let app = Router::new().route(
        "/favicon.svg",
        get(|| async { ([(header::CONTENT_TYPE, "image/svg+xml")], FAVICON) }),
    );
    let listener = tokio::net::TcpListener::bind(address).await?;
    axum::serve(listener, app).await
}
