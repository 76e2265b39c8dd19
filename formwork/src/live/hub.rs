//! The server end: one hub per process, and the SSE stream each open page holds.

use super::{concerns, owner_of, LiveEvent, EVENT, MAX_TAGS, MAX_TAG_LEN};
use crate::{
    identity::Principal,
    messages::{say, text, Message},
};
use axum::{
    extract::{RawQuery, State},
    http::{header, HeaderValue, StatusCode},
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
    Extension,
};
use std::{
    collections::VecDeque,
    convert::Infallible,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};
use tokio::sync::{broadcast, watch};

/// How many revalidations a slow page may fall behind, or miss while it reconnects, and still
/// hear each of them; past that it is told to refresh everything.
const BACKLOG: usize = 256;
/// A comment every so often keeps proxies from closing an idle stream, and finds the
/// connections of pages that went away.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// What the browser waits before reconnecting a dropped stream.
const RETRY: Duration = Duration::from_secs(1);

/// Fans this instance's revalidations (its own actions' and, through the bus, the other
/// instances') out to the pages that have a stream open. With no page open, a revalidation
/// costs one check of a counter.
#[derive(Clone)]
pub struct LiveHub {
    inner: Arc<Inner>,
}

struct Inner {
    /// Names this process in positions, so a page that reconnects elsewhere is told.
    instance: String,
    events: broadcast::Sender<Numbered>,
    /// The last [`BACKLOG`] revalidations, for pages that come back (and pages just rendered).
    recent: Mutex<Recent>,
    closing: watch::Sender<bool>,
    open: AtomicUsize,
}

#[derive(Default)]
struct Recent {
    last: u64,
    events: VecDeque<Numbered>,
}

/// A revalidation with its place in this instance's sequence.
type Numbered = (u64, Arc<LiveEvent>);

impl Default for LiveHub {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveHub {
    /// A hub with no page connected, under a fresh instance id.
    pub fn new() -> Self {
        let (events, _) = broadcast::channel(BACKLOG);
        let (closing, _) = watch::channel(false);
        Self {
            inner: Arc::new(Inner {
                instance: uuid::Uuid::new_v4().simple().to_string()[..12].to_owned(),
                events,
                recent: Mutex::new(Recent::default()),
                closing,
                open: AtomicUsize::new(0),
            }),
        }
    }

    /// Tells every open page; returns how many streams heard it.
    pub fn publish(&self, event: LiveEvent) -> usize {
        let numbered = {
            let mut recent = self.inner.recent.lock().unwrap_or_else(|e| e.into_inner());
            recent.last += 1;
            let numbered = (recent.last, Arc::new(event));
            if recent.events.len() == BACKLOG {
                recent.events.pop_front();
            }
            recent.events.push_back(numbered.clone());
            numbered
        };
        self.inner.events.send(numbered).unwrap_or(0)
    }

    /// Where this instance's sequence stands now, as a page rendered now records it
    /// (`instance:number`): a stream opened `since` it replays whatever came after.
    pub fn position(&self) -> String {
        let last = self.inner.recent.lock().map_or(0, |recent| recent.last);
        format!("{}:{last}", self.inner.instance)
    }

    /// What came after `since` (a [`position`](Self::position)), or `None` when that is not
    /// known here any more (another instance's, or older than the backlog).
    fn since(&self, since: &str) -> Option<Vec<Numbered>> {
        let (instance, number) = since.split_once(':')?;
        let number: u64 = number.parse().ok()?;
        if instance != self.inner.instance {
            return None;
        }
        let recent = self.inner.recent.lock().ok()?;
        let oldest = recent.events.front().map_or(recent.last + 1, |(n, _)| *n);
        if number > recent.last || number + 1 < oldest {
            return None;
        }
        Some(
            recent
                .events
                .iter()
                .filter(|(n, _)| *n > number)
                .cloned()
                .collect(),
        )
    }

    /// How many pages hold a stream open now.
    pub fn open_streams(&self) -> usize {
        self.inner.open.load(Ordering::Relaxed)
    }

    /// Ends every stream (the server is shutting down); browsers reconnect to another
    /// instance or once this one is back.
    pub fn close(&self) {
        self.inner.closing.send_replace(true);
    }
}

/// What one page listens for: its tags and its path.
#[derive(Debug, PartialEq, Eq)]
struct Subscription {
    path: String,
    tags: Vec<String>,
    /// The position the page last heard of (its render, or its last event).
    since: Option<String>,
}

impl Subscription {
    /// From the stream's query (`path=/posts&tags=posts+comments:7`). Private tags of anyone
    /// but `viewer` are dropped: their changes are not this page's business.
    fn parse(query: &str, viewer: Option<&Principal>) -> Result<Self, String> {
        let mut path = None;
        let mut since = None;
        let mut tags = Vec::new();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match &*key {
                "path" => path = Some(value.into_owned()),
                "since" if value.len() <= 64 => since = Some(value.into_owned()),
                "tags" => tags.extend(value.split_whitespace().map(str::to_owned)),
                _ => {}
            }
        }
        let path = path.unwrap_or_else(|| "/".to_owned());
        if !path.starts_with('/') || path.len() > 2048 || path.chars().any(char::is_control) {
            return Err(text(Message::LivePath).into_owned());
        }
        if tags.len() > MAX_TAGS {
            return Err(say(Message::LiveTooManyTags, &[("max", &MAX_TAGS)]));
        }
        if tags
            .iter()
            .any(|t| t.len() > MAX_TAG_LEN || t.chars().any(char::is_control))
        {
            return Err(say(Message::LiveTag, &[("max", &MAX_TAG_LEN)]));
        }
        tags.retain(|tag| match owner_of(tag) {
            Some(owner) => viewer.is_some_and(|v| v.user_id == owner),
            None => true,
        });
        tags.sort();
        tags.dedup();
        Ok(Self { path, tags, since })
    }

    /// The part of `event` this page must act on, if any.
    fn filter(&self, event: &LiveEvent) -> Option<LiveEvent> {
        let items: Vec<String> = event
            .items
            .iter()
            .filter(|item| concerns(item, &self.path, &self.tags))
            .cloned()
            .collect();
        (!items.is_empty()).then(|| LiveEvent {
            id: event.id.clone(),
            items,
        })
    }
}

/// Counts a stream as open for as long as it lives.
struct Open(LiveHub);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.inner.open.fetch_sub(1, Ordering::Relaxed);
    }
}

struct Listening {
    hub: LiveHub,
    subscription: Subscription,
    events: broadcast::Receiver<Numbered>,
    /// Replayed on connecting: what the page missed since it last heard.
    replay: VecDeque<Numbered>,
    /// The last number sent, so nothing goes out twice.
    sent: u64,
    closing: watch::Receiver<bool>,
    _open: Open,
}

/// `GET /_formwork/live`: a Server-Sent Events stream of the revalidations that concern the
/// page (see the module). 400 with the reason for a subscription it cannot serve.
pub async fn stream(
    State(hub): State<LiveHub>,
    viewer: Option<Extension<Principal>>,
    headers: axum::http::HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let viewer = viewer.map(|Extension(v)| v);
    let mut subscription =
        match Subscription::parse(query.as_deref().unwrap_or(""), viewer.as_ref()) {
            Ok(subscription) => subscription,
            Err(message) => return (StatusCode::BAD_REQUEST, message).into_response(),
        };
    // The browser's own reconnect names the last event it got.
    if let Some(last) = headers.get("last-event-id").and_then(|v| v.to_str().ok()) {
        subscription.since = Some(last.to_owned());
    }
    let listening = Listening::new(&hub, subscription);
    let first = futures::stream::once(async { Ok::<_, Infallible>(Event::default().retry(RETRY)) });
    let events = futures::stream::unfold(listening, |mut listening| async move {
        let (number, event) = next_event(&mut listening).await?;
        let data = serde_json::to_string(&event).ok()?;
        let id = format!("{}:{number}", listening.hub.inner.instance);
        Some((
            Ok(Event::default().event(EVENT).id(id).data(data)),
            listening,
        ))
    });
    let mut response = Sse::new(futures::StreamExt::chain(first, events))
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Proxies that buffer responses (nginx) would hold the events back.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

impl Listening {
    /// Subscribes first, then looks back: nothing published in between is lost, and the
    /// sequence numbers keep anything from going out twice.
    fn new(hub: &LiveHub, subscription: Subscription) -> Self {
        hub.inner.open.fetch_add(1, Ordering::Relaxed);
        let events = hub.inner.events.subscribe();
        let mut replay = VecDeque::new();
        if let Some(since) = &subscription.since {
            match hub.since(since) {
                Some(missed) => replay.extend(missed),
                // Not known here (another instance's position, or too long ago): whatever
                // was missed, refreshing everything covers it.
                None => replay.push_back((0, Arc::new(LiveEvent::everything()))),
            }
        }
        Self {
            hub: hub.clone(),
            subscription,
            events,
            replay,
            sent: 0,
            closing: hub.inner.closing.subscribe(),
            _open: Open(hub.clone()),
        }
    }
}

/// The next event for this page, with its number; `None` ends the stream (the server is
/// shutting down).
async fn next_event(listening: &mut Listening) -> Option<Numbered> {
    while let Some((number, event)) = listening.replay.pop_front() {
        listening.sent = listening.sent.max(number);
        if let Some(event) = listening.subscription.filter(&event) {
            return Some((number, Arc::new(event)));
        }
    }
    loop {
        if *listening.closing.borrow() {
            return None;
        }
        tokio::select! {
            _ = listening.closing.changed() => return None,
            received = listening.events.recv() => match received {
                Ok((number, _)) if number <= listening.sent => {}
                Ok((number, event)) => {
                    listening.sent = number;
                    if let Some(event) = listening.subscription.filter(&event) {
                        return Some((number, Arc::new(event)));
                    }
                }
                // Fell behind: whatever was missed, refreshing everything covers it.
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "a live stream fell behind; its page refreshes everything");
                    return Some((listening.sent, Arc::new(LiveEvent::everything())));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            },
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{identity::Rank, live::EVERYTHING};

    fn posts(id: &str) -> LiveEvent {
        LiveEvent {
            id: id.into(),
            items: vec!["tag:posts".into()],
        }
    }

    fn listen(hub: &LiveHub, query: &str) -> Listening {
        Listening::new(hub, Subscription::parse(query, None).unwrap())
    }

    #[tokio::test]
    async fn a_page_hears_what_came_after_it_was_rendered_once_and_in_order() {
        let hub = LiveHub::new();
        hub.publish(posts("before"));
        let rendered = hub.position();
        hub.publish(posts("a"));
        hub.publish(LiveEvent {
            id: "other".into(),
            items: vec!["tag:newsletter".into()],
        });
        let mut page = listen(&hub, &format!("tags=posts&since={rendered}"));
        hub.publish(posts("b"));
        let mut heard = Vec::new();
        for _ in 0..2 {
            heard.push(next_event(&mut page).await.unwrap().1.id.clone());
        }
        assert_eq!(
            heard,
            ["a", "b"],
            "what it missed, then what is new; nothing twice"
        );
    }

    #[tokio::test]
    async fn a_position_not_known_here_makes_the_page_refresh_everything() {
        let (hub, elsewhere) = (LiveHub::new(), LiveHub::new());
        elsewhere.publish(posts("x"));
        let mut page = listen(&hub, &format!("tags=posts&since={}", elsewhere.position()));
        let (_, event) = next_event(&mut page).await.unwrap();
        assert_eq!(event.items, [EVERYTHING]);

        for _ in 0..BACKLOG + 2 {
            hub.publish(posts("old"));
        }
        let mut late = listen(&hub, &format!("tags=posts&since={}:1", hub.inner.instance));
        assert_eq!(next_event(&mut late).await.unwrap().1.items, [EVERYTHING]);
        let mut garbage = listen(&hub, "tags=posts&since=nonsense");
        assert_eq!(
            next_event(&mut garbage).await.unwrap().1.items,
            [EVERYTHING]
        );
    }

    fn ada() -> Principal {
        Principal {
            user_id: 7,
            username: "ada".into(),
            rank: Rank(0),
        }
    }

    #[test]
    fn a_subscription_names_a_path_and_tags_and_keeps_only_its_viewers_private_tags() {
        let parsed = Subscription::parse(
            "path=%2Ftodos&tags=user%3A7%3Atodos+posts+user%3A8%3Atodos+posts",
            Some(&ada()),
        )
        .unwrap();
        assert_eq!(
            parsed,
            Subscription {
                path: "/todos".into(),
                tags: vec!["posts".into(), "user:7:todos".into()],
                since: None,
            }
        );
        let anonymous = Subscription::parse("path=/todos&tags=user:7:todos", None).unwrap();
        assert!(anonymous.tags.is_empty());
    }

    #[test]
    fn a_subscription_it_cannot_serve_is_explained() {
        let many = (0..=MAX_TAGS)
            .map(|i| format!("t{i}"))
            .collect::<Vec<_>>()
            .join("+");
        for query in [
            "path=posts".to_owned(),
            "path=http://evil.example/".to_owned(),
            format!("tags={many}"),
            format!("tags={}", "x".repeat(MAX_TAG_LEN + 1)),
            "tags=a%00b".to_owned(),
        ] {
            assert!(Subscription::parse(&query, None).is_err(), "{query}");
        }
    }

    #[test]
    fn a_page_hears_only_what_concerns_it() {
        let subscription = Subscription::parse("path=/posts&tags=posts", None).unwrap();
        let event = LiveEvent {
            id: "1".into(),
            items: vec![
                "tag:newsletter".into(),
                "tag:posts".into(),
                "path:/posts".into(),
            ],
        };
        assert_eq!(
            subscription.filter(&event).unwrap().items,
            ["tag:posts", "path:/posts"]
        );
        let elsewhere = LiveEvent {
            id: "2".into(),
            items: vec!["tag:newsletter".into()],
        };
        assert_eq!(subscription.filter(&elsewhere), None);
    }

    #[tokio::test]
    async fn with_no_page_open_a_revalidation_reaches_no_one_and_costs_nothing() {
        let hub = LiveHub::new();
        let event = LiveEvent {
            id: "1".into(),
            items: vec!["tag:posts".into()],
        };
        assert_eq!(hub.publish(event.clone()), 0);
        assert_eq!(hub.open_streams(), 0);
        let mut listening = Listening::new(&hub, Subscription::parse("tags=posts", None).unwrap());
        assert_eq!(hub.open_streams(), 1);
        assert_eq!(hub.publish(event.clone()), 1);
        assert_eq!(next_event(&mut listening).await, Some((2, Arc::new(event))));
        hub.close();
        assert_eq!(
            next_event(&mut listening).await,
            None,
            "closing ends the stream"
        );
        drop(listening);
        assert_eq!(hub.open_streams(), 0);
    }
}
