//! The invalidation bus: what one instance revalidated reaches every other instance's cache.
//!
//! An action's [`revalidate_tag`](crate::revalidate_tag)/[`revalidate_path`](crate::revalidate_path)
//! purge this process's [`DataCache`] at once and list what they purged in the response
//! (`x-formwork-revalidated`). Before the response leaves, the pipeline publishes that list on
//! the bus; every other instance purges the same entries when it hears of it. On PostgreSQL the
//! bus can be `LISTEN/NOTIFY` ([`postgres::PgInvalidations`], feature `postgres`); with Redis, its pub/sub
//! ([`redis::RedisInvalidations`]); one instance needs none.
//!
//! Each instance also tells its own open pages ([`LiveHub`]), for its own actions and for
//! what it hears from the others.

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "redis")]
pub mod redis;

use crate::{
    cache::DataCache,
    live::{LiveEvent, LiveHub, EVERYTHING},
    protocol::{REVALIDATED_HEADER, REVALIDATION_ID_HEADER},
};
use http::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};

/// One action's revalidations, as they travel between instances.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invalidation {
    /// The instance that revalidated (it purged its own cache already).
    pub from: String,
    /// The revalidation's id, as its response and the live stream name it.
    #[serde(default)]
    pub id: String,
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

    /// From now on, hands what the other instances publish to `receiver` (in the background).
    fn subscribe(&self, receiver: Receiver);
}

/// Where an instance applies what it hears: its cache, and its open pages.
#[derive(Clone)]
pub struct Receiver {
    /// This instance's cache, purged of what the others revalidated.
    pub cache: DataCache,
    /// This instance's open pages, told what to refresh; `None` when it serves no live pages.
    pub live: Option<LiveHub>,
    /// This instance's sessions, told which ended or changed (`None`: it keeps none).
    pub sessions: Option<crate::identity::Sessions>,
}

impl Receiver {
    /// Applies another instance's invalidation; returns how many cache entries went.
    pub fn receive(&self, invalidation: &Invalidation) -> usize {
        // What concerns sessions stays here: no page hears of it.
        let (sessions, items): (Vec<String>, Vec<String>) =
            invalidation.items.iter().cloned().partition(|item| {
                item.starts_with(crate::identity::ENDED_SESSION)
                    || item.starts_with(crate::identity::CHANGED_USER)
            });
        if let Some(known) = &self.sessions {
            known.hear(&sessions);
        }
        if items.is_empty() {
            return 0;
        }
        let invalidation = &Invalidation {
            from: invalidation.from.clone(),
            id: invalidation.id.clone(),
            items,
        };
        let removed = if invalidation.items.iter().any(|i| i == EVERYTHING) {
            self.cache.purge_all()
        } else {
            apply(&self.cache, invalidation)
        };
        if let Some(live) = &self.live {
            live.publish(LiveEvent {
                id: invalidation.id.clone(),
                items: invalidation.items.clone(),
            });
        }
        removed
    }

    /// Invalidations may have been missed (the bus lost its connection): drop everything,
    /// and have every open page refresh what it shows.
    pub fn missed_some(&self) {
        if let Some(sessions) = &self.sessions {
            sessions.missed_some();
        }
        let everything = LiveEvent::everything();
        self.receive(&Invalidation {
            from: String::new(),
            id: everything.id,
            items: everything.items,
        });
    }
}

/// Names what a response says its action revalidated, if anything (the id goes into the
/// response), and tells this instance's open pages and the other instances.
pub async fn announce(
    bus: Option<&dyn InvalidationBus>,
    live: Option<&LiveHub>,
    headers: &mut HeaderMap,
) {
    let items = revalidated(headers);
    if items.is_empty() {
        return;
    }
    let id = crate::random_id();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(REVALIDATION_ID_HEADER, value);
    }
    if let Some(live) = live {
        live.publish(LiveEvent {
            id: id.clone(),
            items: items.clone(),
        });
    }
    let Some(bus) = bus else { return };
    let invalidation = Invalidation {
        from: bus.instance().to_owned(),
        id,
        items,
    };
    if let Err(error) = bus.publish(&invalidation).await {
        // The other instances serve what they have until its TTL runs out.
        tracing::error!(%error, ?invalidation.items, "could not tell the other instances what changed");
    }
}

/// Revalidates `tags` from outside an action (a webhook, a job): purges them from this
/// instance's cache, and tells its open pages and the other instances, as an action's
/// revalidation would. Returns the revalidation's id.
pub async fn revalidate_outside(
    cache: &DataCache,
    live: Option<&LiveHub>,
    bus: Option<&dyn InvalidationBus>,
    tags: &[&str],
) -> String {
    let mut headers = HeaderMap::new();
    for tag in tags {
        let removed = cache.purge_tag(tag);
        tracing::info!(revalidated = %format!("tag:{tag}"), removed, "revalidated");
        if let Ok(value) = HeaderValue::from_str(&format!("tag:{tag}")) {
            headers.append(REVALIDATED_HEADER, value);
        }
    }
    announce(bus, live, &mut headers).await;
    headers
        .get(REVALIDATION_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
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
            None => match item.strip_prefix("path:") {
                Some(path) => cache.purge_path(path),
                None => {
                    tracing::warn!(item, "ignored an invalidation item of an unknown kind");
                    0
                }
            },
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
                id: "1".into(),
                items: vec!["tag:posts".into(), "path:/contact".into(), "bogus".into()],
            },
        );
        assert_eq!(removed, 2);
        assert_eq!(cache.stats().entries, 1, "newsletter stays");
        // A scope reaches every page under it.
        keep("post", vec![crate::cache::path_tag("/posts/hello")]).await;
        keep("edit", vec![crate::cache::path_tag("/posts/hello/edit")]).await;
        let scoped = Invalidation {
            from: "b".into(),
            id: "2".into(),
            items: vec!["path:/posts/*".into()],
        };
        assert_eq!(apply(&cache, &scoped), 2);
        assert_eq!(cache.stats().entries, 1);
    }

    #[tokio::test]
    async fn an_announcement_is_named_in_the_response_and_heard_by_open_pages_once() {
        let live = LiveHub::new();
        let mut headers = HeaderMap::new();
        announce(None, Some(&live), &mut headers).await;
        assert!(
            !headers.contains_key(REVALIDATION_ID_HEADER),
            "nothing revalidated, nothing named"
        );
        headers.append(REVALIDATED_HEADER, HeaderValue::from_static("tag:posts"));
        announce(None, Some(&live), &mut headers).await;
        assert_eq!(
            headers.get(REVALIDATION_ID_HEADER).map(|v| v.len()),
            Some(32)
        );
    }

    #[tokio::test]
    async fn what_another_instance_revalidated_reaches_this_ones_cache_and_pages() {
        let receiver = Receiver {
            cache: DataCache::new(),
            live: Some(LiveHub::new()),
            sessions: None,
        };
        let _: Result<u32, ()> = receiver
            .cache
            .get_or_load(
                "list",
                vec!["posts".into()],
                None,
                |_| Vec::new(),
                || async { Ok(1) },
            )
            .await;
        let removed = receiver.receive(&Invalidation {
            from: "b".into(),
            id: "9".into(),
            items: vec!["tag:posts".into()],
        });
        assert_eq!(removed, 1);
        receiver.missed_some();
        assert_eq!(receiver.cache.stats().entries, 0);
    }

    /// An ended session or a changed user concerns this instance's sessions only: no open
    /// page hears of it (a page would learn a session's hash), and no cache entry goes.
    #[tokio::test]
    async fn what_concerns_sessions_never_reaches_a_page() {
        let live = LiveHub::new();
        let receiver = Receiver {
            cache: DataCache::new(),
            live: Some(live.clone()),
            sessions: None,
        };
        let before = live.position();
        let removed = receiver.receive(&Invalidation {
            from: "b".into(),
            id: "3".into(),
            items: vec!["session:abc".into(), "user:7".into()],
        });
        assert_eq!((removed, live.position()), (0, before.clone()));
        receiver.receive(&Invalidation {
            from: "b".into(),
            id: "4".into(),
            items: vec!["user:7".into(), "tag:posts".into()],
        });
        assert_ne!(
            live.position(),
            before,
            "the tag is heard, without the session item"
        );
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
