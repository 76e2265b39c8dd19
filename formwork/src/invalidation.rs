//! The invalidation bus: what one instance revalidated reaches every other instance's cache.
//!
//! An action's [`revalidate_tag`](crate::revalidate_tag)/[`revalidate_path`](crate::revalidate_path)
//! purge this process's [`DataCache`] at once and list what they purged in the response
//! (`x-formwork-revalidated`). Before the response leaves, the pipeline publishes that list on
//! the bus; every other instance purges the same entries when it hears of it. On PostgreSQL the
//! bus is `LISTEN/NOTIFY` (the server's `store::postgres`); one instance needs none.

use crate::cache::{DataCache, REVALIDATED_HEADER};
use http::HeaderMap;
use serde::{Deserialize, Serialize};

/// One action's revalidations, as they travel between instances.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invalidation {
    /// The instance that revalidated (it purged its own cache already).
    pub from: String,
    /// `tag:…` and `path:…` items, as in the response header.
    pub items: Vec<String>,
}

/// Carries invalidations to the other instances.
#[async_trait::async_trait]
pub trait InvalidationBus: Send + Sync + 'static {
    /// This instance's id on the bus.
    fn instance(&self) -> &str;

    /// Tells the other instances; an error is logged by the caller, never shown.
    async fn publish(&self, invalidation: &Invalidation) -> Result<(), String>;

    /// From now on, applies what the other instances publish to `cache` (in the background).
    fn subscribe(&self, cache: DataCache);
}

/// Publishes what a response says its action revalidated, if it revalidated anything.
pub async fn announce(bus: Option<&dyn InvalidationBus>, headers: &HeaderMap) {
    let Some(bus) = bus else { return };
    let items = revalidated(headers);
    if items.is_empty() {
        return;
    }
    let invalidation = Invalidation {
        from: bus.instance().to_owned(),
        items,
    };
    if let Err(error) = bus.publish(&invalidation).await {
        // The other instances serve what they have until its TTL runs out.
        tracing::error!(%error, ?invalidation.items, "could not tell the other instances what changed");
    }
}

/// What a response's `x-formwork-revalidated` headers list.
pub fn revalidated(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(REVALIDATED_HEADER)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Applies an invalidation another instance published to this instance's cache.
pub fn apply(cache: &DataCache, invalidation: &Invalidation) -> usize {
    invalidation
        .items
        .iter()
        .map(|item| match item.strip_prefix("tag:") {
            Some(tag) => cache.purge_tag(tag),
            // `path:…` is itself the tag every entry of that page carries.
            None if item.starts_with("path:") => cache.purge_tag(item),
            None => {
                tracing::warn!(item, "ignored an invalidation item of an unknown kind");
                0
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[tokio::test]
    async fn an_invalidation_from_elsewhere_purges_its_tags_and_paths() {
        let cache = DataCache::new();
        let keep = |key: &'static str, tags: Vec<String>| {
            let cache = cache.clone();
            async move {
                let _: Result<u32, ()> = cache
                    .get_or_load(key, tags, None, |_| Vec::new(), || async { Ok(1) })
                    .await;
            }
        };
        keep("list", vec!["posts".into()]).await;
        keep("page", vec![crate::cache::path_tag("/contact")]).await;
        keep("other", vec!["newsletter".into()]).await;
        let removed = apply(
            &cache,
            &Invalidation {
                from: "b".into(),
                items: vec!["tag:posts".into(), "path:/contact".into(), "bogus".into()],
            },
        );
        assert_eq!(removed, 2);
        assert_eq!(cache.stats().entries, 1, "newsletter stays");
    }

    #[test]
    fn the_response_header_lists_what_to_purge() {
        let mut headers = HeaderMap::new();
        headers.append(REVALIDATED_HEADER, HeaderValue::from_static("tag:posts"));
        headers.append(
            REVALIDATED_HEADER,
            HeaderValue::from_static("tag:post:7, path:/posts"),
        );
        assert_eq!(
            revalidated(&headers),
            ["tag:posts", "tag:post:7", "path:/posts"]
        );
        assert!(revalidated(&HeaderMap::new()).is_empty());
    }
}
