//! The tagged server data cache, and revalidation by tag and by path: the analogue of
//! Next.js' `'use cache'` + `cacheTag` and `revalidateTag`/`revalidatePath`.
//!
//! A read declares what it caches: a key, the tags of the data it returns, and how long the
//! value may live at most.
//!
//! ```
//! # async fn read(page: u32) -> Result<Vec<String>, formwork::ActionError> {
//! use std::time::Duration;
//!
//! formwork::cache::query(format!("posts:page:{page}"))
//!     .tag("posts")
//!     .ttl(Duration::from_secs(60))
//!     .load(|| async { Ok(vec!["Hello".to_owned()]) }) // the database query
//!     .await
//! # }
//! ```
//!
//! An action that changes that data says so, and the entries go at once, before its response
//! (so the page a plain form post redirects to is rendered from fresh data):
//!
//! ```
//! # fn after_the_write() {
//! formwork::revalidate_tag("posts");
//! formwork::revalidate_path("/posts"); // everything the page /posts read
//! # }
//! ```
//!
//! Every entry is also tagged with the path of the request that loaded it (`path:/posts`),
//! which is what [`revalidate_path`] purges. A load that a purge overtook is not kept: its
//! value may predate the change. Hits, misses and purges are counted ([`CacheStats`]) and
//! logged at `debug`.

use std::{
    any::Any,
    collections::{HashMap, HashSet},
    future::Future,
    hash::{BuildHasher, RandomState},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex, MutexGuard, RwLock,
    },
    time::{Duration, Instant},
};

/// The tag every entry read while serving `path` carries.
pub fn path_tag(path: &str) -> String {
    format!("path:{}", path.split(['?', '#']).next().unwrap_or(path))
}

/// Whether `path` is a scope (`/posts/*`, `/*`) rather than one page.
fn is_scope(path: &str) -> bool {
    path.ends_with("/*")
}

/// How many entries the cache keeps at most; past it, expired entries go first, then the
/// oldest.
const DEFAULT_CAPACITY: usize = 10_000;
/// The entries are spread over this many shards, each behind its own lock, so readers on
/// different cores seldom touch the same memory (`benches/cache.rs` measures it).
const SHARDS: usize = 32;

/// The server's data cache: one per process, shared by every request (cheap to clone).
///
/// A read takes one shard's lock, shared, for one lookup and the clone of the value. Keeping
/// a value, purging and evicting are serialised by the tag index's lock: a purge and a
/// keep never interleave, which is what makes "a load overtaken by a revalidation is never
/// kept" hold.
#[derive(Clone)]
pub struct DataCache {
    inner: Arc<Inner>,
}

struct Inner {
    shards: Box<[Shard]>,
    hasher: RandomState,
    /// Writers only: keeping, purging, evicting.
    index: Mutex<Index>,
    /// Counts purges: a load that started before the latest one is not kept. Changed only
    /// under `index`.
    epoch: AtomicU64,
    misses: AtomicU64,
    /// The purge count, for whoever waits for a revalidation to arrive (a test, a listener).
    purges: tokio::sync::watch::Sender<u64>,
    capacity: usize,
    /// One lock per key being loaded: concurrent misses of one key load once (the others
    /// wait, then find the value), so a burst of readers does not stampede the database.
    loading: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// One part of the entries, on cache lines of its own.
#[repr(align(128))]
#[derive(Default)]
struct Shard {
    entries: RwLock<HashMap<String, Entry>>,
    hits: AtomicU64,
}

#[derive(Default)]
struct Index {
    by_tag: HashMap<String, HashSet<String>>,
    /// Entries in all shards.
    len: usize,
    /// Insertion order, for eviction past the capacity.
    next_seq: u64,
    purged: u64,
    discarded: u64,
}

struct Entry {
    value: Arc<dyn Any + Send + Sync>,
    tags: Vec<String>,
    expires_at: Option<Instant>,
    seq: u64,
}

/// What the cache has done since the process started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Reads answered from a live entry.
    pub hits: u64,
    /// Reads that found no live entry and had to load the value.
    pub misses: u64,
    /// Entries removed by revalidation.
    pub purged: u64,
    /// Loads not kept because a purge overtook them.
    pub discarded: u64,
    /// Entries in the cache now.
    pub entries: u64,
}

impl Default for DataCache {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

/// A lock a panic left behind still guards plain maps: usable.
pub(crate) fn unpoisoned<G>(result: Result<G, std::sync::PoisonError<G>>) -> G {
    result.unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl DataCache {
    /// An empty cache that keeps at most 10,000 entries.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty cache that keeps at most `capacity` entries (at least one); past it, expired
    /// entries go first, then the oldest.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                shards: (0..SHARDS).map(|_| Shard::default()).collect(),
                hasher: RandomState::new(),
                index: Mutex::new(Index::default()),
                epoch: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                purges: tokio::sync::watch::Sender::new(0),
                capacity: capacity.max(1),
                loading: Mutex::new(HashMap::new()),
            }),
        }
    }

    fn shard(&self, key: &str) -> &Shard {
        let at = self.inner.hasher.hash_one(key) as usize % SHARDS;
        &self.inner.shards[at]
    }

    fn index(&self) -> MutexGuard<'_, Index> {
        unpoisoned(self.inner.index.lock())
    }

    /// The value under `key`, or `load`'s, kept under `tags` (and those `tags_of` finds in
    /// the value) for at most `ttl`. Errors are not kept.
    ///
    /// The load runs as a task of its own: a page render may drop the future that asked
    /// (and ask again), and the load it started still finishes and is kept, instead of being
    /// cut off and repeated. Concurrent misses of one key wait for that one load.
    pub async fn get_or_load<T, E, F, Fut, G>(
        &self,
        key: &str,
        tags: Vec<String>,
        ttl: Option<Duration>,
        tags_of: G,
        load: F,
    ) -> Result<T, E>
    where
        T: Clone + Send + Sync + 'static,
        E: Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        G: FnOnce(&T) -> Vec<String> + Send + 'static,
    {
        if let Some(value) = self.live::<T>(key, Instant::now(), &tags) {
            tracing::debug!(key, "cache hit");
            return Ok(value);
        }
        let (cache, key, gate) = (self.clone(), key.to_owned(), self.gate(key));
        let task = tokio::spawn(async move {
            let turn = gate.clone().lock_owned().await;
            // Whoever held the gate before may have loaded it meanwhile.
            let loaded = match cache.get_at::<T>(&key, Instant::now()) {
                Ok(value) => {
                    tracing::debug!(key, "cache hit after waiting for a load");
                    Ok(value)
                }
                Err(epoch) => {
                    tracing::debug!(key, "cache miss");
                    load().await.inspect(|value| {
                        let mut tags = tags;
                        tags.extend(tags_of(value));
                        cache.put_at(&key, &tags, ttl, value.clone(), epoch, Instant::now());
                    })
                }
            };
            drop(turn);
            cache.release(&key, &gate);
            loaded
        });
        match task.await {
            Ok(loaded) => loaded,
            // The load panicked: the panic goes on to the caller (and the panic guard).
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    }

    /// A live value under `key`, counted as a hit when there is one (a miss is counted by
    /// the check made under the key's gate).
    ///
    /// A hit for a reader that tags it with what the entry lacks (another page's path) adds
    /// those tags: every page that reads an entry is purged with it.
    fn live<T: Clone + 'static>(&self, key: &str, now: Instant, wanted: &[String]) -> Option<T> {
        let shard = self.shard(key);
        let (value, missing) = {
            let entries = unpoisoned(shard.entries.read());
            let entry = entries
                .get(key)
                .filter(|entry| entry.expires_at.is_none_or(|at| now < at))?;
            let value = entry.value.downcast_ref::<T>().cloned()?;
            let missing: Vec<String> = wanted
                .iter()
                .filter(|tag| !entry.tags.contains(tag))
                .cloned()
                .collect();
            (value, missing)
        };
        if !missing.is_empty() {
            self.add_tags(key, &missing);
        }
        shard.hits.fetch_add(1, Ordering::Relaxed);
        Some(value)
    }

    /// Tags the entry under `key` (if it is still there) with `tags` too.
    fn add_tags(&self, key: &str, tags: &[String]) {
        let mut index = self.index();
        let mut entries = unpoisoned(self.shard(key).entries.write());
        let Some(entry) = entries.get_mut(key) else {
            return;
        };
        for tag in tags {
            if !entry.tags.contains(tag) {
                entry.tags.push(tag.clone());
                index
                    .by_tag
                    .entry(tag.clone())
                    .or_default()
                    .insert(key.to_owned());
            }
        }
    }

    /// The lock that loads of `key` take turns on.
    fn gate(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut loading = unpoisoned(self.inner.loading.lock());
        loading.entry(key.to_owned()).or_default().clone()
    }

    /// Forgets the gate of `key` once nobody else holds or waits for it.
    fn release(&self, key: &str, gate: &Arc<tokio::sync::Mutex<()>>) {
        let mut loading = unpoisoned(self.inner.loading.lock());
        // Two references: the map's and ours.
        if Arc::strong_count(gate) <= 2 {
            loading.remove(key);
        }
    }

    /// A live value under `key`, or (counting a miss) the epoch a load must start from.
    fn get_at<T: Clone + 'static>(&self, key: &str, now: Instant) -> Result<T, u64> {
        // Read before looking: a purge after this point makes the load's value unkept.
        let epoch = self.inner.epoch.load(Ordering::Acquire);
        self.live(key, now, &[]).ok_or_else(|| {
            self.inner.misses.fetch_add(1, Ordering::Relaxed);
            epoch
        })
    }

    /// Keeps `value`, unless a purge happened since `epoch` (it may predate the change).
    fn put_at<T: Send + Sync + 'static>(
        &self,
        key: &str,
        tags: &[String],
        ttl: Option<Duration>,
        value: T,
        epoch: u64,
        now: Instant,
    ) {
        let mut index = self.index();
        // Purges change the epoch under this lock only: it cannot move until we are done.
        if self.inner.epoch.load(Ordering::Acquire) != epoch {
            index.discarded += 1;
            tracing::debug!(key, "cache load overtaken by a revalidation; not kept");
            return;
        }
        self.remove(&mut index, key);
        if index.len >= self.inner.capacity {
            self.evict(&mut index, now);
        }
        for tag in tags {
            index
                .by_tag
                .entry(tag.clone())
                .or_default()
                .insert(key.to_owned());
        }
        let seq = index.next_seq;
        index.next_seq += 1;
        index.len += 1;
        unpoisoned(self.shard(key).entries.write()).insert(
            key.to_owned(),
            Entry {
                value: Arc::new(value),
                tags: tags.to_vec(),
                expires_at: ttl.map(|ttl| now + ttl),
                seq,
            },
        );
    }

    /// Removes every entry tagged `tag`; returns how many.
    pub fn purge_tag(&self, tag: &str) -> usize {
        self.purge_tags(tag, |index| {
            vec![tag.to_owned()]
                .into_iter()
                .filter(|t| index.by_tag.contains_key(t))
                .collect()
        })
    }

    /// Removes every entry tagged with one of the tags `pick` chooses from the index.
    fn purge_tags(&self, what: &str, pick: impl FnOnce(&Index) -> Vec<String>) -> usize {
        let removed = {
            let mut index = self.index();
            self.inner.epoch.fetch_add(1, Ordering::AcqRel);
            let mut removed = 0;
            for tag in pick(&index) {
                let keys = index.by_tag.remove(&tag).unwrap_or_default();
                removed += keys
                    .iter()
                    .filter(|key| self.remove(&mut index, key))
                    .count();
            }
            index.purged += removed as u64;
            removed
        };
        tracing::debug!(what, removed, "cache purged");
        self.inner.purges.send_modify(|n| *n += 1);
        removed
    }

    /// Removes everything (when revalidations from elsewhere may have been missed).
    pub fn purge_all(&self) -> usize {
        let removed = {
            let mut index = self.index();
            self.inner.epoch.fetch_add(1, Ordering::AcqRel);
            for shard in &self.inner.shards {
                unpoisoned(shard.entries.write()).clear();
            }
            index.by_tag.clear();
            let removed = std::mem::take(&mut index.len);
            index.purged += removed as u64;
            removed
        };
        tracing::info!(removed, "cache purged entirely");
        self.inner.purges.send_modify(|n| *n += 1);
        removed
    }

    /// How many purges there have been: what a render read before it changed may be old.
    pub(crate) fn epoch(&self) -> u64 {
        self.inner.epoch.load(Ordering::Acquire)
    }

    /// Counts purges as they happen: wait on it for a revalidation to have arrived.
    pub fn purges(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.purges.subscribe()
    }

    /// Removes every entry read while serving `path` (see [`revalidate_path`] for its scopes:
    /// `/posts`, `/posts/*`, `/*`).
    pub fn purge_path(&self, path: &str) -> usize {
        let tag = path_tag(path);
        if !is_scope(path) {
            return self.purge_tag(&tag);
        }
        self.purge_tags(&tag, |index| {
            index
                .by_tag
                .keys()
                .filter(|t| {
                    t.strip_prefix("path:")
                        .is_some_and(|page| crate::live::in_scope(path, page))
                })
                .cloned()
                .collect()
        })
    }

    /// The counts so far, with the number of entries held now.
    pub fn stats(&self) -> CacheStats {
        let index = self.index();
        CacheStats {
            hits: self
                .inner
                .shards
                .iter()
                .map(|shard| shard.hits.load(Ordering::Relaxed))
                .sum(),
            misses: self.inner.misses.load(Ordering::Relaxed),
            purged: index.purged,
            discarded: index.discarded,
            entries: index.len as u64,
        }
    }

    /// Removes one entry and its tag index lines (the index's lock held).
    fn remove(&self, index: &mut Index, key: &str) -> bool {
        let Some(entry) = unpoisoned(self.shard(key).entries.write()).remove(key) else {
            return false;
        };
        index.len -= 1;
        for tag in &entry.tags {
            if let Some(keys) = index.by_tag.get_mut(tag) {
                keys.remove(key);
                if keys.is_empty() {
                    index.by_tag.remove(tag);
                }
            }
        }
        true
    }

    /// Makes room (the index's lock held): the expired entries, then the oldest quarter if
    /// that was not enough. One scan per quarter of the capacity kept.
    fn evict(&self, index: &mut Index, now: Instant) {
        let expired = self.scan(|key, entry| {
            entry
                .expires_at
                .is_some_and(|at| at <= now)
                .then(|| key.to_owned())
        });
        for key in expired {
            self.remove(index, &key);
        }
        let capacity = self.inner.capacity;
        if index.len >= capacity {
            let mut by_age = self.scan(|key, entry| Some((entry.seq, key.to_owned())));
            by_age.sort_unstable();
            for (_, key) in by_age.into_iter().take((capacity / 4).max(1)) {
                self.remove(index, &key);
            }
        }
    }

    /// What `pick` makes of each entry, shard by shard.
    fn scan<X>(&self, pick: impl Fn(&str, &Entry) -> Option<X>) -> Vec<X> {
        let mut picked = Vec::new();
        for shard in &self.inner.shards {
            let entries = unpoisoned(shard.entries.read());
            picked.extend(entries.iter().filter_map(|(key, entry)| pick(key, entry)));
        }
        picked
    }
}

/// A cached read, declared with [`query`].
#[must_use = "a query does nothing until it is loaded"]
pub struct Query {
    key: String,
    tags: Vec<String>,
    ttl: Option<Duration>,
}

/// Declares a cached read under `key` (unique for the data and its arguments).
pub fn query(key: impl Into<String>) -> Query {
    Query {
        key: key.into(),
        tags: Vec::new(),
        ttl: None,
    }
}

impl Query {
    /// A tag of the data (`"posts"`, `"post:12"`): [`revalidate_tag`] with it purges the entry.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// The longest the value may be served without a revalidation.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// The cached value, or `load`'s, which is then kept. Without a cache in context (a test,
    /// a tool) it just loads.
    pub async fn load<T, E, F, Fut>(self, load: F) -> Result<T, E>
    where
        T: Clone + Send + Sync + 'static,
        E: Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        self.load_tagged(|_| Vec::new(), load).await
    }

    /// Like [`load`](Self::load), with more tags that only the value knows (the id of the
    /// post a slug named).
    pub async fn load_tagged<T, E, F, Fut>(
        self,
        tags_of: impl FnOnce(&T) -> Vec<String> + Send + 'static,
        load: F,
    ) -> Result<T, E>
    where
        T: Clone + Send + Sync + 'static,
        E: Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        let Some(cache) = leptos::prelude::use_context::<DataCache>() else {
            return load().await;
        };
        let Query { key, mut tags, ttl } = self;
        // The page being served; for an island's call, the page it is on (as its browser
        // says: at worst an entry is purged with a page it was not on).
        if let Some(tag) = crate::request::with(|parts| {
            let page = parts
                .headers
                .get(crate::protocol::PAGE_HEADER)
                .and_then(|v| v.to_str().ok())
                .and_then(crate::LocalPath::parse);
            path_tag(page.as_ref().map_or(parts.uri.path(), |page| page.as_str()))
        }) {
            tags.push(tag);
        }
        cache.get_or_load(&key, tags, ttl, tags_of, load).await
    }
}

/// Purges every cached entry tagged `tag`, now, and says so in the action's response.
pub fn revalidate_tag(tag: &str) {
    revalidate(&format!("tag:{tag}"), |cache| cache.purge_tag(tag));
}

/// Purges everything the page at `path` read, now, and says so in the action's response; open
/// pages there refresh. `path` is one page (`/posts`), or a scope: `/posts/*` is `/posts` and
/// every page under it, `/*` every page (Next.js' `revalidatePath(path, 'layout')`).
///
/// Every page that reads a cached entry tags it, whether the read loaded it or found it,
/// and an island's refetch tags it with the page the island is on.
pub fn revalidate_path(path: &str) {
    revalidate(&path_tag(path), |cache| cache.purge_path(path));
}

fn revalidate(what: &str, purge: impl FnOnce(&DataCache) -> usize) {
    use leptos::prelude::use_context;
    let removed = use_context::<DataCache>().map_or(0, |cache| purge(&cache));
    tracing::info!(revalidated = what, removed, "revalidated");
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(what),
    ) {
        response.append_header(
            http::HeaderName::from_static(crate::protocol::REVALIDATED_HEADER),
            value,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| (*t).to_owned()).collect()
    }

    fn put(cache: &DataCache, key: &str, tag_list: &[&str], value: u32, now: Instant) {
        let epoch = cache.get_at::<u32>(key, now).err().unwrap_or_default();
        cache.put_at(key, &tags(tag_list), None, value, epoch, now);
    }

    #[test]
    fn a_scope_purges_its_page_and_every_page_under_it() {
        let cache = DataCache::new();
        let now = Instant::now();
        let kept = |key: &str| cache.get_at::<u32>(key, now).is_ok();
        for (key, page) in [
            ("list", "path:/posts"),
            ("one", "path:/posts/hello"),
            ("deep", "path:/posts/hello/edit"),
            ("other", "path:/postscript"),
            ("home", "path:/"),
        ] {
            put(&cache, key, &[page], 1, now);
        }
        assert_eq!(cache.purge_path("/posts/hello"), 1, "one page");
        assert!(kept("list") && kept("deep"));
        assert_eq!(cache.purge_path("/posts/*"), 2, "/posts and below");
        assert!(
            kept("other"),
            "a page whose name merely starts alike is not under it"
        );
        assert_eq!(cache.purge_path("/*"), 2, "every page");
        assert!(!kept("other") && !kept("home"));
    }

    #[tokio::test]
    async fn every_page_that_reads_an_entry_tags_it_on_a_hit_too() {
        let cache = DataCache::new();
        for page in ["path:/a", "path:/b"] {
            let value: Result<u32, ()> = cache
                .get_or_load(
                    "k",
                    tags(&["t", page]),
                    None,
                    |_| Vec::new(),
                    || async { Ok(7) },
                )
                .await;
            assert_eq!(value, Ok(7));
        }
        assert_eq!(cache.stats().misses, 1, "the second read was a hit");
        assert_eq!(
            cache.purge_path("/b"),
            1,
            "the page that only found it purges it"
        );
    }

    #[test]
    fn a_kept_value_is_served_until_its_tag_is_revalidated() {
        let cache = DataCache::new();
        let now = Instant::now();
        put(&cache, "posts:1", &["posts"], 1, now);
        put(&cache, "post:7", &["post:7"], 7, now);
        assert_eq!(cache.get_at::<u32>("posts:1", now), Ok(1));
        assert_eq!(cache.purge_tag("posts"), 1);
        assert!(cache.get_at::<u32>("posts:1", now).is_err(), "purged");
        assert_eq!(cache.get_at::<u32>("post:7", now), Ok(7), "other tags stay");
        assert_eq!(cache.purge_tag("posts"), 0, "nothing left to purge");
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.purged, stats.entries), (2, 1, 1));
    }

    #[test]
    fn a_path_purges_what_its_page_read() {
        let cache = DataCache::new();
        let now = Instant::now();
        put(&cache, "a", &["posts", &path_tag("/posts")], 1, now);
        put(&cache, "b", &[&path_tag("/posts?page=2")], 2, now);
        put(&cache, "c", &[&path_tag("/contact")], 3, now);
        assert_eq!(
            cache.purge_path("/posts"),
            2,
            "the query string is the same page"
        );
        assert!(cache.get_at::<u32>("a", now).is_err());
        assert!(cache.get_at::<u32>("b", now).is_err());
        assert_eq!(cache.get_at::<u32>("c", now), Ok(3));
        // The entry left no trace under its other tag either.
        assert_eq!(cache.purge_tag("posts"), 0);
    }

    #[test]
    fn values_expire_after_their_ttl() {
        let cache = DataCache::new();
        let now = Instant::now();
        let epoch = cache.get_at::<u32>("k", now).err().unwrap_or_default();
        cache.put_at("k", &[], Some(Duration::from_secs(60)), 5u32, epoch, now);
        assert_eq!(
            cache.get_at::<u32>("k", now + Duration::from_secs(59)),
            Ok(5)
        );
        assert!(cache
            .get_at::<u32>("k", now + Duration::from_secs(60))
            .is_err());
    }

    #[test]
    fn a_load_overtaken_by_a_revalidation_is_not_kept() {
        let cache = DataCache::new();
        let now = Instant::now();
        // The load starts, then an action revalidates, then the (old) value arrives.
        let epoch = cache.get_at::<u32>("k", now).err().unwrap_or_default();
        cache.purge_tag("posts");
        cache.put_at("k", &tags(&["posts"]), None, 1u32, epoch, now);
        assert!(cache.get_at::<u32>("k", now).is_err());
        assert_eq!(cache.stats().discarded, 1);
    }

    #[test]
    fn a_value_of_another_type_is_a_miss_not_a_panic() {
        let cache = DataCache::new();
        let now = Instant::now();
        put(&cache, "k", &[], 1, now);
        assert!(cache.get_at::<String>("k", now).is_err());
    }

    #[test]
    fn the_cache_stays_within_its_capacity() {
        let cache = DataCache::with_capacity(100);
        let now = Instant::now();
        for i in 0..1_000u32 {
            put(&cache, &format!("k{i}"), &["all"], i, now);
        }
        let stats = cache.stats();
        assert!(stats.entries > 0 && stats.entries <= 100, "{stats:?}");
        // Exactly the newest are left, wherever each entry's key put it.
        let first_kept = 1_000 - stats.entries as u32;
        for i in 0..1_000u32 {
            assert_eq!(
                cache.get_at::<u32>(&format!("k{i}"), now).is_ok(),
                i >= first_kept,
                "k{i}: the oldest go first ({stats:?})"
            );
        }
        assert_eq!(cache.purge_tag("all") as u64, stats.entries);
    }

    #[tokio::test]
    async fn get_or_load_loads_once_then_serves_and_tags_by_the_value() {
        let cache = DataCache::new();
        let loads = Arc::new(std::sync::atomic::AtomicU32::new(0));
        for _ in 0..3 {
            let loads = loads.clone();
            let value: Result<u32, ()> = cache
                .get_or_load(
                    "k",
                    tags(&["t"]),
                    None,
                    |_| Vec::new(),
                    || async move {
                        loads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        Ok(42)
                    },
                )
                .await;
            assert_eq!(value, Ok(42));
        }
        assert_eq!(loads.load(std::sync::atomic::Ordering::Relaxed), 1);
        let failed: Result<u32, &str> = cache
            .get_or_load(
                "e",
                Vec::new(),
                None,
                |_| Vec::new(),
                || async { Err("down") },
            )
            .await;
        assert_eq!(failed, Err("down"));
        assert!(
            cache.get_at::<u32>("e", Instant::now()).is_err(),
            "errors are not kept"
        );
        // Tags the value names: a post loaded by slug is purged by its id.
        let _: Result<u32, ()> = cache
            .get_or_load(
                "post:hello",
                Vec::new(),
                None,
                |id| vec![format!("post:{id}")],
                || async { Ok(7) },
            )
            .await;
        assert_eq!(cache.purge_tag("post:7"), 1);
    }

    #[tokio::test]
    async fn a_load_whose_caller_gave_up_still_finishes_and_is_kept() {
        let cache = DataCache::new();
        let (started, release) = (
            Arc::new(tokio::sync::Notify::new()),
            Arc::new(tokio::sync::Notify::new()),
        );
        let caller = {
            let (cache, started, release) = (cache.clone(), started.clone(), release.clone());
            tokio::spawn(async move {
                cache
                    .get_or_load(
                        "k",
                        Vec::new(),
                        None,
                        |_| Vec::new(),
                        || async move {
                            started.notify_one();
                            release.notified().await;
                            Ok::<u32, ()>(5)
                        },
                    )
                    .await
            })
        };
        started.notified().await;
        caller.abort(); // a render dropped the future that asked
        let _ = caller.await;
        release.notify_one();
        // The next reader waits for that load instead of starting its own, and finds it kept.
        let value = cache
            .get_or_load(
                "k",
                Vec::new(),
                None,
                |_| Vec::new(),
                || async { Ok::<u32, ()>(6) },
            )
            .await;
        assert_eq!(value, Ok(5));
        assert_eq!(cache.stats().misses, 1);
    }

    #[tokio::test]
    async fn concurrent_misses_of_one_key_load_once() {
        let cache = DataCache::new();
        let loads = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let readers: Vec<_> = (0..16)
            .map(|_| {
                let (cache, loads) = (cache.clone(), loads.clone());
                tokio::spawn(async move {
                    cache
                        .get_or_load(
                            "k",
                            Vec::new(),
                            None,
                            |_| Vec::new(),
                            || async move {
                                loads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                // Let the other readers arrive while this one loads.
                                tokio::task::yield_now().await;
                                Ok::<u32, ()>(9)
                            },
                        )
                        .await
                })
            })
            .collect();
        for reader in readers {
            assert_eq!(reader.await.ok(), Some(Ok(9)));
        }
        assert_eq!(loads.load(std::sync::atomic::Ordering::Relaxed), 1);
        let stats = cache.stats();
        assert_eq!((stats.misses, stats.hits), (1, 15));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn readers_racing_writes_on_other_threads_never_keep_a_stale_value() {
        use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
        let cache = DataCache::with_capacity(64);
        let version = Arc::new(AtomicU64::new(0));
        let read = |cache: DataCache, version: Arc<AtomicU64>, key: String| async move {
            cache
                .get_or_load(&key, vec!["posts".into()], None, |_| Vec::new(), {
                    move || async move {
                        // The "database" as the load reads it, then a pause: a write and
                        // its revalidation may land in between.
                        let seen = version.load(SeqCst);
                        tokio::task::yield_now().await;
                        Ok::<u64, ()>(seen)
                    }
                })
                .await
        };
        let readers: Vec<_> = (0..4)
            .map(|reader| {
                let (cache, version) = (cache.clone(), version.clone());
                tokio::spawn(async move {
                    for i in 0..2_000 {
                        let key = format!("posts:{}", (i + reader) % 40);
                        let _ = read(cache.clone(), version.clone(), key).await;
                    }
                })
            })
            .collect();
        for _ in 0..500 {
            version.fetch_add(1, SeqCst);
            cache.purge_tag("posts");
            tokio::task::yield_now().await;
        }
        for reader in readers {
            assert!(reader.await.is_ok(), "a reader panicked");
        }
        let last = version.load(SeqCst);
        for key in 0..40 {
            let value = read(cache.clone(), version.clone(), format!("posts:{key}")).await;
            assert_eq!(
                value,
                Ok(last),
                "posts:{key} kept a value older than the last write"
            );
        }
    }
}
