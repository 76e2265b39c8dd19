//! Kept pages: a page that is the same for every visitor who sends no cookies is rendered
//! once and then served from memory, until any revalidation or its `max_age`. The analogue of
//! Next.js' full route cache with `export const revalidate = …`, opted into by the page. A
//! page may also be kept for each visitor who does send cookies (a signed-in user, say), and
//! served again from memory to that visitor alone:
//!
//! ```
//! use formwork::prelude::*;
//! use std::time::Duration;
//!
//! #[component]
//! fn PostsPage() -> impl IntoView {
//!     // The same for every signed-out visitor; its data comes through `formwork::cache`.
//!     formwork::page_cache::share(Duration::from_secs(60));
//!     // And for a signed-in one, the same on their next view (it reads nothing of theirs
//!     // that a write would change without revalidating).
//!     formwork::page_cache::keep_per_visitor(Duration::from_secs(60));
//!     view! { <h1>"Posts"</h1> }
//! }
//! ```
//!
//! What is kept, and what is not:
//!
//! - Only a `GET` page view is served from memory or kept: never a request with an
//!   `Authorization` header, one that brings a message (a flash), or one of the browser
//!   runtime's.
//! - A request without cookies gets the page [`share`]d by every such visitor. A request with
//!   cookies gets only a page kept for its own cookies ([`keep_per_visitor`]), and only while
//!   its session still names the same user with the same rank. That is checked on every
//!   request through the session cache, which the invalidation bus keeps current. A sign-out
//!   or a role change takes effect at once, on every instance.
//! - Only a `200` HTML page that sets no cookie is kept, and only when the page said so
//!   during its render.
//! - Each copy served gets its own script nonce (in the page and in its
//!   `Content-Security-Policy`) and a fresh one-time token for every form on it: the holes
//!   left in the kept page. Nothing else of a render is per request for one visitor.
//! - **Any revalidation** ([`revalidate_tag`](crate::revalidate_tag),
//!   [`revalidate_path`](crate::revalidate_path), one heard from another instance over the
//!   invalidation bus) ends every kept page at once, and a render that a revalidation
//!   overtook is not kept: a write is never followed by an old page. Data the page reads
//!   without `formwork::cache`, and changed by something that revalidates nothing, is served
//!   old for at most `max_age`.
//! - A page is kept whole: on the render that is kept, the visitor gets the page when it is
//!   complete instead of streamed. Pages from memory are complete at once.
//!
//! The kept pages are bounded in number ([`Builder::shared_pages`](crate::Builder::shared_pages),
//! 1,000 by default: the oldest go first), in size (1 MiB each) and in the memory they hold
//! (64 MiB). The shared pages and the visitors' own are bounded apart, so that many visitors
//! (or one who keeps changing cookies) never push the shared pages out. `/metrics` counts
//! them. A visitor's page is held under a digest of their cookies, never under the cookies
//! themselves.

use std::time::Duration;

/// Says that this page, rendered for a visitor who sends no cookies, may be served to every
/// such visitor for up to `max_age`, or until anything is revalidated (see the module).
/// Call it in the page's component, on the server; in the browser it does nothing.
pub fn share(max_age: Duration) {
    #[cfg(feature = "ssr")]
    server::note(|notes| notes.max_age = Some(max_age));
    #[cfg(not(feature = "ssr"))]
    let _ = max_age;
}

/// Says that this page, rendered for a visitor who sends cookies (signed in or not), may be
/// served again to that visitor alone: a request with the same cookies, whose session still
/// names the same user with the same rank, for up to `max_age`, or until anything is
/// revalidated (see the module). Call it only in a page that reads nothing of the visitor's
/// that a write would change without revalidating. On the server only, like [`share`].
pub fn keep_per_visitor(max_age: Duration) {
    #[cfg(feature = "ssr")]
    server::note(|notes| notes.visitor_max_age = Some(max_age));
    #[cfg(not(feature = "ssr"))]
    let _ = max_age;
}

#[cfg(feature = "ssr")]
pub(crate) use server::{note_nonce, serve, FormTokens, DEFAULT_CAPACITY};
#[cfg(feature = "ssr")]
pub use server::{PageCache, PageCacheStats};

#[cfg(feature = "ssr")]
mod server {
    use crate::{
        cache::{unpoisoned, DataCache},
        identity::Principal,
        signing::SigningKey,
    };
    use axum::{
        body::Body,
        extract::{Request, State},
        middleware::Next,
        response::Response,
    };
    use bytes::{Bytes, BytesMut};
    use http::{header, HeaderMap, HeaderValue, StatusCode};
    use http_body_util::BodyExt;
    use sha2::{Digest, Sha256};
    use std::{
        collections::{HashMap, VecDeque},
        sync::{
            atomic::{AtomicU64, Ordering},
            Arc, Mutex, RwLock,
        },
        time::{Duration, Instant},
    };

    /// The largest page kept.
    const MAX_PAGE_BYTES: usize = 1024 * 1024;
    /// How much of a hole's text the render is searched for (see [`Page::cut`]).
    const HOLE_START: usize = 16;
    /// The most each shelf of kept pages (shared, and visitors') holds.
    const MAX_SHELF_BYTES: usize = 64 * 1024 * 1024;
    /// How many pages are kept by default.
    pub(crate) const DEFAULT_CAPACITY: usize = 1_000;

    /// What a render said about itself, for the request that may be kept: put in the
    /// request's extensions, where the render finds it (leptos_axum provides the request's
    /// parts as context).
    #[derive(Clone, Default)]
    pub(crate) struct Recording(pub(super) Arc<Mutex<Notes>>);

    #[derive(Default)]
    pub(super) struct Notes {
        pub(super) max_age: Option<Duration>,
        pub(super) visitor_max_age: Option<Duration>,
        nonce: Option<String>,
        tokens: Vec<String>,
    }

    pub(super) fn recording() -> Option<Recording> {
        crate::request::with(|parts| parts.extensions.get::<Recording>().cloned()).flatten()
    }

    /// What a render's forms sign their one-time tokens with, and the recording they note
    /// them in when the page may be kept (one context, looked up once per form): provided
    /// per request by `Formwork::provide_context`.
    #[derive(Clone)]
    pub(crate) struct FormTokens {
        /// The page's tokens, made when the first form asks (a page without forms signs
        /// nothing).
        page: Arc<std::sync::OnceLock<crate::origin::PageTokens>>,
        /// The page's path and query (what a plain post returns to), read once.
        path: Arc<str>,
        key: SigningKey,
        recording: Option<Recording>,
    }

    impl FormTokens {
        /// For the request being rendered.
        pub(crate) fn for_request(key: SigningKey) -> Self {
            Self {
                page: Arc::default(),
                path: crate::request::page().into(),
                key,
                recording: recording(),
            }
        }

        /// The path and query of the page being rendered.
        pub(crate) fn page_path(&self) -> &str {
            &self.path
        }

        /// A fresh one-time token for a form; a hole in the page, if the page may be kept.
        pub(crate) fn issue(&self) -> String {
            let token = self
                .page
                .get_or_init(|| crate::origin::PageTokens::new(&self.key))
                .issue();
            if let Some(recording) = &self.recording {
                unpoisoned(recording.0.lock()).tokens.push(token.clone());
            }
            token
        }
    }

    /// The page's script nonce: a hole in a kept copy.
    pub(crate) fn note_nonce(nonce: &str) {
        note(|notes| notes.nonce = Some(nonce.to_owned()));
    }

    /// Notes what the render says about itself, when its page may be kept.
    pub(super) fn note(what: impl FnOnce(&mut Notes)) {
        if let Some(recording) = recording() {
            let mut notes = unpoisoned(recording.0.lock());
            what(&mut notes);
        }
    }

    /// The shared pages kept in memory (cheap to clone).
    #[derive(Clone)]
    pub struct PageCache {
        inner: Arc<Inner>,
    }

    struct Inner {
        /// The pages shared by visitors without cookies.
        shared: Shelf,
        /// The pages kept for one visitor each: apart, so that many visitors (or one who
        /// keeps changing cookies) never push the shared pages out.
        visitors: Shelf,
        /// Its purges end the kept pages.
        data: DataCache,
        /// Signs the fresh form tokens.
        key: SigningKey,
    }

    /// What the kept pages have done since the process started.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct PageCacheStats {
        /// Requests without cookies answered with a shared page.
        pub hits: u64,
        /// Shared renders kept.
        pub kept: u64,
        /// Shared pages held now (some may have ended, and wait to be replaced).
        pub pages: u64,
        /// Requests with cookies answered with the page kept for them.
        pub visitor_hits: u64,
        /// Renders kept for one visitor.
        pub visitor_kept: u64,
        /// Visitors' pages held now.
        pub visitor_pages: u64,
    }

    /// Kept pages, bounded in number and in bytes: past either bound the oldest go first.
    struct Shelf {
        pages: RwLock<HashMap<String, Arc<Page>>>,
        /// Keys in the order they were kept, with the page's sequence number, and the bytes
        /// held.
        order: Mutex<Order>,
        capacity: usize,
        /// Requests answered from the shelf.
        hits: AtomicU64,
        /// Renders kept on it.
        kept: AtomicU64,
    }

    /// A shelf's pages in the order they were kept, and what they hold.
    #[derive(Default)]
    struct Order {
        queue: VecDeque<(String, u64)>,
        next: u64,
        bytes: usize,
    }

    /// Whom a request's page is for: what it is kept under, and who must be asking when it
    /// is served again.
    struct Visitor {
        key: String,
        /// Whether the request sent cookies: its page is then its own.
        cookies: bool,
        /// Who is asking (never anyone without cookies).
        principal: Option<Principal>,
    }

    impl Visitor {
        /// `None` for a request that is neither served from memory nor kept (see the module).
        fn of(request: &Request) -> Option<Self> {
            let headers = request.headers();
            if request.method() != http::Method::GET
                || headers.contains_key(header::AUTHORIZATION)
                || headers.contains_key(crate::protocol::ENHANCED_HEADER)
                || request
                    .extensions()
                    .get::<crate::flash::ReceivedFlash>()
                    .is_some()
            {
                return None;
            }
            let page = request.uri().path_and_query()?.as_str();
            let mut cookies = headers.get_all(header::COOKIE).iter().peekable();
            if cookies.peek().is_none() {
                return Some(Self {
                    key: page.to_owned(),
                    cookies: false,
                    principal: None,
                });
            }
            // A digest, so the cookies (a session's token) are not kept; a URI holds no
            // newline, so no page's key is another's.
            let mut digest = Sha256::new();
            for cookie in cookies {
                digest.update(cookie.as_bytes());
                digest.update(b"\n");
            }
            Some(Self {
                key: format!("{page}\n{}", crate::hex(&digest.finalize())),
                cookies: true,
                principal: request.extensions().get::<Principal>().cloned(),
            })
        }

        /// How long the render noted it may be kept for this visitor.
        fn max_age(&self, notes: &Notes) -> Option<Duration> {
            if self.cookies {
                notes.visitor_max_age
            } else {
                notes.max_age
            }
        }
    }

    /// A kept page: its head, and its body in pieces around the holes.
    struct Page {
        /// Who it was rendered for, when that was a visitor with cookies: served again only
        /// while the session names the same user, with the same rank.
        principal: Option<Principal>,
        headers: HeaderMap,
        pieces: Vec<Piece>,
        /// The old nonce, to replace in the policy header.
        nonce: String,
        tokens: usize,
        len: usize,
        /// The data cache's purge count when the render began.
        epoch: u64,
        expires_at: Instant,
        seq: u64,
    }

    enum Piece {
        Text(Bytes),
        Nonce,
        Token(usize),
    }

    impl PageCache {
        /// Keeps at most `capacity` pages (none: `0`), ended by `data`'s purges, with fresh form
        /// tokens signed by `key`.
        pub fn new(capacity: usize, data: DataCache, key: SigningKey) -> Self {
            Self {
                inner: Arc::new(Inner {
                    shared: Shelf::new(capacity),
                    visitors: Shelf::new(capacity),
                    data,
                    key,
                }),
            }
        }

        /// The counts so far.
        pub fn stats(&self) -> PageCacheStats {
            let (shared, visitors) = (&self.inner.shared, &self.inner.visitors);
            PageCacheStats {
                hits: shared.hits.load(Ordering::Relaxed),
                kept: shared.kept.load(Ordering::Relaxed),
                pages: shared.held(),
                visitor_hits: visitors.hits.load(Ordering::Relaxed),
                visitor_kept: visitors.kept.load(Ordering::Relaxed),
                visitor_pages: visitors.held(),
            }
        }

        fn shelf(&self, visitor: &Visitor) -> &Shelf {
            if visitor.cookies {
                &self.inner.visitors
            } else {
                &self.inner.shared
            }
        }

        fn live(&self, visitor: &Visitor) -> Option<Arc<Page>> {
            let epoch = self.inner.data.epoch();
            let now = Instant::now();
            unpoisoned(self.shelf(visitor).pages.read())
                .get(&visitor.key)
                .filter(|page| {
                    page.epoch == epoch
                        && now < page.expires_at
                        && page.principal == visitor.principal
                })
                .cloned()
        }

        fn keep(&self, visitor: Visitor, page: Page) {
            self.shelf(&visitor).keep(visitor.key, page);
        }
    }

    impl Shelf {
        fn new(capacity: usize) -> Self {
            Self {
                pages: RwLock::default(),
                order: Mutex::default(),
                capacity,
                hits: AtomicU64::new(0),
                kept: AtomicU64::new(0),
            }
        }

        fn held(&self) -> u64 {
            unpoisoned(self.pages.read()).len() as u64
        }

        fn keep(&self, key: String, page: Page) {
            let mut order = unpoisoned(self.order.lock());
            let order = &mut *order;
            let seq = order.next;
            order.next += 1;
            order.bytes += page.len;
            let mut pages = unpoisoned(self.pages.write());
            if let Some(replaced) = pages.insert(key.clone(), Arc::new(Page { seq, ..page })) {
                order.bytes -= replaced.len;
            }
            order.queue.push_back((key, seq));
            while pages.len() > self.capacity || order.bytes > MAX_SHELF_BYTES {
                let Some((oldest, seq)) = order.queue.pop_front() else {
                    break;
                };
                if pages.get(&oldest).is_some_and(|page| page.seq == seq) {
                    if let Some(evicted) = pages.remove(&oldest) {
                        order.bytes -= evicted.len;
                    }
                }
            }
            // Keys replaced since they were queued leave stale places behind: drop them
            // when they outnumber the pages, so the queue stays bounded too.
            if order.queue.len() > 2 * self.capacity.max(16) {
                order
                    .queue
                    .retain(|(key, seq)| pages.get(key).is_some_and(|page| page.seq == *seq));
            }
            self.kept.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether a render's response may be kept.
    fn is_keepable(response: &Response) -> bool {
        let headers = response.headers();
        response.status() == StatusCode::OK
            && !headers.contains_key(header::SET_COOKIE)
            && headers
                .get(header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .is_some_and(|kind| kind.starts_with("text/html"))
    }

    /// The middleware: answers from memory, or renders and keeps what the page shared.
    pub(crate) async fn serve(
        State(cache): State<PageCache>,
        mut request: Request,
        next: Next,
    ) -> Response {
        if cache.inner.shared.capacity == 0 {
            return next.run(request).await;
        }
        let Some(visitor) = Visitor::of(&request) else {
            return next.run(request).await;
        };
        if let Some(page) = cache.live(&visitor) {
            cache.shelf(&visitor).hits.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(
                page = request.uri().path(),
                own = visitor.cookies,
                "page served from memory"
            );
            return page.serve(&cache.inner.key);
        }
        let epoch = cache.inner.data.epoch();
        let recording = Recording::default();
        request.extensions_mut().insert(recording.clone());
        let response = next.run(request).await;
        let notes = std::mem::take(&mut *unpoisoned(recording.0.lock()));
        let (Some(max_age), Some(nonce)) = (visitor.max_age(&notes), notes.nonce) else {
            return response;
        };
        if max_age.is_zero() || !is_keepable(&response) {
            return response;
        }
        let (parts, body) = response.into_parts();
        match whole(body).await {
            Ok(bytes) => {
                let mut page =
                    Page::cut(&bytes, &parts.headers, nonce, &notes.tokens, epoch, max_age);
                page.principal = visitor.principal.clone();
                cache.keep(visitor, page);
                Response::from_parts(parts, Body::from(bytes))
            }
            Err(rest) => Response::from_parts(parts, rest),
        }
    }

    /// The body whole, or (past [`MAX_PAGE_BYTES`], or on an error) a body that gives what was
    /// read and then the rest, unchanged.
    async fn whole(mut body: Body) -> Result<Bytes, Body> {
        // The frames as they came, joined at the end: a page that comes in one frame is kept
        // without a copy, and one in several is copied once, into a buffer of its size.
        let mut read: Vec<Bytes> = Vec::new();
        let mut len = 0;
        loop {
            match body.frame().await {
                None => return Ok(joined(read, len)),
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => {
                        len += data.len();
                        read.push(data);
                        if len > MAX_PAGE_BYTES {
                            return Err(resumed(joined(read, len), body));
                        }
                    }
                    // Trailers: a page has none; not worth keeping.
                    Err(_) => return Err(resumed(joined(read, len), body)),
                },
                Some(Err(error)) => {
                    tracing::debug!(%error, "a shared page's body failed: not kept");
                    let read = joined(read, len);
                    let failed = futures::stream::iter([Ok::<_, axum::Error>(read), Err(error)]);
                    return Err(Body::from_stream(failed));
                }
            }
        }
    }

    /// `frames` (`len` bytes in all) as one.
    fn joined(mut frames: Vec<Bytes>, len: usize) -> Bytes {
        if frames.len() == 1 {
            return frames.pop().unwrap_or_default();
        }
        let mut whole = BytesMut::with_capacity(len);
        for frame in frames {
            whole.extend_from_slice(&frame);
        }
        whole.freeze()
    }

    fn resumed(read: Bytes, rest: Body) -> Body {
        use futures::StreamExt;
        let head = futures::stream::once(async move { Ok::<_, axum::Error>(read) });
        Body::from_stream(head.chain(rest.into_data_stream()))
    }

    impl Page {
        /// Cuts `body` around every occurrence of the nonce and the form tokens.
        fn cut(
            body: &Bytes,
            headers: &HeaderMap,
            nonce: String,
            tokens: &[String],
            epoch: u64,
            max_age: Duration,
        ) -> Self {
            // Each needle with the hole it is (`None`: the nonce).
            let needles: Vec<(&[u8], Option<usize>)> = std::iter::once((nonce.as_bytes(), None))
                .chain(
                    tokens
                        .iter()
                        .enumerate()
                        .map(|(i, token)| (token.as_bytes(), Some(i))),
                )
                .filter(|(needle, _)| !needle.is_empty())
                .collect();
            // A page's form tokens share their start (the page's id): the render is searched
            // once per distinct start, not once per token. Each place found is looked up whole,
            // once for each length its start's needles have (a page's tokens differ in length
            // only by their number's digits), the longest first.
            let whole: std::collections::HashMap<&[u8], Option<usize>> =
                needles.iter().copied().collect();
            let mut starts: Vec<(&[u8], Vec<usize>)> = Vec::new();
            for (needle, _) in &needles {
                let start = &needle[..needle.len().min(HOLE_START)];
                let known = match starts.iter().position(|(known, _)| *known == start) {
                    Some(known) => known,
                    None => {
                        starts.push((start, Vec::new()));
                        starts.len() - 1
                    }
                };
                let lengths = &mut starts[known].1;
                if !lengths.contains(&needle.len()) {
                    lengths.push(needle.len());
                    lengths.sort_unstable_by(|a, b| b.cmp(a));
                }
            }
            let mut holes: Vec<(usize, usize, Option<usize>)> = Vec::new();
            for (start, lengths) in &starts {
                for at in memchr::memmem::find_iter(body, start) {
                    let found = lengths.iter().find_map(|&len| {
                        let candidate = body.get(at..at + len)?;
                        whole.get(candidate).map(|&hole| (len, hole))
                    });
                    if let Some((len, hole)) = found {
                        holes.push((at, len, hole));
                    }
                }
            }
            holes.sort_by_key(|(at, _, _)| *at);
            let mut pieces = Vec::with_capacity(holes.len() * 2 + 1);
            let mut from = 0;
            for (at, len, hole) in holes {
                // Overlaps cannot happen (a nonce and a token share no text), but a kept page
                // must never be garbled if one did.
                if at < from {
                    continue;
                }
                pieces.push(Piece::Text(body.slice(from..at)));
                pieces.push(match hole {
                    None => Piece::Nonce,
                    Some(i) => Piece::Token(i),
                });
                from = at + len;
            }
            pieces.push(Piece::Text(body.slice(from..)));
            let mut headers = headers.clone();
            headers.remove(header::CONTENT_LENGTH);
            Self {
                principal: None,
                headers,
                pieces,
                len: body.len(),
                nonce,
                tokens: tokens.len(),
                epoch,
                expires_at: Instant::now() + max_age,
                seq: 0,
            }
        }

        /// A copy for one visitor: its own nonce and form tokens.
        fn serve(&self, key: &SigningKey) -> Response {
            let nonce = leptos::nonce::Nonce::new().to_string();
            let page = crate::origin::PageTokens::new(key);
            let tokens: Vec<String> = (0..self.tokens).map(|_| page.issue()).collect();
            let mut body = Vec::with_capacity(self.len + 64);
            for piece in &self.pieces {
                match piece {
                    Piece::Text(text) => body.extend_from_slice(text),
                    Piece::Nonce => body.extend_from_slice(nonce.as_bytes()),
                    Piece::Token(i) => body.extend_from_slice(tokens[*i].as_bytes()),
                }
            }
            let mut response = Response::new(Body::from(body));
            *response.headers_mut() = self.headers.clone();
            if let Some(policy) = self
                .headers
                .get(header::CONTENT_SECURITY_POLICY)
                .and_then(|value| value.to_str().ok())
                .and_then(|policy| HeaderValue::from_str(&policy.replace(&self.nonce, &nonce)).ok())
            {
                response
                    .headers_mut()
                    .insert(header::CONTENT_SECURITY_POLICY, policy);
            }
            response
        }
    }

    #[cfg(test)]
    #[allow(clippy::unwrap_used)]
    mod tests {
        use super::*;

        #[test]
        fn the_kept_pages_hold_at_most_their_memory_budget_the_oldest_going_first() {
            let cache = PageCache::new(1_000, DataCache::new(), SigningKey::random());
            let body = Bytes::from(vec![b'x'; 1_000_000]);
            let page = || {
                let headers = HeaderMap::new();
                Page::cut(&body, &headers, "N".into(), &[], 0, Duration::from_secs(60))
            };
            let anyone = |n: usize| Visitor {
                key: format!("/page/{n}"),
                cookies: false,
                principal: None,
            };
            let someone = |n: usize| Visitor {
                key: format!("/page/{n}\nsomeone"),
                cookies: true,
                principal: None,
            };
            cache.keep(anyone(0), page());
            let fit = MAX_SHELF_BYTES / body.len();
            for n in 0..fit + 10 {
                cache.keep(someone(n), page());
            }
            // Replacing a page counts it once.
            cache.keep(someone(fit + 9), page());
            let visitors = unpoisoned(cache.inner.visitors.pages.read());
            assert_eq!(visitors.len(), fit);
            assert!(!visitors.contains_key(&someone(0).key));
            assert!(!visitors.contains_key(&someone(9).key));
            assert!(visitors.contains_key(&someone(10).key));
            assert!(visitors.contains_key(&someone(fit + 9).key));
            let bytes = unpoisoned(cache.inner.visitors.order.lock()).bytes;
            assert_eq!(bytes, fit * body.len());
            // The visitors' pages never pushed out the shared one.
            assert!(cache.live(&anyone(0)).is_some());
        }

        #[test]
        fn a_kept_page_gets_its_own_nonce_and_tokens_for_each_visitor() {
            let key = SigningKey::random();
            let (old_a, old_b) = (
                crate::origin::new_form_token(&key),
                crate::origin::new_form_token(&key),
            );
            // And a list's forms: one page's tokens, which share their start and differ in
            // length (forms 0 to 11).
            let list = crate::origin::PageTokens::new(&key);
            let rows: Vec<String> = (0..12).map(|_| list.issue()).collect();
            let row_forms: String = rows
                .iter()
                .map(|token| format!("<form><input value=\"{token}\"></form>"))
                .collect();
            let html = format!(
                "<script nonce=\"N0NCE\">x</script><form><input value=\"{old_a}\"></form>\
                 {row_forms}<form><input value=\"{old_b}\"></form><p>N0NCE-free text</p>"
            );
            let mut old = vec![old_a.clone()];
            old.extend(rows.iter().cloned());
            old.push(old_b.clone());
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("script-src 'nonce-N0NCE'"),
            );
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(html.len()));
            let page = Page::cut(
                &Bytes::from(html.clone()),
                &headers,
                "N0NCE".to_owned(),
                &old,
                0,
                Duration::from_secs(1),
            );
            let body = |response: Response| async move {
                let bytes = response.into_body().collect().await.unwrap().to_bytes();
                String::from_utf8(bytes.to_vec()).unwrap()
            };
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            runtime.block_on(async {
                let first = page.serve(&key);
                let policy = first.headers()[header::CONTENT_SECURITY_POLICY]
                    .to_str()
                    .unwrap()
                    .to_owned();
                assert!(first.headers().get(header::CONTENT_LENGTH).is_none());
                let first = body(first).await;
                let second = body(page.serve(&key)).await;
                for served in [&first, &second] {
                    assert!(!served.contains("N0NCE"), "{served}");
                    assert!(old.iter().all(|token| !served.contains(token.as_str())));
                    assert!(served.ends_with("-free text</p>"));
                }
                assert_ne!(first, second);
                let nonce = policy
                    .strip_prefix("script-src 'nonce-")
                    .and_then(|rest| rest.strip_suffix('\''))
                    .unwrap();
                assert!(first.starts_with(&format!("<script nonce=\"{nonce}\">x</script>")));
                // Fourteen forms, fourteen different tokens, each one this server's.
                let tokens: Vec<&str> = first
                    .split("value=\"")
                    .skip(1)
                    .map(|rest| rest.split('"').next().unwrap())
                    .collect();
                assert_eq!(tokens.len(), 14);
                let distinct: std::collections::HashSet<&&str> = tokens.iter().collect();
                assert_eq!(distinct.len(), 14);
                assert!(tokens
                    .iter()
                    .all(|token| crate::origin::check_form_token(&key, token)));
            });
        }
    }
}
