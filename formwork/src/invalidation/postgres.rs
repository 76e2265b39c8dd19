//! Invalidations between instances through PostgreSQL's `LISTEN/NOTIFY` (feature `postgres`):
//! what one instance revalidated, every other purges.

use super::{Invalidation, InvalidationBus, Receiver};
use sqlx::{postgres::PgListener, PgPool};
use std::time::Duration;

/// The bus on the database every instance shares.
pub struct PgInvalidations {
    pool: PgPool,
    instance: String,
}

/// The channel every instance listens on.
const CHANNEL: &str = "formwork_invalidation";
/// NOTIFY payloads must stay under 8,000 bytes; a longer list travels as "purge everything".
const MAX_PAYLOAD: usize = 7_900;

impl PgInvalidations {
    /// A bus on `pool`'s database, for this instance (a random id).
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            instance: uuid::Uuid::new_v4().simple().to_string(),
        }
    }
}

#[async_trait::async_trait]
impl InvalidationBus for PgInvalidations {
    fn instance(&self) -> &str {
        &self.instance
    }

    async fn publish(&self, invalidation: &Invalidation) -> Result<(), String> {
        let mut payload = serde_json::to_string(invalidation).map_err(|e| e.to_string())?;
        if payload.len() > MAX_PAYLOAD {
            payload = serde_json::to_string(&Invalidation {
                from: invalidation.from.clone(),
                id: invalidation.id.clone(),
                items: vec![crate::live::EVERYTHING.to_owned()],
            })
            .map_err(|e| e.to_string())?;
        }
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(payload)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }

    fn subscribe(&self, receiver: Receiver) {
        let (pool, me) = (self.pool.clone(), self.instance.clone());
        tokio::spawn(async move {
            while !pool.is_closed() {
                match listen(&pool, &me, &receiver).await {
                    Ok(()) => return,
                    Err(error) => {
                        tracing::error!(%error, "invalidation listener failed; retrying in 1 s");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
    }
}

/// Listens until the pool closes. Whenever the connection was (re)made, notifications may
/// have been missed meanwhile, so the whole cache is purged (and open pages refresh).
async fn listen(pool: &PgPool, me: &str, receiver: &Receiver) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    receiver.missed_some();
    tracing::info!(
        instance = me,
        "listening for invalidations from other instances"
    );
    loop {
        match listener.try_recv().await? {
            Some(notification) => {
                match serde_json::from_str::<Invalidation>(notification.payload()) {
                    Ok(invalidation) if invalidation.from == me => {}
                    Ok(invalidation) => {
                        let removed = receiver.receive(&invalidation);
                        tracing::debug!(from = %invalidation.from, items = ?invalidation.items, removed, "applied an invalidation");
                    }
                    Err(error) => tracing::warn!(%error, "ignored an unreadable invalidation"),
                }
            }
            None if pool.is_closed() => return Ok(()),
            // The connection dropped; the listener reconnects on the next receive.
            None => {
                tracing::warn!("invalidation listener lost its connection; purging the cache");
                receiver.missed_some();
            }
        }
    }
}
