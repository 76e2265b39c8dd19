//! Invalidations between instances through Redis pub/sub, for deployments that have Redis
//! (`REDIS_URL`) whatever their database: every instance publishes what it revalidated on one
//! channel and applies what the others publish.

use super::{Invalidation, InvalidationBus, Receiver};
use futures::StreamExt;
use redis::aio::ConnectionManager;
use std::time::Duration;

/// The channel every instance publishes on and listens to.
pub const CHANNEL: &str = "formwork:invalidation";

/// The bus on a Redis server every instance shares, through pub/sub on [`CHANNEL`].
pub struct RedisInvalidations {
    client: redis::Client,
    connection: ConnectionManager,
    instance: String,
}

impl RedisInvalidations {
    /// Connects to `url` (`redis://host:port/db`) and checks that Redis answers.
    pub async fn connect(url: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let mut connection = ConnectionManager::new(client.clone()).await?;
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await?;
        Ok(Self {
            client,
            connection,
            instance: uuid::Uuid::new_v4().simple().to_string(),
        })
    }
}

#[async_trait::async_trait]
impl InvalidationBus for RedisInvalidations {
    fn instance(&self) -> &str {
        &self.instance
    }

    async fn publish(&self, invalidation: &Invalidation) -> Result<(), String> {
        let payload = serde_json::to_string(invalidation).map_err(|e| e.to_string())?;
        let mut connection = self.connection.clone();
        redis::cmd("PUBLISH")
            .arg(CHANNEL)
            .arg(payload)
            .query_async::<i64>(&mut connection)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }

    fn subscribe(&self, receiver: Receiver) {
        let (client, me) = (self.client.clone(), self.instance.clone());
        tokio::spawn(async move {
            loop {
                match listen(&client, &me, &receiver).await {
                    Ok(()) => tracing::warn!("invalidation subscription ended; resubscribing"),
                    Err(error) => {
                        tracing::error!(%error, "invalidation subscription failed; retrying in 1 s");
                    }
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}

/// Listens until the connection drops. Whatever was published while no subscription was up
/// went unheard, so each (re)subscription starts by purging everything.
async fn listen(client: &redis::Client, me: &str, receiver: &Receiver) -> redis::RedisResult<()> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(CHANNEL).await?;
    receiver.missed_some();
    tracing::info!(instance = me, "listening for invalidations on Redis");
    let mut messages = pubsub.into_on_message();
    while let Some(message) = messages.next().await {
        let payload: String = match message.get_payload() {
            Ok(payload) => payload,
            Err(error) => {
                tracing::warn!(%error, "ignored an unreadable invalidation");
                continue;
            }
        };
        match serde_json::from_str::<Invalidation>(&payload) {
            Ok(invalidation) if invalidation.from == me => {}
            Ok(invalidation) => {
                let removed = receiver.receive(&invalidation);
                tracing::debug!(from = %invalidation.from, items = ?invalidation.items, removed, "applied an invalidation");
            }
            Err(error) => tracing::warn!(%error, "ignored an unreadable invalidation"),
        }
    }
    Ok(())
}
