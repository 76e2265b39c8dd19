//! The newsletter: subscribe with an email address at `/newsletter`.

#[cfg(feature = "ssr")]
pub mod store;
pub mod subscribe;
#[cfg(feature = "ssr")]
pub mod welcome;

use formwork::Title;
use leptos::prelude::*;
use subscribe::SubscribeForm;

/// How many readers the newsletter has. Cached under `newsletter`.
#[formwork::action(access = Public, method = GET)]
pub async fn subscriber_count() -> Result<u64, formwork::ActionError> {
    use crate::tags;
    let store = crate::state::store()?;
    formwork::cache::query("newsletter:count")
        .tag(tags::NEWSLETTER)
        .ttl(tags::CACHE_TTL)
        .load(move || async move { Ok(store.subscriber_count().await?) })
        .await
}

/// `/newsletter`: the subscriber count and the form. Server-rendered: the form works the same
/// with and without JavaScript and ships no code.
#[component]
pub fn NewsletterPage() -> impl IntoView {
    crate::shell::shared();
    view! {
        <Title text="Newsletter"/>
        <h1>"Newsletter"</h1>
        <p>"One email a month with the best posts. Unsubscribe whenever you like."</p>
        <formwork::Region name="subscribers" tags=vec![crate::tags::NEWSLETTER.to_owned()]>
            <Suspense fallback=|| ()>
                {Suspend::new(async move {
                    subscriber_count().await.ok().map(|count| {
                        let readers = if count == 1 { "reader" } else { "readers" };
                        view! { <p class="subscriber-count">{format!("{count} {readers} so far.")}</p> }
                    })
                })}
            </Suspense>
        </formwork::Region>
        <SubscribeForm/>
    }
}
