//! [`Live`]: data an island shows, kept current by its tags.

use leptos::prelude::*;
use server_fn::ServerFn;

/// Data an island shows, refetched from its read server function whenever one of its tags is
/// revalidated: by an action in this tab, in another tab, or on another instance. Nothing is
/// wired to any action by hand.
///
/// It starts from the value the server rendered the island with (no request on load). While
/// an [`Optimistic`](crate::optimistic::Optimistic) change of it is in flight, revalidations
/// wait: the action's own answer settles it, and anything else that changed meanwhile is
/// fetched once afterwards.
pub struct Live<T> {
    value: RwSignal<T>,
    #[cfg(feature = "hydrate")]
    control: StoredValue<Control<T>, LocalStorage>,
}

impl<T> Clone for Live<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Live<T> {}

#[cfg(feature = "hydrate")]
type Load<T> =
    std::rc::Rc<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<T>>>>>;

#[cfg(feature = "hydrate")]
struct Control<T> {
    load: Load<T>,
    loading: bool,
    again: bool,
    /// Changes in flight.
    held: usize,
    /// Revalidations heard while changes were in flight.
    deferred: Vec<String>,
    /// Revalidations an action's answer already brought the value of.
    satisfied: std::collections::VecDeque<String>,
}

impl<T> Live<T>
where
    T: Clone + Send + Sync + serde::de::DeserializeOwned + 'static,
{
    /// `initial` as rendered, refetched from `A` (a read server function without arguments,
    /// answering a GET; who is asking comes from the session) when one of `tags` changes.
    pub fn new<A>(initial: T, tags: Vec<String>) -> Self
    where
        A: ServerFn<Output = T>,
    {
        let value = RwSignal::new(initial);
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = tags;
            Self { value }
        }
        #[cfg(feature = "hydrate")]
        {
            let load: Load<T> = std::rc::Rc::new(|| {
                Box::pin(async {
                    let answer = crate::browser::fetch(A::PATH, "application/json", None)
                        .await
                        .ok()?;
                    if !answer.ok {
                        leptos::logging::warn!("could not refetch {}", A::PATH);
                        return None;
                    }
                    serde_json::from_str(&answer.text).ok()
                })
            });
            let control = StoredValue::new_local(Control {
                load,
                loading: false,
                again: false,
                held: 0,
                deferred: Vec::new(),
                satisfied: Default::default(),
            });
            let live = Self { value, control };
            let watch = crate::live::client::watch(
                tags,
                std::rc::Rc::new(move |id: &str| live.revalidated(id)),
            );
            on_cleanup(move || crate::live::client::unwatch(watch));
            live
        }
    }
}

impl<T: Clone + Send + Sync + 'static> Live<T> {
    /// The current value (tracked).
    pub fn get(&self) -> T {
        self.value.get()
    }

    pub(crate) fn signal(&self) -> RwSignal<T> {
        self.value
    }

    /// Fetches the value again now (a refetch already running is followed by one more).
    pub fn refetch(&self) {
        #[cfg(feature = "hydrate")]
        {
            let busy = self.control.try_update_value(|c| {
                if c.loading {
                    c.again = true;
                }
                std::mem::replace(&mut c.loading, true)
            });
            if busy != Some(false) {
                return;
            }
            let (value, control) = (self.value, self.control);
            leptos::task::spawn_local(async move {
                loop {
                    let Some(load) = control.try_with_value(|c| c.load.clone()) else {
                        return;
                    };
                    if let Some(fresh) = load().await {
                        value.try_set(fresh);
                    }
                    let again = control
                        .try_update_value(|c| std::mem::take(&mut c.again))
                        .unwrap_or(false);
                    if !again {
                        break;
                    }
                }
                control.try_update_value(|c| c.loading = false);
            });
        }
    }

    #[cfg(feature = "hydrate")]
    fn revalidated(&self, id: &str) {
        let fetch = self.control.try_update_value(|c| {
            if c.satisfied.iter().any(|s| s == id) {
                return false;
            }
            if c.held > 0 {
                c.deferred.push(id.to_owned());
                return false;
            }
            true
        });
        if fetch == Some(true) {
            self.refetch();
        }
    }

    /// A change is in flight: revalidations wait for it.
    pub(crate) fn hold(&self) {
        #[cfg(feature = "hydrate")]
        self.control.try_update_value(|c| c.held += 1);
    }

    /// A change ended. `answered`: the revalidation whose value its answer brought (so it is
    /// not fetched again). With `refetch`, or when something else changed meanwhile, the
    /// value is fetched once the last change in flight ended.
    pub(crate) fn release(&self, answered: Option<&str>, refetch: bool) {
        #[cfg(feature = "hydrate")]
        {
            let fetch = self.control.try_update_value(|c| {
                c.held = c.held.saturating_sub(1);
                if let Some(id) = answered {
                    c.deferred.retain(|d| d != id);
                    if c.satisfied.len() == 16 {
                        c.satisfied.pop_front();
                    }
                    c.satisfied.push_back(id.to_owned());
                }
                if c.held == 0 && (refetch || !c.deferred.is_empty()) {
                    c.deferred.clear();
                    return true;
                }
                false
            });
            if fetch == Some(true) {
                self.refetch();
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (answered, refetch);
    }
}

#[cfg(all(test, not(feature = "hydrate")))]
impl<T: Send + Sync + 'static> Live<T> {
    /// A value that is never refetched, for tests of what builds on it.
    pub(crate) fn fixed(value: T) -> Self {
        Self {
            value: RwSignal::new(value),
        }
    }
}
