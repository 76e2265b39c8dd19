//! The PostgreSQL backend: the scale-out store, shared by every instance.

use sqlx::{postgres::PgPoolOptions, PgPool};
use std::time::Duration;

pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects and applies `migrations/postgres`. The database itself must exist.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }
}

super::sql::sql_store!(PgStore, "postgres");
