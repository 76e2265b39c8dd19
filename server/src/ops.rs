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

/// `GET /metrics`: formwork's figures in the Prometheus text format. For the operator's
/// scraper: keep it off the public load balancer.
pub async fn metrics(State(formwork): State<Formwork>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        formwork.metrics().await,
    )
        .into_response()
}
