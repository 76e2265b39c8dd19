//! Every setting of the server, in one place. `server --help` is its documentation.

use clap::{Parser, Subcommand};
use formwork::rate_limit::{Limiter, MemoryLimiter, RedisLimiter};
use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

/// The body limit of actions that declare none, unless `ACTION_BODY_LIMIT` says otherwise.
pub const DEFAULT_ACTION_BODY_LIMIT: u64 = 1024 * 1024;

#[derive(Debug, Clone, Parser)]
#[command(name = "server", version, about = "The Formwork reference server")]
pub struct Config {
    /// Address and port to listen on. `cargo leptos watch` sets it through LEPTOS_SITE_ADDR.
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,

    /// Where the data lives: `sqlite:<file>` (created and migrated on first start) or
    /// `postgres://user:password@host/database`. The scheme chooses the backend.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:formwork.db")]
    pub database_url: String,

    /// The origin users reach the site at, e.g. `https://example.org`. Used to build absolute
    /// links and to check the `Origin` of state-changing requests (CSRF protection).
    #[arg(long, env = "PUBLIC_ORIGIN", default_value = "http://127.0.0.1:3000")]
    pub public_origin: String,

    /// Further origins whose pages may call the site's actions, comma-separated (e.g. a second
    /// domain of the same site). Requests from any other origin get 403.
    #[arg(long, env = "ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Proxies whose `X-Forwarded-For` names the client, comma-separated addresses or networks
    /// (e.g. `10.0.0.0/8,127.0.0.1`): the load balancers in front of this server. The client is
    /// the rightmost address they did not add. Leave empty when clients connect directly.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,

    /// Redis that holds the actions' rate limits, shared by every instance, e.g.
    /// `redis://127.0.0.1:6379/0`, and (see `INVALIDATIONS`) carries revalidations between
    /// them. When unset, each instance counts in its own memory.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,

    /// How one instance's revalidations reach the others' caches and open pages: `redis`
    /// (pub/sub on `REDIS_URL`), `postgres` (`LISTEN/NOTIFY` on the PostgreSQL database),
    /// `none` (a single instance), or `auto`: Redis when `REDIS_URL` is set, else PostgreSQL
    /// when the database is PostgreSQL, else none.
    #[arg(long, env = "INVALIDATIONS", value_enum, default_value_t = Invalidations::Auto)]
    pub invalidations: Invalidations,

    /// Apply the actions' declared rate limits. `false` only for load tests of this server
    /// itself (`bench/run.sh`): never in production.
    #[arg(long, env = "RATE_LIMITS", default_value_t = true, action = clap::ArgAction::Set)]
    pub rate_limits: bool,

    /// Secret (at least 32 bytes) the mail provider signs its bounce reports with
    /// (`POST /api/webhooks/newsletter-bounce`). When unset, that endpoint answers 404.
    #[arg(long, env = "NEWSLETTER_WEBHOOK_SECRET", hide_env_values = true)]
    pub newsletter_webhook_secret: Option<String>,

    /// How long a sign-in lasts, in days, before the user must sign in again.
    #[arg(long, env = "SESSION_DAYS", default_value_t = 30)]
    pub session_days: u64,

    /// How long, in milliseconds, a signed-in request's session is used from memory before
    /// the database is asked again (0: every request asks). Sign-out and role changes reach
    /// every instance at once through the invalidation bus, whatever this is.
    #[arg(long, env = "SESSION_CACHE_MS", default_value_t = 5_000)]
    pub session_cache_ms: u64,

    /// Log filter in `tracing_subscriber::EnvFilter` syntax, e.g. `info,sqlx=warn`.
    #[arg(
        long,
        env = "RUST_LOG",
        default_value = "info,sqlx=warn,tower_http=info"
    )]
    pub log_filter: String,

    /// Write logs as JSON lines instead of human-readable text.
    #[arg(long, env = "LOG_JSON", default_value_t = false)]
    pub log_json: bool,

    /// Secret (at least 32 bytes) that signs the flash cookie of plain form posts. Every
    /// instance behind one load balancer needs the same value. When unset, a random secret is
    /// made at start-up and a form post's outcome cannot outlive a restart.
    #[arg(long, env = "FLASH_SECRET", hide_env_values = true)]
    pub flash_secret: Option<String>,

    /// Where the operator's port listens, e.g. `127.0.0.1:9464`: `GET /metrics` (Prometheus
    /// text) is answered there only, never on the public address. Unset: no metrics.
    #[arg(long, env = "METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// Largest request body an action accepts, in bytes. Larger requests get 413.
    #[arg(long, env = "ACTION_BODY_LIMIT", default_value_t = DEFAULT_ACTION_BODY_LIMIT)]
    pub action_body_limit: u64,

    /// The folder with the built site (scripts, styles, static files), as cargo-leptos writes it.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// The folder where uploads and the pictures made from them are kept (created if
    /// missing). Every instance must see the same folder; for several machines, use a shared
    /// object store instead.
    #[arg(long, env = "OBJECTS_DIR", default_value = "objects")]
    pub objects_dir: PathBuf,

    /// An S3 bucket to keep uploads and pictures in instead of OBJECTS_DIR (shared by every
    /// instance). Credentials come from OBJECTS_S3_ACCESS_KEY_ID and
    /// OBJECTS_S3_SECRET_ACCESS_KEY, or else the usual AWS_* environment variables.
    #[arg(long, env = "OBJECTS_S3_BUCKET")]
    pub objects_s3_bucket: Option<String>,

    /// The S3-compatible service's URL (MinIO, Garage, R2, …); unset means AWS itself.
    /// `http://` is accepted, for a service on loopback or a private network.
    #[arg(long, env = "OBJECTS_S3_ENDPOINT")]
    pub objects_s3_endpoint: Option<String>,

    /// The bucket's region.
    #[arg(long, env = "OBJECTS_S3_REGION", default_value = "us-east-1")]
    pub objects_s3_region: String,

    /// The access key id for the bucket (else AWS_ACCESS_KEY_ID).
    #[arg(long, env = "OBJECTS_S3_ACCESS_KEY_ID")]
    pub objects_s3_access_key_id: Option<String>,

    /// The secret access key for the bucket (else AWS_SECRET_ACCESS_KEY).
    #[arg(long, env = "OBJECTS_S3_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub objects_s3_secret_access_key: Option<String>,

    /// How many background jobs (welcome emails, avatar processing) this instance runs at
    /// once. 0: it runs none, and leaves them to the instances that do (they are in the
    /// database, so nothing is lost).
    #[arg(long, env = "JOB_WORKERS", default_value_t = 2)]
    pub job_workers: u32,

    /// How often, in milliseconds, an idle job queue looks for jobs other instances recorded
    /// and retries coming due. Jobs recorded on this instance start at once.
    #[arg(long, env = "JOB_POLL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..))]
    pub job_poll_ms: u64,

    /// How long, in seconds, in-flight requests may take to finish after SIGTERM or SIGINT.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,

    /// How long, in milliseconds, a client may take to send a request's line and headers.
    /// A connection still sending them then is closed: clients that open connections and
    /// send half a request hold nothing for long.
    #[arg(long, env = "HEADER_READ_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout_ms: u64,

    /// How long, in milliseconds, a request body may pause. A longer pause is answered 408
    /// and the connection is closed.
    #[arg(long, env = "BODY_IDLE_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_idle_timeout_ms: u64,

    /// How long, in milliseconds, a whole request may take, body and answer included, before
    /// it is answered 408 (live streams are not requests that end, and are not bound by it).
    #[arg(long, env = "REQUEST_TIMEOUT_MS", default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout_ms: u64,

    /// How long, in milliseconds, a request waits for a database connection. When the
    /// database is down or saturated, requests that need it answer 503 with `Retry-After`
    /// after this instead of queueing.
    #[arg(long, env = "DATABASE_ACQUIRE_TIMEOUT_MS", default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub database_acquire_timeout_ms: u64,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What carries revalidations between instances (see [`Config::invalidations`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Invalidations {
    Auto,
    Postgres,
    Redis,
    None,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the site (the default).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Print every action with its policies (path, method, access, body limit, rate limit,
    /// codec), then exit. Needs no database.
    Actions,
    /// Make an account an admin, creating it first if there is none by that name.
    CreateAdmin {
        /// The account's username.
        #[arg(long)]
        username: String,
        /// Its email address (needed only to create the account).
        #[arg(long)]
        email: Option<String>,
        /// Its password, at least 12 characters (needed only to create the account). Give it
        /// through the environment, not the command line, to keep it out of shell history.
        #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

impl Config {
    /// Whether the site is served over https (cookies are then marked `Secure`).
    pub fn https(&self) -> bool {
        self.public_origin.starts_with("https://")
    }

    /// The origins that may call actions: the public origin and the allow-list.
    pub fn origin_policy(&self) -> anyhow::Result<formwork::origin::OriginPolicy> {
        formwork::origin::OriginPolicy::new(
            std::iter::once(self.public_origin.as_str())
                .chain(self.allowed_origins.iter().map(String::as_str)),
        )
        .map_err(|problem| anyhow::anyhow!("PUBLIC_ORIGIN or ALLOWED_ORIGINS: {problem}"))
    }

    /// The proxies whose `X-Forwarded-For` is believed.
    pub fn trusted_proxies(&self) -> anyhow::Result<formwork::client_ip::TrustedProxies> {
        formwork::client_ip::TrustedProxies::parse(self.trusted_proxies.iter().map(String::as_str))
            .map_err(|problem| anyhow::anyhow!("TRUSTED_PROXIES: {problem}"))
    }

    /// Where rate limits are counted: Redis when configured (and reachable), else memory.
    pub async fn limiter(&self) -> anyhow::Result<Arc<dyn Limiter>> {
        if !self.rate_limits {
            tracing::warn!("RATE_LIMITS=false: no action is rate limited (load tests only)");
            return Ok(Arc::new(formwork::rate_limit::Unlimited));
        }
        match &self.redis_url {
            Some(url) => {
                let limiter = RedisLimiter::connect(url)
                    .await
                    .map_err(|error| anyhow::anyhow!("REDIS_URL: cannot reach Redis: {error}"))?;
                Ok(Arc::new(limiter))
            }
            None => Ok(Arc::new(MemoryLimiter::new())),
        }
    }

    /// `stores` with the invalidation bus the settings ask for. The PostgreSQL backend brings
    /// its `LISTEN/NOTIFY` bus; Redis replaces it when chosen.
    pub async fn with_bus(
        &self,
        mut stores: crate::store::Stores,
    ) -> anyhow::Result<crate::store::Stores> {
        let redis = || async {
            let url = self
                .redis_url
                .as_deref()
                .ok_or_else(|| anyhow::anyhow!("INVALIDATIONS=redis needs REDIS_URL"))?;
            let bus = formwork::invalidation::redis::RedisInvalidations::connect(url)
                .await
                .map_err(|error| anyhow::anyhow!("REDIS_URL: cannot reach Redis: {error}"))?;
            anyhow::Ok(Some(
                Arc::new(bus) as Arc<dyn formwork::invalidation::InvalidationBus>
            ))
        };
        stores.framework.bus = match (self.invalidations, &self.redis_url) {
            (Invalidations::Redis, _) | (Invalidations::Auto, Some(_)) => redis().await?,
            (Invalidations::Postgres, _) if stores.framework.bus.is_none() => {
                anyhow::bail!("INVALIDATIONS=postgres needs a PostgreSQL DATABASE_URL")
            }
            (Invalidations::Postgres | Invalidations::Auto, _) => stores.framework.bus,
            (Invalidations::None, _) => None,
        };
        Ok(stores)
    }

    pub fn session_cache(&self) -> Duration {
        Duration::from_millis(self.session_cache_ms)
    }

    pub fn session_lifetime(&self) -> Duration {
        Duration::from_secs(self.session_days.max(1) * 24 * 60 * 60)
    }

    /// The object store the settings name: the S3 bucket [`Config::objects_s3_bucket`] when
    /// set, else the local folder [`Config::objects_dir`].
    pub fn object_store(&self) -> anyhow::Result<std::sync::Arc<dyn object_store::ObjectStore>> {
        if let Some(bucket) = &self.objects_s3_bucket {
            // The S3 client's TLS: rustls with ring (once per process; a second call is a no-op).
            let _ = rustls::crypto::ring::default_provider().install_default();
            let mut builder = object_store::aws::AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .with_region(&self.objects_s3_region);
            if let Some(endpoint) = &self.objects_s3_endpoint {
                builder = builder
                    .with_endpoint(endpoint)
                    .with_allow_http(endpoint.starts_with("http://"));
            }
            if let Some(key) = &self.objects_s3_access_key_id {
                builder = builder.with_access_key_id(key);
            }
            if let Some(secret) = &self.objects_s3_secret_access_key {
                builder = builder.with_secret_access_key(secret);
            }
            let store = builder.build().map_err(|error| {
                anyhow::anyhow!("unusable S3 settings for bucket {bucket}: {error}")
            })?;
            tracing::info!(%bucket, endpoint = ?self.objects_s3_endpoint, "objects are kept in S3");
            return Ok(std::sync::Arc::new(store));
        }
        std::fs::create_dir_all(&self.objects_dir).map_err(|error| {
            anyhow::anyhow!(
                "cannot create OBJECTS_DIR {}: {error}",
                self.objects_dir.display()
            )
        })?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(&self.objects_dir)?;
        Ok(std::sync::Arc::new(store))
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }

    /// How long the server waits on slow clients (see `formwork::serve`).
    pub fn timeouts(&self) -> formwork::serve::Timeouts {
        formwork::serve::Timeouts {
            header_read: Duration::from_millis(self.header_read_timeout_ms),
            body_idle: Duration::from_millis(self.body_idle_timeout_ms),
        }
    }

    /// How long a whole request may take.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    /// How long a request waits for a database connection.
    pub fn database_acquire_timeout(&self) -> Duration {
        Duration::from_millis(self.database_acquire_timeout_ms)
    }

    /// Checks what clap cannot: a public origin is `scheme://host[:port]`, nothing more.
    pub fn validate(&self) -> anyhow::Result<()> {
        let origin = self.public_origin.trim_end_matches('/');
        let Some((scheme, rest)) = origin.split_once("://") else {
            anyhow::bail!("PUBLIC_ORIGIN must look like https://example.org, got `{origin}`");
        };
        if !matches!(scheme, "http" | "https") || rest.is_empty() || rest.contains('/') {
            anyhow::bail!(
                "PUBLIC_ORIGIN must be http(s)://host[:port] with no path, got `{origin}`"
            );
        }
        self.origin_policy()?;
        self.trusted_proxies()?;
        if self.flash_secret.as_ref().is_some_and(|s| s.len() < 32) {
            anyhow::bail!("FLASH_SECRET must be at least 32 bytes long");
        }
        if self
            .newsletter_webhook_secret
            .as_ref()
            .is_some_and(|s| s.len() < 32)
        {
            anyhow::bail!("NEWSLETTER_WEBHOOK_SECRET must be at least 32 bytes long");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Config {
        let mut argv = vec!["server"];
        argv.extend_from_slice(args);
        Config::try_parse_from(argv).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn defaults_serve_sqlite_on_loopback() {
        let config = parse(&[]);
        assert_eq!(config.bind.to_string(), "127.0.0.1:3000");
        assert!(config.database_url.starts_with("sqlite:"));
        assert!(config.validate().is_ok());
    }

    #[test]
    fn public_origin_must_be_an_origin() {
        for bad in ["example.org", "ftp://x", "https://x.org/path", "https://"] {
            let config = parse(&["--public-origin", bad]);
            assert!(config.validate().is_err(), "{bad}");
        }
        assert!(parse(&["--public-origin", "https://x.org:8443"])
            .validate()
            .is_ok());
    }

    #[test]
    fn migrate_is_a_subcommand() {
        assert!(matches!(
            parse(&["migrate"]).command,
            Some(Command::Migrate)
        ));
    }

    #[test]
    fn trusted_proxies_are_checked_networks() {
        let config = parse(&["--trusted-proxies", "10.0.0.0/8,127.0.0.1"]);
        assert!(config.validate().is_ok());
        assert!(config
            .trusted_proxies()
            .is_ok_and(|p| p.contains(std::net::IpAddr::from([10, 2, 3, 4]))));
        assert!(parse(&["--trusted-proxies", "10.0.0.0/40"])
            .validate()
            .is_err());
    }

    #[test]
    fn allowed_origins_are_a_checked_list() {
        let config = parse(&[
            "--allowed-origins",
            "https://a.example,https://b.example:8443",
        ]);
        assert_eq!(config.allowed_origins.len(), 2);
        assert!(config.validate().is_ok());
        assert!(parse(&["--allowed-origins", "https://a.example/path"])
            .validate()
            .is_err());
    }
}
