//! The queries, written once for both backends: they accept the same SQL (`$N` parameters,
//! `CAST`, `RETURNING`). One file per resource, each a macro that implements that resource's
//! store trait for a backend's store type (whose `pool` field runs the queries). What differs
//! between backends (connecting, pool settings, migrations) stays in the backend's module.

pub(crate) mod accounts;
pub(crate) mod avatars;
pub(crate) mod comments;
pub(crate) mod forms;
pub(crate) mod outbox;
pub(crate) mod posts;
pub(crate) mod todos;

/// Implements every store trait of the app for `$store`; `$module` names the module of
/// formwork's store on the same backend (`formwork::store::$module`), whose `enqueue_with`
/// records a job in the transaction of the data it is about.
macro_rules! sql_store {
    ($store:ident, $backend:literal, $module:ident) => {
        crate::store::sql::accounts::account_queries!($store);
        crate::store::sql::posts::post_queries!($store, $backend);
        crate::store::sql::comments::comment_queries!($store);
        crate::store::sql::forms::form_queries!($store, $module);
        crate::store::sql::todos::todo_queries!($store);
        crate::store::sql::outbox::outbox_queries!($store);
        crate::store::sql::avatars::avatar_queries!($store, $module);

        impl $store {
            /// After a change to something with an owner matched no row: was there no such
            /// row (`Missing`), or is it someone else's (`NotYours`)? `table` is one of ours.
            async fn unchanged<T>(
                &self,
                table: &'static str,
                id: i64,
            ) -> Result<app::store::Owned<T>, app::store::StoreError> {
                let exists = sqlx::query_scalar::<_, i64>(&format!(
                    "SELECT COUNT(*) FROM {table} WHERE id = $1"
                ))
                .bind(id)
                .fetch_one(&self.pool)
                .await
                .map_err(crate::store::backend_error)?;
                Ok(if exists > 0 {
                    app::store::Owned::NotYours
                } else {
                    app::store::Owned::Missing
                })
            }
        }

        #[async_trait::async_trait]
        impl app::store::Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn ping(&self) -> Result<(), app::store::StoreError> {
                sqlx::query("SELECT 1")
                    .execute(&self.pool)
                    .await
                    .map(drop)
                    .map_err(crate::store::backend_error)
            }
        }
    };
}
pub(crate) use sql_store;
