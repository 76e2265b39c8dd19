//! `/counter`: revalidating a page by its path (`revalidatePath('/counter')`).
use formwork::prelude::*;

// ANCHOR: read
/// The counter, cached. The read names no tag: the page that reads it tags it with its path.
#[formwork::action(access = Public, method = GET)]
pub async fn counter() -> Result<i64, ActionError> {
    let db = crate::db()?;
    formwork::cache::query("counter")
        .load(move || async move {
            Ok(sqlx::query_scalar("SELECT value FROM counter WHERE id = 1").fetch_one(&db).await?)
        })
        .await
}
// ANCHOR_END: read

// ANCHOR: action
/// Adds one, then names the page that shows it: what `/counter` read is read afresh there,
/// in this tab and in every tab open on it.
#[formwork::action(access = Public, body_limit = 1 KiB, revalidates = ["/counter"])]
pub async fn increment() -> Result<i64, ActionError> {
    let db = crate::db()?;
    let value: i64 =
        sqlx::query_scalar("UPDATE counter SET value = value + 1 WHERE id = 1 RETURNING value")
            .fetch_one(&db)
            .await?;
    revalidate_path("/counter"); // or "/counter/*": it and every page under it; "/*": all
    Ok(value)
}
// ANCHOR_END: action

// ANCHOR: page
/// `/counter`: the count in a region, and the button.
#[component]
pub fn CounterPage() -> impl IntoView {
    let state = FormState::<Increment>::new();
    let count = move || Suspend::new(async move { counter().await.map(|n| format!("Count: {n}")) });
    view! {
        <h1>"Counter"</h1>
        <Region name="count"><p class="count"><Suspense>{count}</Suspense></p></Region>
        <ActionForm state=state><SubmitButton label="Add one"/></ActionForm>
    }
}
// ANCHOR_END: page
