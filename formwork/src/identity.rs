//! Who is asking: the signed-in user behind a request, from a session kept in the database.
//!
//! A session is a random 256-bit token in an `HttpOnly`, `SameSite=Lax` cookie (`Secure` and
//! named `__Host-fw_session` on https, see [`crate::cookies::CookiePolicy`]). The database keeps only the token's SHA-256, so a leaked table opens no session.
//! Signing in always starts a new session (the old token, if any, is deleted): a session id
//! planted before sign-in is worth nothing after it.
//!
//! The pipeline resolves the session once per request, before an action's arguments are
//! read, checks the action's declared [`Access`](crate::registry::Access), and hands the
//! [`Principal`] to the action and the page ([`current`]).

use serde::{Deserialize, Serialize};

/// How much a signed-in user may do: a higher rank may do whatever a lower one may. The app
/// names its roles and gives each a rank (its principals query answers the rank): formwork
/// only compares them.
///
/// ```
/// use formwork::identity::Rank;
///
/// #[derive(Clone, Copy)]
/// enum Role { Member, Editor }
///
/// impl Role {
///     const fn rank(self) -> Rank {
///         Rank(self as u8)
///     }
/// }
///
/// assert!(Role::Editor.rank() > Role::Member.rank());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Rank(pub u8);

/// One of a user's live sessions, as a session list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// When it started (Unix seconds).
    pub created_at: i64,
    /// Until when it lasts (Unix seconds).
    pub expires_at: i64,
    /// The `User-Agent` the browser sent when signing in (at most 200 characters).
    pub user_agent: String,
    /// Whether it is the session of the request being served.
    pub current: bool,
}

/// A signed-in user, as the session names them (the app's principals query).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The app's id of the user (what sessions are started for).
    pub user_id: i64,
    /// The name the user signs in with.
    pub username: String,
    /// How much they may do.
    pub rank: Rank,
}

impl Principal {
    /// Whether the user's rank is `rank` or higher (`rank`: a [`Rank`], or the app's role
    /// that converts into one).
    pub fn is_at_least(&self, rank: impl Into<Rank>) -> bool {
        self.rank >= rank.into()
    }
}

/// The signed-in user of the request being served (an action or a page), if any.
pub fn current() -> Option<Principal> {
    #[cfg(feature = "ssr")]
    {
        crate::request::with(|parts| parts.extensions.get::<Principal>().cloned()).flatten()
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// The signed-in user, or 401: for actions that act on the user's own things.
pub fn signed_in() -> Result<Principal, crate::ActionError> {
    current().ok_or(crate::ActionError::Unauthenticated)
}

/// The signed-in user if they have at least `rank` (or the app's role that converts into
/// one): 401 when nobody is signed in, 403 when the rank is too low. For reads a page calls
/// directly (the pipeline checks an action's declared access only when it is called over
/// HTTP).
#[cfg(feature = "ssr")]
pub fn require(rank: impl Into<Rank>) -> Result<Principal, crate::ActionError> {
    let who = current();
    crate::registry::Access::AtLeast(rank.into()).admits(who.as_ref())?;
    who.ok_or(crate::ActionError::Unauthenticated)
}

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use super::{Principal, SessionInfo};
    use crate::{protocol::SESSION_COOKIE, ActionError};
    use axum::http::{header, HeaderMap, HeaderValue};
    use sha2::{Digest, Sha256};
    use std::{
        collections::HashMap,
        sync::{Arc, Mutex},
        time::{Duration, Instant},
    };

    /// Where sessions are kept (the server's database; every instance shares it).
    #[async_trait::async_trait]
    pub trait SessionStore: Send + Sync + 'static {
        /// The user of the live session whose token hashes to `token_hash`.
        async fn session_user(
            &self,
            token_hash: &str,
            now: i64,
        ) -> Result<Option<Principal>, String>;

        /// Starts a session for `user_id` until `expires_at` (unix seconds).
        async fn insert_session(
            &self,
            token_hash: &str,
            user_id: i64,
            created_at: i64,
            expires_at: i64,
            user_agent: &str,
        ) -> Result<(), String>;

        /// Ends one session (nothing happens if it is gone already).
        async fn delete_session(&self, token_hash: &str) -> Result<(), String>;

        /// The live sessions of `user_id`, newest first.
        async fn user_sessions(&self, user_id: i64, now: i64)
            -> Result<Vec<StoredSession>, String>;

        /// Ends every session of `user_id` but the one whose token hashes to `keep`. Returns
        /// how many ended.
        async fn delete_other_sessions(&self, user_id: i64, keep: &str) -> Result<u64, String>;
    }

    /// A session row.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct StoredSession {
        /// The hash of the session's cookie token ([`hash`]); the token itself is never kept.
        pub token_hash: String,
        /// When it started (Unix seconds).
        pub created_at: i64,
        /// Until when it lasts (Unix seconds).
        pub expires_at: i64,
        /// The `User-Agent` the browser sent when signing in (at most 200 characters).
        pub user_agent: String,
    }

    /// How long a session this instance resolved stays usable from memory while the store
    /// cannot be read (see [`Sessions::resolve`]).
    pub const REMEMBERED_FOR: Duration = Duration::from_secs(10 * 60);
    /// How long a session this instance resolved is used without asking the store again,
    /// unless the builder says otherwise: what a signed-in page view saves is the session
    /// query. Sign-out, "sign out everywhere else" and [`refresh_user`] reach every instance
    /// at once through the invalidation bus, so the cache never outlives them.
    pub const FRESH_FOR: Duration = Duration::from_secs(5);

    /// What the invalidation bus carries for sessions (never shown to a page): one session
    /// ended (`session:<token hash>`), or every cached session of a user stale
    /// (`user:<id>`).
    pub const ENDED_SESSION: &str = "session:";
    /// See [`ENDED_SESSION`].
    pub const CHANGED_USER: &str = "user:";

    /// A store's answer for one session (its user, or none), when it was given, and whether
    /// it may still stand in for the store (see [`FRESH_FOR`]).
    type Remembered = (Option<Principal>, Instant, bool);

    /// How many sessions this instance remembers at most.
    const REMEMBERED_MAX: usize = 100_000;

    /// Sessions: the store, and how their cookie is made.
    #[derive(Clone)]
    pub struct Sessions {
        store: Arc<dyn SessionStore>,
        cookies: crate::cookies::CookiePolicy,
        lifetime: Duration,
        /// How long an answer of the store is used without asking again (see [`FRESH_FOR`]).
        fresh_for: Duration,
        /// What tells the other instances that a session ended or a user changed.
        bus: Option<Arc<dyn crate::invalidation::InvalidationBus>>,
        /// The last answer the store gave per token hash, and when: used for [`FRESH_FOR`]
        /// after it, and for longer while the store cannot be read, so an outage never signs
        /// anyone out.
        remembered: Arc<Mutex<HashMap<String, Remembered>>>,
        /// Counts what made remembered answers stale (a session forgotten, the bus lost): an
        /// answer the store gave while one happened is not used as fresh, since it may be
        /// the one just ended.
        forgotten: Arc<std::sync::atomic::AtomicU64>,
        /// When the store last failed: for a moment after, lookups do not wait on it again.
        failed_at: Arc<Mutex<Option<Instant>>>,
    }

    /// How long after a failed lookup the store is not asked again.
    const RETRY_STORE_AFTER: Duration = Duration::from_secs(5);

    impl Sessions {
        /// Sessions kept in `store`, each lasting `lifetime` from sign-in; `https` when the
        /// site is served over https (the cookie `Secure` and `__Host-` named, see
        /// [`CookiePolicy`](crate::cookies::CookiePolicy)).
        pub fn new(store: Arc<dyn SessionStore>, https: bool, lifetime: Duration) -> Self {
            Self {
                store,
                cookies: crate::cookies::CookiePolicy::new(https),
                lifetime,
                fresh_for: FRESH_FOR,
                bus: None,
                remembered: Arc::default(),
                forgotten: Arc::default(),
                failed_at: Arc::default(),
            }
        }

        /// Uses a resolved session for `fresh_for` without asking the store again
        /// ([`FRESH_FOR`] by default; zero asks every time).
        pub fn fresh_for(mut self, fresh_for: Duration) -> Self {
            self.fresh_for = fresh_for;
            self
        }

        /// Tells the other instances through `bus` when a session ends or a user changes,
        /// and hears the same from them (see [`Sessions::hear`]).
        pub fn with_bus(mut self, bus: Arc<dyn crate::invalidation::InvalidationBus>) -> Self {
            self.bus = Some(bus);
            self
        }

        /// The remembered answer for `token_hash`, while it is fresh.
        fn fresh(&self, token_hash: &str) -> Option<Option<Principal>> {
            let remembered = self.remembered.lock().ok()?;
            remembered
                .get(token_hash)
                .filter(|(_, at, fresh)| *fresh && at.elapsed() < self.fresh_for)
                .map(|(principal, _, _)| principal.clone())
        }

        /// Applies what another instance said about sessions (`session:…` and `user:…`
        /// items); other items are not about sessions and are left alone.
        pub fn hear(&self, items: &[String]) {
            for item in items {
                if let Some(ended) = item.strip_prefix(ENDED_SESSION) {
                    self.forget(|hash, _| hash != ended);
                } else if let Some(user) = item.strip_prefix(CHANGED_USER) {
                    if let Ok(user) = user.parse::<i64>() {
                        self.forget(|_, principal| principal.is_none_or(|p| p.user_id != user));
                    }
                }
            }
        }

        /// What this instance heard may be incomplete (the bus lost its connection): no
        /// remembered answer stands in for the store any more, except during an outage.
        pub fn missed_some(&self) {
            self.forgotten
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if let Ok(mut remembered) = self.remembered.lock() {
                remembered.values_mut().for_each(|entry| entry.2 = false);
            }
        }

        /// Tells the other instances `item` (an ended session, a changed user).
        async fn tell_others(&self, item: String) {
            if let Some(bus) = &self.bus {
                tell(bus.as_ref(), item).await;
            }
        }

        /// The user's sessions are to be read afresh from the store, on every instance: after
        /// a change to what the principals query returns (a role).
        pub async fn user_changed(&self, user_id: i64) {
            self.forget(|_, principal| principal.is_none_or(|p| p.user_id != user_id));
            self.tell_others(format!("{CHANGED_USER}{user_id}")).await;
        }

        fn remember(&self, token_hash: &str, principal: Option<&Principal>, fresh: bool) {
            let Ok(mut remembered) = self.remembered.lock() else {
                return;
            };
            let answer = (principal.cloned(), Instant::now(), fresh);
            // A session seen before (every request of a signed-in user): no new key.
            if let Some(entry) = remembered.get_mut(token_hash) {
                *entry = answer;
                return;
            }
            if remembered.len() >= REMEMBERED_MAX {
                remembered.retain(|_, (_, at, _)| at.elapsed() < REMEMBERED_FOR);
                if remembered.len() >= REMEMBERED_MAX {
                    remembered.clear();
                }
            }
            remembered.insert(token_hash.to_owned(), answer);
        }

        /// Whether the store failed less than [`RETRY_STORE_AFTER`] ago.
        fn failed_recently(&self) -> bool {
            self.failed_at
                .lock()
                .ok()
                .and_then(|at| *at)
                .is_some_and(|at| at.elapsed() < RETRY_STORE_AFTER)
        }

        fn forget(&self, keep: impl Fn(&str, Option<&Principal>) -> bool) {
            self.forgotten
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if let Ok(mut remembered) = self.remembered.lock() {
                remembered.retain(|hash, (principal, _, _)| keep(hash, principal.as_ref()));
            }
        }

        /// How the site's cookies are made (`Secure` and `__Host-` named on https).
        pub fn cookies(&self) -> crate::cookies::CookiePolicy {
            self.cookies
        }

        /// The signed-in user of a request carrying `headers`, if its session is live.
        ///
        /// A store that cannot be read never signs anyone out: the answer this instance had
        /// for the same session in the last [`REMEMBERED_FOR`] stands in for it, and without
        /// one the request is refused as temporarily unavailable (503), not as signed out.
        pub async fn resolve(&self, headers: &HeaderMap) -> Result<Option<Principal>, ActionError> {
            let Some(token) = self.cookies.get(headers, SESSION_COOKIE) else {
                return Ok(None);
            };
            let token_hash = hash(&token);
            if let Some(principal) = self.fresh(&token_hash) {
                return Ok(principal);
            }
            let forgotten = self.forgotten.load(std::sync::atomic::Ordering::SeqCst);
            let answer = if self.failed_recently() {
                Err("the session store failed a moment ago".to_owned())
            } else {
                let answer = self
                    .store
                    .session_user(&token_hash, crate::unix_now())
                    .await;
                if let Ok(mut failed_at) = self.failed_at.lock() {
                    *failed_at = answer.is_err().then(Instant::now);
                }
                answer
            };
            match answer {
                Ok(principal) => {
                    let undisturbed =
                        forgotten == self.forgotten.load(std::sync::atomic::Ordering::SeqCst);
                    self.remember(&token_hash, principal.as_ref(), undisturbed);
                    Ok(principal)
                }
                Err(error) => {
                    let known = self.remembered.lock().ok().and_then(|remembered| {
                        remembered
                            .get(&token_hash)
                            .filter(|(_, at, _)| at.elapsed() < REMEMBERED_FOR)
                            .map(|(principal, _, _)| principal.clone())
                    });
                    match known {
                        Some(principal) => {
                            tracing::warn!(%error, "could not read a session; using this instance's last answer for it");
                            Ok(principal)
                        }
                        None => Err(ActionError::unavailable(format!(
                            "could not read a session: {error}"
                        ))),
                    }
                }
            }
        }

        /// Signs `user_id` in: ends the session the request came with (if any) and starts a
        /// new one. Returns the `Set-Cookie` value for the response.
        pub async fn start(
            &self,
            user_id: i64,
            request: &HeaderMap,
        ) -> Result<HeaderValue, ActionError> {
            if let Some(old) = self.cookies.get(request, SESSION_COOKIE) {
                let old = hash(&old);
                self.store
                    .delete_session(&old)
                    .await
                    .map_err(ActionError::unavailable)?;
                self.forget(|hash, _| hash != old);
                self.tell_others(format!("{ENDED_SESSION}{old}")).await;
            }
            let token = new_token();
            let now = crate::unix_now();
            let user_agent = request
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let user_agent: String = user_agent.chars().take(200).collect();
            self.store
                .insert_session(
                    &hash(&token),
                    user_id,
                    now,
                    now + self.lifetime.as_secs() as i64,
                    &user_agent,
                )
                .await
                .map_err(ActionError::unavailable)?;
            self.cookie(&token, self.lifetime.as_secs())
        }

        /// Signs the request's session out. Returns the `Set-Cookie` value that clears it.
        pub async fn end(&self, request: &HeaderMap) -> Result<HeaderValue, ActionError> {
            if let Some(token) = self.cookies.get(request, SESSION_COOKIE) {
                let ended = hash(&token);
                self.store
                    .delete_session(&ended)
                    .await
                    .map_err(ActionError::unavailable)?;
                self.forget(|hash, _| hash != ended);
                self.tell_others(format!("{ENDED_SESSION}{ended}")).await;
            }
            self.cookie("", 0)
        }

        /// The live sessions of `user_id`, the request's own first (marked), then newest first.
        pub async fn list(
            &self,
            user_id: i64,
            request: &HeaderMap,
        ) -> Result<Vec<SessionInfo>, ActionError> {
            let current = self.cookies.get(request, SESSION_COOKIE).map(|t| hash(&t));
            let mut sessions: Vec<SessionInfo> = self
                .store
                .user_sessions(user_id, crate::unix_now())
                .await
                .map_err(ActionError::unavailable)?
                .into_iter()
                .map(|stored| SessionInfo {
                    current: current.as_deref() == Some(stored.token_hash.as_str()),
                    created_at: stored.created_at,
                    expires_at: stored.expires_at,
                    user_agent: stored.user_agent,
                })
                .collect();
            // Stable: the others keep their newest-first order.
            sessions.sort_by_key(|session| !session.current);
            Ok(sessions)
        }

        /// Ends every session of `user_id` but the request's own. Returns how many ended.
        pub async fn end_others(
            &self,
            user_id: i64,
            request: &HeaderMap,
        ) -> Result<u64, ActionError> {
            let keep = self
                .cookies
                .get(request, SESSION_COOKIE)
                .map(|t| hash(&t))
                // Without a cookie there is no session to keep: a session-less caller never
                // gets this far (the action needs a signed-in user), so this ends them all.
                .unwrap_or_default();
            let ended = self
                .store
                .delete_other_sessions(user_id, &keep)
                .await
                .map_err(ActionError::unavailable)?;
            self.forget(|hash, principal| {
                hash == keep || principal.is_none_or(|p| p.user_id != user_id)
            });
            // The other instances drop all of the user's: the kept one is read again.
            self.tell_others(format!("{CHANGED_USER}{user_id}")).await;
            Ok(ended)
        }

        fn cookie(&self, value: &str, max_age: u64) -> Result<HeaderValue, ActionError> {
            self.cookies
                .set(SESSION_COOKIE, value, Duration::from_secs(max_age))
                .ok_or_else(|| ActionError::internal("a session token that is no header"))
        }
    }

    /// Signs `user_id` in for the action being served: a new session (the one the request came
    /// with ends), its cookie on the response.
    pub async fn sign_in(user_id: i64) -> Result<(), ActionError> {
        let (sessions, request, response) = request_context()?;
        let cookie = sessions.start(user_id, &request).await?;
        response.append_header(header::SET_COOKIE, cookie);
        Ok(())
    }

    /// Ends the session of the action being served, and clears its cookie.
    pub async fn sign_out() -> Result<(), ActionError> {
        let (sessions, request, response) = request_context()?;
        let cookie = sessions.end(&request).await?;
        response.append_header(header::SET_COOKIE, cookie);
        Ok(())
    }

    /// Publishes `item` (an ended session, a changed user) on `bus`; an error is logged.
    async fn tell(bus: &dyn crate::invalidation::InvalidationBus, item: String) {
        let invalidation = crate::invalidation::Invalidation {
            from: bus.instance().to_owned(),
            id: uuid::Uuid::new_v4().simple().to_string(),
            items: vec![item],
        };
        if let Err(error) = bus.publish(&invalidation).await {
            // Their cached answers expire within their `fresh_for` all the same.
            tracing::error!(%error, "could not tell the other instances a session changed");
        }
    }

    /// Tells every instance on `bus` to read `user_id`'s sessions afresh: for a change made
    /// outside a request (a command-line tool changing a role).
    pub async fn user_changed_elsewhere(
        bus: &dyn crate::invalidation::InvalidationBus,
        user_id: i64,
    ) {
        tell(bus, format!("{CHANGED_USER}{user_id}")).await;
    }

    /// After an action changed what the app's principals query says of `user_id` (their role):
    /// every instance reads that user's sessions afresh, so the change takes effect at once.
    pub async fn refresh_user(user_id: i64) -> Result<(), ActionError> {
        let (sessions, _) = sessions_and_request()?;
        sessions.user_changed(user_id).await;
        Ok(())
    }

    /// The sessions and the headers of the request being served (a page or an action), for
    /// [`Sessions::list`] and [`Sessions::end_others`]. Missing pieces are wiring bugs,
    /// reported as a 500.
    pub fn sessions_and_request() -> Result<(Sessions, HeaderMap), ActionError> {
        use leptos::prelude::use_context;
        let sessions = use_context::<Sessions>()
            .ok_or_else(|| ActionError::internal("Sessions were not provided to this request"))?;
        let headers = crate::request::with(|parts| parts.headers.clone())
            .ok_or_else(|| ActionError::internal("no request parts in this request's context"))?;
        Ok((sessions, headers))
    }

    /// What signing in and out needs from the request being served. Missing pieces are
    /// wiring bugs, reported as a 500.
    fn request_context() -> Result<(Sessions, HeaderMap, leptos_axum::ResponseOptions), ActionError>
    {
        let (sessions, headers) = sessions_and_request()?;
        let response = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
            .ok_or_else(|| ActionError::internal("no ResponseOptions in this action's context"))?;
        Ok((sessions, headers, response))
    }

    /// 32 random bytes, hex.
    fn new_token() -> String {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        crate::hex(&bytes)
    }

    /// What the database keeps of a token.
    pub fn hash(token: &str) -> String {
        crate::hex(&Sha256::digest(token.as_bytes()))
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::{identity::Rank, store::memory::MemoryStore};
        use std::sync::atomic::{AtomicU8, Ordering};

        /// Sessions on a memory store whose one user (id 1) has the rank `rank` holds now.
        fn sessions(rank: Arc<AtomicU8>, fresh_for: Duration) -> Sessions {
            let store = MemoryStore::new().principals(move |id| {
                (id == 1).then(|| Principal {
                    user_id: 1,
                    username: "ada".into(),
                    rank: Rank(rank.load(Ordering::SeqCst)),
                })
            });
            Sessions::new(Arc::new(store), false, Duration::from_secs(3600)).fresh_for(fresh_for)
        }

        /// Signs user 1 in: the request headers that carry the new session, and its hash.
        async fn signed_in(sessions: &Sessions) -> (HeaderMap, String) {
            let cookie = sessions
                .start(1, &HeaderMap::new())
                .await
                .unwrap_or_else(|e| {
                    panic!("could not sign in: {e}");
                });
            let pair = cookie.to_str().unwrap_or_default().split(';').next();
            let pair = pair.unwrap_or_default().to_owned();
            let token = pair.split_once('=').map(|(_, t)| t.to_owned());
            let mut headers = HeaderMap::new();
            headers.insert(
                header::COOKIE,
                HeaderValue::from_str(&pair)
                    .unwrap_or_else(|_| panic!("a cookie that is no header")),
            );
            (headers, hash(&token.unwrap_or_default()))
        }

        async fn rank_of(sessions: &Sessions, headers: &HeaderMap) -> Option<u8> {
            let who = sessions
                .resolve(headers)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            who.map(|p| p.rank.0)
        }

        #[tokio::test]
        async fn a_resolved_session_is_used_from_memory_until_it_is_told_otherwise() {
            let rank = Arc::new(AtomicU8::new(1));
            let sessions = sessions(rank.clone(), Duration::from_secs(3600));
            let (headers, token_hash) = signed_in(&sessions).await;
            assert_eq!(rank_of(&sessions, &headers).await, Some(1));
            // The store changes; the remembered answer stands (no query).
            rank.store(3, Ordering::SeqCst);
            assert_eq!(rank_of(&sessions, &headers).await, Some(1));
            // Another instance says the user changed: read afresh.
            sessions.hear(&[format!("{CHANGED_USER}1")]);
            assert_eq!(rank_of(&sessions, &headers).await, Some(3));
            // Another instance ended the session: gone here too.
            sessions
                .store
                .delete_session(&token_hash)
                .await
                .unwrap_or_default();
            assert_eq!(
                rank_of(&sessions, &headers).await,
                Some(3),
                "still remembered"
            );
            sessions.hear(&[format!("{ENDED_SESSION}{token_hash}")]);
            assert_eq!(rank_of(&sessions, &headers).await, None);
        }

        #[tokio::test]
        async fn a_lost_bus_or_no_cache_means_asking_the_store() {
            let rank = Arc::new(AtomicU8::new(1));
            let cached = sessions(rank.clone(), Duration::from_secs(3600));
            let (headers, _) = signed_in(&cached).await;
            assert_eq!(rank_of(&cached, &headers).await, Some(1));
            rank.store(2, Ordering::SeqCst);
            cached.missed_some();
            assert_eq!(rank_of(&cached, &headers).await, Some(2));

            let uncached = sessions(rank.clone(), Duration::ZERO);
            let (headers, _) = signed_in(&uncached).await;
            assert_eq!(rank_of(&uncached, &headers).await, Some(2));
            rank.store(3, Ordering::SeqCst);
            assert_eq!(rank_of(&uncached, &headers).await, Some(3));
        }

        #[tokio::test]
        async fn this_instance_changing_a_user_reads_it_afresh_at_once() {
            let rank = Arc::new(AtomicU8::new(1));
            let sessions = sessions(rank.clone(), Duration::from_secs(3600));
            let (headers, _) = signed_in(&sessions).await;
            assert_eq!(rank_of(&sessions, &headers).await, Some(1));
            rank.store(2, Ordering::SeqCst);
            sessions.user_changed(1).await;
            assert_eq!(rank_of(&sessions, &headers).await, Some(2));
            // Signing out here: the next request is nobody's.
            sessions
                .end(&headers)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(rank_of(&sessions, &headers).await, None);
        }
    }
}
