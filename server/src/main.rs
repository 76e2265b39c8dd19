//! `server`: serves the Formwork reference app, or runs one of its maintenance commands.

use clap::Parser;
use server::{
    admin,
    config::{Command, Config},
    http, jobs, state, store, telemetry,
};

/// mimalloc instead of glibc's malloc: a page render allocates and frees many small values,
/// across the runtime's threads (see `bench/run.sh` for the CPU per request).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    config.validate()?;
    telemetry::init(&config.log_filter, config.log_json)?;

    match config.command.clone().unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Actions => {
            print!("{}", server::ops::actions(config.action_body_limit));
            Ok(())
        }
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
            let stores = config
                .with_bus(store::connect(&config.database_url).await?)
                .await?;
            let outcome = admin::create_admin(
                stores.app.as_ref(),
                &username,
                email.as_deref(),
                password.as_deref(),
            )
            .await?;
            if let (admin::Outcome::Promoted { user_id }, Some(bus)) =
                (&outcome, &stores.framework.bus)
            {
                // Running instances read the account's sessions afresh: the role counts now.
                formwork::identity::user_changed_elsewhere(bus.as_ref(), *user_id).await;
            }
            tracing::info!(?outcome, %username, "admin ready");
            Ok(())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let stores = config
        .with_bus(
            store::connect_with(&config.database_url, config.database_acquire_timeout()).await?,
        )
        .await?;
    tracing::info!(
        backend = stores.app.backend(),
        invalidations = ?config.invalidations,
        "storage ready"
    );
    let leptos_options = http::leptos_options(&config)?;
    let limiter = config.limiter().await?;
    tracing::info!(limiter = limiter.kind(), "rate limits ready");
    let services = state::Services {
        // The tagged data cache every read shares; actions purge it by tag or path.
        cache: formwork::cache::DataCache::new(),
        // The pages with a live stream open hear what changed.
        live: formwork::live::LiveHub::new(),
        objects: config.object_store()?,
    };
    let live = services.live.clone();
    // Background jobs run next to the requests, unless this instance leaves them to others.
    let queue = jobs::queue(&stores, &config, &services);
    let waker = queue.waker();
    let (stop_jobs, jobs_stop) = tokio::sync::oneshot::channel::<()>();
    let job_runner = (config.job_workers > 0).then(|| {
        tokio::spawn(queue.run(async move {
            let _ = jobs_stop.await;
        }))
    });
    if job_runner.is_none() {
        tracing::info!("JOB_WORKERS=0: this instance runs no background jobs");
    }
    let router = http::router(&config, leptos_options, stores, limiter, services, waker).await?;

    if let Some(address) = config.metrics_addr {
        // The operator's port: the same routes, marked as the operator's, for `/metrics`.
        let operator = tokio::net::TcpListener::bind(address).await?;
        tracing::info!(address = %operator.local_addr()?, "operator's port (GET /metrics) on http://{}", operator.local_addr()?);
        let routes = router
            .clone()
            .layer(axum::Extension(server::ops::OperatorPort));
        tokio::spawn(async move {
            let service = routes.into_make_service_with_connect_info::<std::net::SocketAddr>();
            if let Err(error) = axum::serve(operator, service).await {
                tracing::error!(%error, "the operator's port stopped");
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    tracing::info!(address = %listener.local_addr()?, "listening on http://{}", listener.local_addr()?);

    // After the signal, in-flight requests get `shutdown_grace` to finish; then we stop anyway.
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    // Slow clients are bounded (header read, body pauses); the socket's address is the
    // client's, unless a trusted proxy says otherwise.
    let server = formwork::serve::serve(listener, router, config.timeouts(), async move {
        formwork::serve::shutdown_signal().await;
        // Open streams would hold the shutdown up: end them; their pages reconnect.
        live.close();
        let _ = stopping_tx.send(());
    });
    let grace = config.shutdown_grace();
    let deadline = async move {
        let _ = stopping_rx.await;
        tokio::time::sleep(grace).await;
    };
    tokio::pin!(deadline);
    tokio::select! {
        () = server => {}
        () = &mut deadline => tracing::warn!(?grace, "requests still running after the grace period; stopping"),
    }
    // No new jobs start; the ones running may finish within what is left of the grace period.
    // One cut short is claimed again once its lease runs out, here or on another instance.
    let _ = stop_jobs.send(());
    if let Some(runner) = job_runner {
        tokio::select! {
            _ = runner => {}
            () = &mut deadline => tracing::warn!("jobs still running after the grace period; stopping"),
        }
    }
    tracing::info!("stopped");
    Ok(())
}
