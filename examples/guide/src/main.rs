//! The guide's server: SQLite, formwork, the example pages, and one plain JSON route (see
//! `docs/guide/api-routes.md`).
use formwork::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = get_configuration(None)?.leptos_options;
    let url = std::env::var("DATABASE_URL").unwrap_or("sqlite:guide.db".into());
    let db = formwork::store::sqlite::open(&url, std::time::Duration::from_secs(2)).await?;
    sqlx::migrate!().run(&db).await?;
    // ANCHOR: passthrough
    let formwork = formwork::Formwork::builder(&options)
        .sqlite(db.clone())
        .passthrough(["/api/v1/"]) // plain routes under the actions' prefix
        .build()
        .await?;
    // ANCHOR_END: passthrough
    let context = {
        let db = db.clone();
        move || provide_context(db.clone())
    };
    let pages = formwork.pages(&options, formwork_guide::App, formwork_guide::shell, context);
    // ANCHOR: route
    let api = axum::Router::new()
        .route("/api/v1/notes", axum::routing::get(formwork_guide::api::notes_json))
        .with_state(db);
    // ANCHOR_END: route
    formwork.serve(pages.with_state(options.clone()).merge(api), options.site_addr).await?;
    Ok(())
}
