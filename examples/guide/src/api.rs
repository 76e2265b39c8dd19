//! A plain JSON route beside the actions: what another program calls (see
//! `docs/guide/api-routes.md`).

// ANCHOR: handler
/// `GET /api/v1/notes`: the notes as JSON, a stable address for other programs. Actions are
/// for the site's own forms; their addresses and encodings are formwork's to choose.
pub async fn notes_json(
    axum::extract::State(db): axum::extract::State<sqlx::SqlitePool>,
) -> Result<axum::Json<Vec<crate::notes::Note>>, axum::http::StatusCode> {
    let rows: Vec<(i64, String, bool)> =
        sqlx::query_as("SELECT id, text, starred FROM notes ORDER BY id DESC")
            .fetch_all(&db)
            .await
            .map_err(|_| axum::http::StatusCode::SERVICE_UNAVAILABLE)?;
    Ok(axum::Json(
        rows.into_iter()
            .map(|(id, text, starred)| crate::notes::Note { id, text, starred })
            .collect(),
    ))
}
// ANCHOR_END: handler
