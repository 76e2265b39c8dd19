//! The server: the SQLite database, formwork, the pages (built with `--features ssr`).
use formwork::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = get_configuration(None)?.leptos_options;
    let url = std::env::var("DATABASE_URL").unwrap_or("sqlite:hello-form.db".into());
    let db = formwork::store::sqlite::open(&url, std::time::Duration::from_secs(2)).await?;
    sqlx::migrate!().run(&db).await?;
    let formwork = formwork::Formwork::builder(&options).sqlite(db.clone()).build().await?;
    let context = move || provide_context(db.clone());
    let pages = formwork.pages(&options, hello_form::App, hello_form::shell, context);
    formwork.serve(pages.with_state(options.clone()), options.site_addr).await?;
    Ok(())
}
