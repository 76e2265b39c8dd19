//! Logging with `tracing`.

use tracing_subscriber::{fmt, prelude::*, EnvFilter};

pub fn init(filter: &str, json: bool) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(filter)
        .map_err(|e| anyhow::anyhow!("invalid log filter `{filter}`: {e}"))?;
    let registry = tracing_subscriber::registry().with(filter);
    if json {
        registry.with(fmt::layer().json()).try_init()?;
    } else {
        registry.with(fmt::layer()).try_init()?;
    }
    Ok(())
}
