//! `server`: serves the Formwork reference app, or runs one of its maintenance commands.

use clap::Parser;
use server::{
    admin,
    config::{Command, Config},
    http, shutdown, store, telemetry,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    config.validate()?;
    telemetry::init(&config.log_filter, config.log_json)?;

    match config.command.clone().unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            let stores = store::connect(&config.database_url).await?;
            tracing::info!(backend = stores.app.backend(), "migrations applied");
            Ok(())
        }
        Command::CreateAdmin {
            username,
            email,
            password,
        } => {
            let stores = store::connect(&config.database_url).await?;
            let outcome = admin::create_admin(
                stores.app.as_ref(),
                &username,
                email.as_deref(),
                password.as_deref(),
            )
            .await?;
            tracing::info!(?outcome, %username, "admin ready");
            Ok(())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let stores = config
        .with_bus(store::connect(&config.database_url).await?)
        .await?;
    tracing::info!(
        backend = stores.app.backend(),
        invalidations = ?config.invalidations,
        "storage ready"
    );
    let leptos_options = http::leptos_options(&config)?;
    let limiter = config.limiter().await?;
    tracing::info!(limiter = limiter.kind(), "rate limits ready");
    // The tagged data cache every read shares; actions purge it by tag or path.
    let cache = formwork::cache::DataCache::new();
    // The pages with a live stream open hear what changed.
    let live = formwork::live::LiveHub::new();
    let router = http::router(
        &config,
        leptos_options,
        stores,
        limiter,
        cache,
        live.clone(),
    )?;

    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    tracing::info!(address = %listener.local_addr()?, "listening on http://{}", listener.local_addr()?);

    // After the signal, in-flight requests get `shutdown_grace` to finish; then we stop anyway.
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    // The socket's address is the client's, unless a trusted proxy says otherwise.
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, service).with_graceful_shutdown(async move {
        shutdown::signal().await;
        // Open streams would hold the shutdown up: end them; their pages reconnect.
        live.close();
        let _ = stopping_tx.send(());
    });
    let grace = config.shutdown_grace();
    tokio::select! {
        result = server => result?,
        () = async move {
            let _ = stopping_rx.await;
            tokio::time::sleep(grace).await;
        } => tracing::warn!(?grace, "requests still running after the grace period; stopping"),
    }
    tracing::info!("stopped");
    Ok(())
}
