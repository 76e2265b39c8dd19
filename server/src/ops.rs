//! The operator's endpoints: the health check and formwork's figures.

use app::state::AppState;
use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use formwork::Formwork;

/// The site's actions and their policies, one line each (`server actions`): the roles are
/// named as the site names them. `default_body_limit` is what actions that declare no limit
/// get (`ACTION_BODY_LIMIT`).
pub fn actions(default_body_limit: u64) -> String {
    use app::roles::Role;
    formwork::registry::manifest(default_body_limit, |rank| {
        Role::ALL
            .into_iter()
            .find(|role| role.rank() == rank)
            .map_or_else(|| format!("rank {}", rank.0), |role| role.to_string())
    })
}

/// `GET /healthz`: 200 when the database answers, 503 when it does not.
pub async fn healthz(State(app): State<AppState>) -> Response {
    let backend = app.store.backend();
    match app.store.ping().await {
        Ok(()) => Json(serde_json::json!({ "status": "ok", "backend": backend })).into_response(),
        Err(error) => {
            tracing::error!(%error, backend, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "unavailable", "backend": backend })),
            )
                .into_response()
        }
    }
}

/// Marks a request that came in on the operator's port (`METRICS_ADDR`), not the public one.
#[derive(Clone, Copy, Debug)]
pub struct OperatorPort;

/// `GET /metrics`: formwork's figures and the HTTP requests by route and status, in the
/// Prometheus text format, on the operator's port only (a 404 on the public address).
pub async fn metrics(
    State(formwork): State<Formwork>,
    port: Option<axum::Extension<OperatorPort>>,
) -> Response {
    if port.is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        formwork.metrics().await,
    )
        .into_response()
}
