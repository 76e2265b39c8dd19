//! How often an action may be called: declared per action, counted per client.
//!
//! ```
//! use formwork::RateLimit;
//! use std::time::Duration;
//!
//! let feedback = RateLimit::per_ip(10).per_minute();
//! let posts = RateLimit::per_user(30).per(Duration::from_secs(600));
//! assert_eq!((feedback.requests, feedback.window), (10, Duration::from_secs(60)));
//! assert_eq!(posts.window, Duration::from_secs(600));
//! ```
//!
//! A limit of N per window lets a client send N requests at once, and after that one more each
//! window/N (the generic cell rate algorithm, GCRA: one timestamp per client, no log of
//! requests). Going over answers `429 Too Many Requests` with `Retry-After`, which the form
//! shows inline, with and without JavaScript.
//!
//! The counts live in memory by default ([`MemoryLimiter`]). With Redis ([`RedisLimiter`],
//! feature `redis`) every instance behind a load balancer shares them; the check is one Lua
//! script, atomic in Redis, timed by Redis' clock.

use crate::client_ip::ClientKey;
use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// What a request is counted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyBy {
    /// The client's IP address (an IPv6 /64), see [`crate::client_ip`].
    Ip,
    /// The signed-in user, wherever they connect from; a request with nobody signed in is
    /// counted by its address instead.
    User,
    /// The user and the address together: one count per user on each address (a shared
    /// office address does not spend one person's allowance for another).
    IpAndUser,
}

/// N requests per window, counted by [`KeyBy`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// How many requests one caller may make per window (N), all at once if they like.
    pub requests: u32,
    /// The window the requests are counted over.
    pub window: Duration,
    /// Who counts as one caller.
    pub key: KeyBy,
}

impl RateLimit {
    /// `requests` per client IP address; give the window next (`.per_minute()`, …).
    pub const fn per_ip(requests: u32) -> Self {
        Self::keyed(requests, KeyBy::Ip)
    }

    /// `requests` per signed-in user (by address when nobody is signed in).
    pub const fn per_user(requests: u32) -> Self {
        Self::keyed(requests, KeyBy::User)
    }

    /// `requests` per signed-in user on each client address.
    pub const fn per_ip_and_user(requests: u32) -> Self {
        Self::keyed(requests, KeyBy::IpAndUser)
    }

    const fn keyed(requests: u32, key: KeyBy) -> Self {
        Self {
            requests,
            window: Duration::from_secs(60),
            key,
        }
    }

    /// The limit counted per minute.
    pub const fn per_minute(self) -> Self {
        self.per(Duration::from_secs(60))
    }

    /// The limit counted per hour.
    pub const fn per_hour(self) -> Self {
        self.per(Duration::from_secs(60 * 60))
    }

    /// The limit counted per `window`.
    pub const fn per(self, window: Duration) -> Self {
        Self { window, ..self }
    }

    /// The time between requests once the burst is spent: window / N.
    fn interval(&self) -> Duration {
        self.window / self.requests.max(1)
    }

    /// How far ahead of now the schedule may run: the burst of N, less the request at hand.
    fn tolerance(&self) -> Duration {
        self.window.saturating_sub(self.interval())
    }

    /// The counter of this limit for one caller of one action: the client's address and,
    /// when someone is signed in, their user id.
    pub fn bucket(&self, action: &str, client: ClientKey, user: Option<i64>) -> String {
        match (self.key, user) {
            (KeyBy::Ip, _) | (KeyBy::User | KeyBy::IpAndUser, None) => {
                format!("formwork:rate:{action}:ip:{client}")
            }
            (KeyBy::User, Some(user)) => format!("formwork:rate:{action}:user:{user}"),
            (KeyBy::IpAndUser, Some(user)) => {
                format!("formwork:rate:{action}:ip:{client}:user:{user}")
            }
        }
    }
}

/// Whether a request may go ahead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Within the limit: the request goes ahead, and is counted.
    Allowed,
    /// Over the limit: the next request is allowed after this long.
    Refused {
        /// How long until the next request is allowed.
        retry_after: Duration,
    },
}

impl Decision {
    /// `Retry-After` in whole seconds, never 0 (a client told 0 would retry at once).
    pub fn retry_after_secs(retry_after: Duration) -> u64 {
        retry_after.as_millis().div_ceil(1000).max(1) as u64
    }
}

/// Where the counts are kept.
#[async_trait::async_trait]
pub trait Limiter: Send + Sync + 'static {
    /// Counts one request in `bucket` against `limit`, if it is allowed.
    async fn check(&self, bucket: &str, limit: &RateLimit) -> Decision;

    /// For logs: `"memory"`, `"redis"`.
    fn kind(&self) -> &'static str;
}

/// The counts of this process. Holds the limits for one instance.
pub struct MemoryLimiter {
    state: Mutex<MemoryState>,
    epoch: Instant,
}

struct MemoryState {
    /// Per bucket, the theoretical arrival time of the next request (GCRA).
    schedule: HashMap<String, Duration>,
    /// When the map grows past this, buckets whose schedule has passed are dropped.
    sweep_at: usize,
}

impl Default for MemoryLimiter {
    fn default() -> Self {
        Self {
            state: Mutex::new(MemoryState {
                schedule: HashMap::new(),
                sweep_at: 1024,
            }),
            epoch: Instant::now(),
        }
    }
}

impl MemoryLimiter {
    /// A limiter with no counts yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The GCRA step at time `now` (since this limiter's epoch).
    fn check_at(&self, bucket: &str, limit: &RateLimit, now: Duration) -> Decision {
        let mut state = match self.state.lock() {
            Ok(state) => state,
            // A panic while holding the lock left a plain map behind: still usable.
            Err(poisoned) => poisoned.into_inner(),
        };
        let due = state.schedule.get(bucket).copied().unwrap_or(now).max(now);
        let allowed_from = due.saturating_sub(limit.tolerance());
        if now < allowed_from {
            return Decision::Refused {
                retry_after: allowed_from - now,
            };
        }
        state
            .schedule
            .insert(bucket.to_owned(), due + limit.interval());
        if state.schedule.len() > state.sweep_at {
            state.schedule.retain(|_, due| *due > now);
            state.sweep_at = (state.schedule.len() * 2).max(1024);
        }
        Decision::Allowed
    }
}

#[async_trait::async_trait]
impl Limiter for MemoryLimiter {
    async fn check(&self, bucket: &str, limit: &RateLimit) -> Decision {
        self.check_at(bucket, limit, self.epoch.elapsed())
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}

/// Lets every request through: for load tests of the server itself, never for a site.
pub struct Unlimited;

#[async_trait::async_trait]
impl Limiter for Unlimited {
    async fn check(&self, _bucket: &str, _limit: &RateLimit) -> Decision {
        Decision::Allowed
    }

    fn kind(&self) -> &'static str {
        "off"
    }
}

#[cfg(feature = "redis")]
pub use self::redis_limiter::RedisLimiter;

#[cfg(feature = "redis")]
mod redis_limiter {
    use super::{Decision, Limiter, MemoryLimiter, RateLimit};
    use redis::{aio::ConnectionManager, Script};
    use std::time::Duration;

    /// The GCRA step in Redis: atomic, on Redis' clock (so instances need not agree on the
    /// time). Returns 0 when allowed, else the milliseconds to wait.
    const GCRA: &str = r"
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local due = tonumber(redis.call('GET', KEYS[1]) or now)
if due < now then due = now end
local allowed_from = due - tolerance
if now < allowed_from then return allowed_from - now end
local next_due = due + interval
redis.call('SET', KEYS[1], next_due, 'PX', next_due - now + 1)
return 0
";

    /// Limits shared by every instance through one Redis. When Redis cannot be reached the
    /// check falls back to this process's own counts (logged), so the limits still hold per
    /// instance rather than not at all.
    pub struct RedisLimiter {
        connection: ConnectionManager,
        script: Script,
        fallback: MemoryLimiter,
    }

    impl RedisLimiter {
        /// Connects to `url` (`redis://host:port/db`) and checks that Redis answers.
        pub async fn connect(url: &str) -> Result<Self, redis::RedisError> {
            let client = redis::Client::open(url)?;
            let mut connection = ConnectionManager::new(client).await?;
            redis::cmd("PING")
                .query_async::<String>(&mut connection)
                .await?;
            Ok(Self {
                connection,
                script: Script::new(GCRA),
                fallback: MemoryLimiter::new(),
            })
        }
    }

    #[async_trait::async_trait]
    impl Limiter for RedisLimiter {
        async fn check(&self, bucket: &str, limit: &RateLimit) -> Decision {
            let mut connection = self.connection.clone();
            let mut invocation = self.script.key(bucket);
            invocation
                .arg(limit.interval().as_millis() as u64)
                .arg(limit.tolerance().as_millis() as u64);
            let wait: Result<u64, _> = invocation.invoke_async(&mut connection).await;
            match wait {
                Ok(0) => Decision::Allowed,
                Ok(wait) => Decision::Refused {
                    retry_after: Duration::from_millis(wait),
                },
                Err(error) => {
                    tracing::error!(%error, bucket, "Redis rate limit check failed; counting in this process");
                    self.fallback.check(bucket, limit).await
                }
            }
        }

        fn kind(&self) -> &'static str {
            "redis"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEN_A_MINUTE: RateLimit = RateLimit::per_ip(10).per_minute();

    #[test]
    fn a_burst_gets_exactly_the_limit_then_one_more_per_interval() {
        let limiter = MemoryLimiter::new();
        let start = Duration::from_secs(1000);
        let allowed = (0..50)
            .filter(|_| limiter.check_at("b", &TEN_A_MINUTE, start) == Decision::Allowed)
            .count();
        assert_eq!(allowed, 10);
        // The 11th must wait one interval (6 s).
        assert_eq!(
            limiter.check_at("b", &TEN_A_MINUTE, start),
            Decision::Refused {
                retry_after: Duration::from_secs(6)
            }
        );
        let later = start + Duration::from_secs(6);
        assert_eq!(
            limiter.check_at("b", &TEN_A_MINUTE, later),
            Decision::Allowed
        );
        assert!(matches!(
            limiter.check_at("b", &TEN_A_MINUTE, later),
            Decision::Refused { .. }
        ));
        // Another bucket is untouched; after a full window the whole burst is back.
        assert_eq!(
            limiter.check_at("c", &TEN_A_MINUTE, later),
            Decision::Allowed
        );
        let refreshed = later + Duration::from_secs(60);
        let allowed = (0..20)
            .filter(|_| limiter.check_at("b", &TEN_A_MINUTE, refreshed) == Decision::Allowed)
            .count();
        assert_eq!(allowed, 10);
    }

    #[test]
    fn spent_buckets_are_swept_so_memory_stays_bounded() {
        let limiter = MemoryLimiter::new();
        let one = RateLimit::per_ip(1).per(Duration::from_secs(1));
        for i in 0..5000u64 {
            // Each bucket's schedule has passed by the time the next thousand arrive.
            limiter.check_at(&format!("k{i}"), &one, Duration::from_secs(i));
        }
        let size = limiter
            .state
            .lock()
            .map(|state| state.schedule.len())
            .unwrap_or(usize::MAX);
        assert!(size <= 1025, "{size} buckets kept");
    }

    #[test]
    fn buckets_follow_the_declared_key() {
        let client = ClientKey::of("203.0.113.7".parse().ok());
        let other = ClientKey::of("198.51.100.1".parse().ok());
        let ip = RateLimit::per_ip(1);
        let user = RateLimit::per_user(1);
        let both = RateLimit::per_ip_and_user(1);
        // By address: the user makes no difference.
        assert_eq!(
            ip.bucket("/a", client, Some(1)),
            ip.bucket("/a", client, Some(2))
        );
        assert_ne!(ip.bucket("/a", client, None), ip.bucket("/a", other, None));
        // By user: the address makes no difference, and users are apart.
        assert_eq!(
            user.bucket("/a", client, Some(1)),
            user.bucket("/a", other, Some(1))
        );
        assert_ne!(
            user.bucket("/a", client, Some(1)),
            user.bucket("/a", client, Some(2))
        );
        // Nobody signed in: by address.
        assert_eq!(
            user.bucket("/a", client, None),
            ip.bucket("/a", client, None)
        );
        // Both: apart by either.
        assert_ne!(
            both.bucket("/a", client, Some(1)),
            both.bucket("/a", other, Some(1))
        );
        assert_ne!(
            both.bucket("/a", client, Some(1)),
            both.bucket("/a", client, Some(2))
        );
        // Actions never share a count.
        assert_ne!(
            user.bucket("/a", client, Some(1)),
            user.bucket("/b", client, Some(1))
        );
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up_and_never_zero() {
        assert_eq!(Decision::retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(Decision::retry_after_secs(Duration::from_millis(6000)), 6);
        assert_eq!(Decision::retry_after_secs(Duration::from_millis(6001)), 7);
        assert_eq!(Decision::retry_after_secs(Duration::ZERO), 1);
    }
}
