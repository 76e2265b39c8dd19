//! The forms that only collect: newsletter sign-ups, contact messages, feedback.

macro_rules! form_queries {
    ($store:ident, $backend:ident) => {
        mod forms {
            use super::$store;
            use crate::store::{backend_error, now};
            use app::{
                contact::send_message::ContactMessage,
                feedback::send_feedback::Feedback,
                store::{Bounce, ContactStore, FeedbackStore, NewsletterStore, StoreError},
            };

            #[async_trait::async_trait]
            impl NewsletterStore for $store {
                async fn subscribe(
                    &self,
                    email: &str,
                    welcome: &formwork::jobs::NewJob,
                ) -> Result<bool, StoreError> {
                    let mut tx = self.pool.begin().await.map_err(backend_error)?;
                    let added = sqlx::query(
                        "INSERT INTO newsletter_subscribers (email, created_at) VALUES ($1, $2) \
                         ON CONFLICT (email) DO NOTHING",
                    )
                    .bind(email)
                    .bind(now())
                    .execute(&mut *tx)
                    .await
                    .map_err(backend_error)?
                    .rows_affected()
                        == 1;
                    if added {
                        formwork::store::$backend::enqueue_with(
                            &mut *tx,
                            welcome,
                            formwork::jobs::now_ms(),
                        )
                        .await
                        .map_err(|e| StoreError::Backend(e.into()))?;
                    }
                    tx.commit().await.map_err(backend_error)?;
                    Ok(added)
                }

                async fn bounce(
                    &self,
                    delivery: &str,
                    email: &str,
                    forget_before: time::OffsetDateTime,
                ) -> Result<Bounce, StoreError> {
                    let mut tx = self.pool.begin().await.map_err(backend_error)?;
                    sqlx::query("DELETE FROM webhook_deliveries WHERE received_at < $1")
                        .bind(forget_before)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend_error)?;
                    let first = sqlx::query(
                        "INSERT INTO webhook_deliveries (id, received_at) VALUES ($1, $2) \
                         ON CONFLICT (id) DO NOTHING",
                    )
                    .bind(delivery)
                    .bind(now())
                    .execute(&mut *tx)
                    .await
                    .map_err(backend_error)?
                    .rows_affected()
                        == 1;
                    if !first {
                        return Ok(Bounce::Replayed);
                    }
                    let removed =
                        sqlx::query("DELETE FROM newsletter_subscribers WHERE email = $1")
                            .bind(email)
                            .execute(&mut *tx)
                            .await
                            .map_err(backend_error)?
                            .rows_affected();
                    tx.commit().await.map_err(backend_error)?;
                    Ok(if removed > 0 {
                        Bounce::Unsubscribed
                    } else {
                        Bounce::NotSubscribed
                    })
                }

                async fn subscriber_count(&self) -> Result<u64, StoreError> {
                    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM newsletter_subscribers")
                        .fetch_one(&self.pool)
                        .await
                        .map(|count| u64::try_from(count).unwrap_or_default())
                        .map_err(backend_error)
                }
            }

            #[async_trait::async_trait]
            impl ContactStore for $store {
                async fn save_contact_message(
                    &self,
                    message: &ContactMessage,
                ) -> Result<i64, StoreError> {
                    sqlx::query_scalar::<_, i64>(
                        "INSERT INTO contact_messages (name, email, message, created_at) \
                         VALUES ($1, $2, $3, $4) RETURNING id",
                    )
                    .bind(&message.name)
                    .bind(&message.email)
                    .bind(&message.message)
                    .bind(now())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(backend_error)
                }
            }

            #[async_trait::async_trait]
            impl FeedbackStore for $store {
                async fn save_feedback(&self, feedback: &Feedback) -> Result<i64, StoreError> {
                    sqlx::query_scalar::<_, i64>(
                        "INSERT INTO feedback (message, created_at) VALUES ($1, $2) RETURNING id",
                    )
                    .bind(&feedback.message)
                    .bind(now())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(backend_error)
                }

                async fn feedback_count(&self) -> Result<u64, StoreError> {
                    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM feedback")
                        .fetch_one(&self.pool)
                        .await
                        .map(|count| u64::try_from(count).unwrap_or_default())
                        .map_err(backend_error)
                }
            }
        }
    };
}
pub(crate) use form_queries;
