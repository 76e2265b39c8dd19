//! The browser end: the page's stream, and what it refreshes when something changed.
//!
//! Started once per page by the bundle ([`start`]). It collects the tags of the page's
//! [`Region`](crate::Region)s and [`Live`](super::Live) resources, subscribes to them with
//! their page's path, and on each revalidation refreshes exactly the parts it concerns:
//! regions by one fetch of the page (all of them at once), resources by their own read.
//! An action's answer in this tab goes through [`revalidate`] as well; its id makes sure the
//! same revalidation, heard again on the stream, is acted on once.

use super::{concerns, LiveEvent, EVENT};
use crate::protocol::{LIVE_ATTRIBUTE, LIVE_PATH, POSITION_META, REGION_ATTRIBUTE, TAGS_ATTRIBUTE};
use std::{cell::RefCell, collections::VecDeque, rc::Rc};
use wasm_bindgen::{closure::Closure, JsCast};

/// How many revalidation ids a page remembers having acted on.
const REMEMBERED: usize = 64;
/// The longest wait before reconnecting a stream the browser gave up on.
const MAX_BACKOFF_MS: i32 = 30_000;

type Listener = Closure<dyn FnMut(web_sys::Event)>;
/// What a resource does when its tags were revalidated (given the revalidation's id).
type Refetch = Rc<dyn Fn(&str)>;

struct Source {
    events: web_sys::EventSource,
    /// What it listens for (its path and tags).
    key: String,
    _listeners: [Listener; 3],
}

struct Watcher {
    id: u64,
    tags: Vec<String>,
    refetch: Refetch,
}

#[derive(Default)]
struct Page {
    handled: VecDeque<String>,
    watchers: Vec<Watcher>,
    next_watcher: u64,
    source: Option<Source>,
    connect_scheduled: bool,
    /// The last position heard of: the page's render, then each event's.
    since: Option<String>,
    backoff_ms: i32,
    refreshing: bool,
    waiting: Vec<String>,
}

thread_local! {
    static PAGE: RefCell<Page> = RefCell::new(Page::default());
}

/// Starts listening for the page's tags. Islands that hydrate after this join in: the
/// connection is made once the page is done hydrating, and remade if its tags change.
pub fn start() {
    let rendered = document()
        .and_then(|d| {
            d.query_selector(&format!("meta[name=\"{}\"]", POSITION_META))
                .ok()
        })
        .flatten()
        .and_then(|meta| meta.get_attribute("content"));
    PAGE.with_borrow_mut(|page| page.since = rendered);
    // A tab in the background holds no connection (browsers allow six per site over
    // HTTP/1.1, and every open tab would hold one): it closes its stream when hidden, and when
    // shown again reopens it where it left off, hearing what it missed meanwhile.
    if let Some(root) = document() {
        let on_visibility = Closure::<dyn FnMut()>::new(|| {
            let hidden = document().is_some_and(|d| d.hidden());
            if hidden {
                if let Some(source) = PAGE.with_borrow_mut(|page| page.source.take()) {
                    source.events.close();
                }
            } else {
                schedule_connect();
            }
        });
        let _ = root.add_event_listener_with_callback(
            "visibilitychange",
            on_visibility.as_ref().unchecked_ref(),
        );
        // For as long as the page lives.
        on_visibility.forget();
    }
    schedule_connect();
}

/// Calls `refetch` with the revalidation's id whenever one of `tags` is revalidated, until
/// [`unwatch`]. Returns the watch's id.
pub fn watch(tags: Vec<String>, refetch: Refetch) -> u64 {
    let id = PAGE.with_borrow_mut(|page| {
        page.next_watcher += 1;
        let id = page.next_watcher;
        page.watchers.push(Watcher { id, tags, refetch });
        id
    });
    schedule_connect();
    id
}

/// Ends the watch `id` (from [`watch`]); the stream follows only the tags still watched.
pub fn unwatch(id: u64) {
    PAGE.with_borrow_mut(|page| page.watchers.retain(|w| w.id != id));
    schedule_connect();
}

/// Acts on a revalidation (from this tab's action or from the stream), once per id:
/// refreshes the regions it concerns with one fetch of the page, and tells the resources it
/// concerns. Resolves when the regions are refreshed.
pub async fn revalidate(id: &str, items: &[String]) {
    let first = PAGE.with_borrow_mut(|page| {
        if page.handled.iter().any(|seen| seen == id) {
            return false;
        }
        if page.handled.len() == REMEMBERED {
            page.handled.pop_front();
        }
        page.handled.push_back(id.to_owned());
        true
    });
    if !first || items.is_empty() {
        return;
    }
    let path = pathname();
    let concerned = |tags: &[String]| items.iter().any(|item| concerns(item, &path, tags));

    let refetches: Vec<Refetch> = PAGE.with_borrow(|page| {
        page.watchers
            .iter()
            .filter(|w| concerned(&w.tags))
            .map(|w| w.refetch.clone())
            .collect()
    });
    for refetch in refetches {
        refetch(id);
    }

    let regions: Vec<String> = tagged_regions()
        .into_iter()
        .filter(|(_, tags)| concerned(tags))
        .map(|(name, _)| name)
        .collect();
    if !regions.is_empty() {
        refresh(regions).await;
    }
}

/// Refreshes the regions `names` from the page's current address (which a page may have
/// just changed, as a search box does). While a refresh is running, names asked for meanwhile
/// wait for the next one, so a burst costs at most two fetches and the last one shows.
pub async fn refresh(names: Vec<String>) {
    let start = PAGE.with_borrow_mut(|page| {
        for name in names.iter() {
            if !page.waiting.contains(name) {
                page.waiting.push(name.clone());
            }
        }
        !std::mem::replace(&mut page.refreshing, true)
    });
    if !start {
        return;
    }
    loop {
        let batch = PAGE.with_borrow_mut(|page| std::mem::take(&mut page.waiting));
        if batch.is_empty() {
            break;
        }
        let names: Vec<&str> = batch.iter().map(String::as_str).collect();
        if let Err(error) = crate::region::refresh_regions(&names).await {
            leptos::logging::warn!("could not refresh the page's regions: {error}");
        }
    }
    PAGE.with_borrow_mut(|page| page.refreshing = false);
    // Fresh markup may show other things (a new post and its tags).
    schedule_connect();
}

/// The page's tagged regions: each one's name and tags.
fn tagged_regions() -> Vec<(String, Vec<String>)> {
    let Some(found) =
        document().and_then(|d| d.query_selector_all(&format!("[{TAGS_ATTRIBUTE}]")).ok())
    else {
        return Vec::new();
    };
    (0..found.length())
        .filter_map(|i| found.item(i)?.dyn_into::<web_sys::Element>().ok())
        .filter_map(|element| {
            let name = element.get_attribute(REGION_ATTRIBUTE)?;
            let tags = element.get_attribute(TAGS_ATTRIBUTE)?;
            Some((name, tags.split_whitespace().map(str::to_owned).collect()))
        })
        .collect()
}

/// `data-fw-live="open"` on the root element while the stream is connected.
fn mark_live(open: bool) {
    if let Some(root) = document().and_then(|d| d.document_element()) {
        let _ = root.set_attribute(LIVE_ATTRIBUTE, if open { "open" } else { "closed" });
    }
}

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

fn pathname() -> String {
    web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_else(|| "/".to_owned())
}

fn schedule_connect() {
    schedule(0, || {
        PAGE.with_borrow_mut(|page| page.connect_scheduled = false);
        connect();
    });
}

/// Runs `then` after `delay_ms`, once per pending connect.
fn schedule(delay_ms: i32, then: impl FnOnce() + 'static) {
    let first = PAGE.with_borrow_mut(|page| !std::mem::replace(&mut page.connect_scheduled, true));
    if !first {
        return;
    }
    let callback = Closure::once_into_js(then);
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
            callback.unchecked_ref(),
            delay_ms,
        );
    }
}

/// Opens the stream for the page's current tags, or closes it when there are none. The
/// stream starts where the page last heard, so nothing in between is missed.
fn connect() {
    if document().is_some_and(|d| d.hidden()) {
        return;
    }
    let mut tags: Vec<String> = tagged_regions().into_iter().flat_map(|(_, t)| t).collect();
    PAGE.with_borrow(|page| {
        tags.extend(page.watchers.iter().flat_map(|w| w.tags.iter().cloned()));
    });
    tags.sort();
    tags.dedup();
    let key = format!("{} {}", pathname(), tags.join(" "));
    let unchanged = PAGE.with_borrow(|page| {
        page.source
            .as_ref()
            .is_some_and(|s| s.key == key && s.events.ready_state() != web_sys::EventSource::CLOSED)
    });
    if unchanged {
        return;
    }
    let old = PAGE.with_borrow_mut(|page| page.source.take());
    if let Some(old) = old {
        old.events.close();
    }
    if tags.is_empty() {
        return;
    }
    let Ok(query) = web_sys::UrlSearchParams::new() else {
        return;
    };
    query.append("path", &pathname());
    query.append("tags", &tags.join(" "));
    if let Some(since) = PAGE.with_borrow(|page| page.since.clone()) {
        query.append("since", &since);
    }
    let url = format!("{LIVE_PATH}?{}", String::from(query.to_string()));
    let Ok(events) = web_sys::EventSource::new(&url) else {
        return;
    };
    let on_event: Listener = Closure::new(|event: web_sys::Event| {
        let Some(message) = event.dyn_ref::<web_sys::MessageEvent>() else {
            return;
        };
        let position = message.last_event_id();
        if !position.is_empty() {
            PAGE.with_borrow_mut(|page| page.since = Some(position));
        }
        let Some(data) = message.data().as_string() else {
            return;
        };
        if let Ok(event) = serde_json::from_str::<LiveEvent>(&data) {
            leptos::task::spawn_local(async move { revalidate(&event.id, &event.items).await });
        }
    });
    let on_error: Listener = Closure::new(|_: web_sys::Event| {
        // The browser retries a dropped stream by itself (naming the last event it got); one
        // it gave up on (the server answered with an error) is retried here, waiting longer
        // each time.
        mark_live(false);
        let closed = PAGE.with_borrow(|page| {
            page.source
                .as_ref()
                .is_some_and(|s| s.events.ready_state() == web_sys::EventSource::CLOSED)
        });
        if closed {
            let delay = PAGE.with_borrow_mut(|page| {
                page.source = None;
                page.backoff_ms = (page.backoff_ms * 2).clamp(1_000, MAX_BACKOFF_MS);
                page.backoff_ms
            });
            schedule(delay, || {
                PAGE.with_borrow_mut(|page| page.connect_scheduled = false);
                connect();
            });
        } else {
            PAGE.with_borrow_mut(|page| page.backoff_ms = 0);
        }
    });
    // The page says whether it is live (for styles, and for tests to wait on).
    let on_open: Listener = Closure::new(|_: web_sys::Event| mark_live(true));
    let _ = events.add_event_listener_with_callback(EVENT, on_event.as_ref().unchecked_ref());
    let _ = events.add_event_listener_with_callback("open", on_open.as_ref().unchecked_ref());
    let _ = events.add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref());
    PAGE.with_borrow_mut(|page| {
        page.source = Some(Source {
            events,
            key,
            _listeners: [on_event, on_open, on_error],
        });
    });
}
