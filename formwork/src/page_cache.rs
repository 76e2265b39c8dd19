//! Shared pages: a page that is the same for every visitor who sends no cookies is rendered
//! once and then served from memory, until any revalidation or its `max_age`. The analogue of
//! Next.js' full route cache with `export const revalidate = …`, opted into by the page:
//!
//! ```
//! use formwork::prelude::*;
//! use std::time::Duration;
//!
//! #[component]
//! fn PostsPage() -> impl IntoView {
//!     // The same for every signed-out visitor; its data comes through `formwork::cache`.
//!     formwork::page_cache::share(Duration::from_secs(60));
//!     view! { <h1>"Posts"</h1> }
//! }
//! ```
//!
//! What is shared, and what is not:
//!
//! - Only a `GET` with no `Cookie` and no `Authorization` header is served from memory or
//!   kept: a signed-in visitor, or one with a message waiting (a flash), always gets a render
//!   of their own. So is every request of the browser runtime.
//! - Only a `200` HTML page that sets no cookie is kept, and only when the page said
//!   [`share`] during its render.
//! - Each copy served gets its own script nonce (in the page and in its
//!   `Content-Security-Policy`) and a fresh one-time token for every form on it: the holes
//!   left in the kept page. Nothing else of a render is per request for a visitor without
//!   cookies.
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
//! 1,000 by default: the oldest go first) and in size (1 MiB each); `/metrics` counts them.

use std::time::Duration;

/// Says that this page, rendered for a visitor who sends no cookies, may be served to every
/// such visitor for up to `max_age`, or until anything is revalidated (see the module).
/// Call it in the page's component, on the server; in the browser it does nothing.
pub fn share(max_age: Duration) {
    #[cfg(feature = "ssr")]
    if let Some(recording) = server::recording() {
        crate::cache::unpoisoned(recording.0.lock()).max_age = Some(max_age);
    }
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
        if let Some(recording) = recording() {
            unpoisoned(recording.0.lock()).nonce = Some(nonce.to_owned());
        }
    }

    /// The shared pages kept in memory (cheap to clone).
    #[derive(Clone)]
    pub struct PageCache {
        inner: Arc<Inner>,
    }

    struct Inner {
        pages: RwLock<HashMap<String, Arc<Page>>>,
        /// Keys in the order they were kept, with the page's sequence number: the oldest go
        /// first past the capacity.
        order: Mutex<(VecDeque<(String, u64)>, u64)>,
        capacity: usize,
        /// Its purges end the kept pages.
        data: DataCache,
        /// Signs the fresh form tokens.
        key: SigningKey,
        hits: AtomicU64,
        kept: AtomicU64,
    }

    /// What the shared pages have done since the process started.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct PageCacheStats {
        /// Requests answered with a kept page.
        pub hits: u64,
        /// Renders kept.
        pub kept: u64,
        /// Pages held now (some may have ended, and wait to be replaced).
        pub pages: u64,
    }

    /// A kept page: its head, and its body in pieces around the holes.
    struct Page {
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
                    pages: RwLock::default(),
                    order: Mutex::default(),
                    capacity,
                    data,
                    key,
                    hits: AtomicU64::new(0),
                    kept: AtomicU64::new(0),
                }),
            }
        }

        /// The counts so far.
        pub fn stats(&self) -> PageCacheStats {
            PageCacheStats {
                hits: self.inner.hits.load(Ordering::Relaxed),
                kept: self.inner.kept.load(Ordering::Relaxed),
                pages: unpoisoned(self.inner.pages.read()).len() as u64,
            }
        }

        fn live(&self, key: &str) -> Option<Arc<Page>> {
            let epoch = self.inner.data.epoch();
            let now = Instant::now();
            unpoisoned(self.inner.pages.read())
                .get(key)
                .filter(|page| page.epoch == epoch && now < page.expires_at)
                .cloned()
        }

        fn keep(&self, key: String, page: Page) {
            let mut order = unpoisoned(self.inner.order.lock());
            let (queue, next) = &mut *order;
            let seq = *next;
            *next += 1;
            let mut pages = unpoisoned(self.inner.pages.write());
            pages.insert(key.clone(), Arc::new(Page { seq, ..page }));
            queue.push_back((key, seq));
            while pages.len() > self.inner.capacity {
                let Some((oldest, seq)) = queue.pop_front() else {
                    break;
                };
                if pages.get(&oldest).is_some_and(|page| page.seq == seq) {
                    pages.remove(&oldest);
                }
            }
            // Keys replaced since they were queued leave stale places behind: drop them
            // when they outnumber the pages, so the queue stays bounded too.
            if queue.len() > 2 * self.inner.capacity.max(16) {
                queue.retain(|(key, seq)| pages.get(key).is_some_and(|page| page.seq == *seq));
            }
            self.inner.kept.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether this request may be answered with a shared page: nothing in it is the
    /// visitor's own.
    fn is_anonymous_get(request: &Request) -> bool {
        let headers = request.headers();
        request.method() == http::Method::GET
            && !headers.contains_key(header::COOKIE)
            && !headers.contains_key(header::AUTHORIZATION)
            && !headers.contains_key(crate::protocol::ENHANCED_HEADER)
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
        if cache.inner.capacity == 0 || !is_anonymous_get(&request) {
            return next.run(request).await;
        }
        let Some(key) = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
        else {
            return next.run(request).await;
        };
        if let Some(page) = cache.live(&key) {
            cache.inner.hits.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(page = key, "shared page served from memory");
            return page.serve(&cache.inner.key);
        }
        let epoch = cache.inner.data.epoch();
        let recording = Recording::default();
        request.extensions_mut().insert(recording.clone());
        let response = next.run(request).await;
        let notes = std::mem::take(&mut *unpoisoned(recording.0.lock()));
        let (Some(max_age), Some(nonce)) = (notes.max_age, notes.nonce) else {
            return response;
        };
        if max_age.is_zero() || !is_keepable(&response) {
            return response;
        }
        let (parts, body) = response.into_parts();
        match whole(body).await {
            Ok(bytes) => {
                let page = Page::cut(&bytes, &parts.headers, nonce, &notes.tokens, epoch, max_age);
                cache.keep(key, page);
                Response::from_parts(parts, Body::from(bytes))
            }
            Err(rest) => Response::from_parts(parts, rest),
        }
    }

    /// The body whole, or (past [`MAX_PAGE_BYTES`], or on an error) a body that gives what was
    /// read and then the rest, unchanged.
    async fn whole(mut body: Body) -> Result<Bytes, Body> {
        let mut read = BytesMut::new();
        loop {
            match body.frame().await {
                None => return Ok(read.freeze()),
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => {
                        read.extend_from_slice(&data);
                        if read.len() > MAX_PAGE_BYTES {
                            return Err(resumed(read.freeze(), body));
                        }
                    }
                    // Trailers: a page has none; not worth keeping.
                    Err(_) => return Err(resumed(read.freeze(), body)),
                },
                Some(Err(error)) => {
                    tracing::debug!(%error, "a shared page's body failed: not kept");
                    let failed =
                        futures::stream::iter([Ok::<_, axum::Error>(read.freeze()), Err(error)]);
                    return Err(Body::from_stream(failed));
                }
            }
        }
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
            let mut holes: Vec<(usize, usize, Piece)> = Vec::new();
            let mut find = |needle: &str, piece: &dyn Fn() -> Piece| {
                let needle = needle.as_bytes();
                if needle.is_empty() {
                    return;
                }
                let mut from = 0;
                while let Some(at) = body[from..]
                    .windows(needle.len())
                    .position(|window| window == needle)
                {
                    holes.push((from + at, needle.len(), piece()));
                    from += at + needle.len();
                }
            };
            find(&nonce, &|| Piece::Nonce);
            for (i, token) in tokens.iter().enumerate() {
                find(token, &|| Piece::Token(i));
            }
            holes.sort_by_key(|(at, _, _)| *at);
            let mut pieces = Vec::with_capacity(holes.len() * 2 + 1);
            let mut from = 0;
            for (at, len, piece) in holes {
                // Overlaps cannot happen (a nonce and a token share no text), but a kept page
                // must never be garbled if one did.
                if at < from {
                    continue;
                }
                pieces.push(Piece::Text(body.slice(from..at)));
                pieces.push(piece);
                from = at + len;
            }
            pieces.push(Piece::Text(body.slice(from..)));
            let mut headers = headers.clone();
            headers.remove(header::CONTENT_LENGTH);
            Self {
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
        fn a_kept_page_gets_its_own_nonce_and_tokens_for_each_visitor() {
            let key = SigningKey::random();
            let (old_a, old_b) = (
                crate::origin::new_form_token(&key),
                crate::origin::new_form_token(&key),
            );
            let html = format!(
                "<script nonce=\"N0NCE\">x</script><form><input value=\"{old_a}\"></form>\
                 <form><input value=\"{old_b}\"></form><p>N0NCE-free text</p>"
            );
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
                &[old_a.clone(), old_b.clone()],
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
                    assert!(!served.contains(&old_a) && !served.contains(&old_b));
                    assert!(served.ends_with("-free text</p>"));
                }
                assert_ne!(first, second);
                let nonce = policy
                    .strip_prefix("script-src 'nonce-")
                    .and_then(|rest| rest.strip_suffix('\''))
                    .unwrap();
                assert!(first.starts_with(&format!("<script nonce=\"{nonce}\">x</script>")));
                // Two forms, two different tokens, each one this server's.
                let tokens: Vec<&str> = first
                    .split("value=\"")
                    .skip(1)
                    .map(|rest| rest.split('"').next().unwrap())
                    .collect();
                assert_eq!(tokens.len(), 2);
                assert_ne!(tokens[0], tokens[1]);
                assert!(tokens
                    .iter()
                    .all(|token| crate::origin::check_form_token(&key, token)));
            });
        }
    }
}
