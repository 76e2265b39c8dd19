//! Test databases: a fresh one per test, on SQLite or on the PostgreSQL the test command starts.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use app::store::Store;
use std::{path::PathBuf, sync::Arc};

/// The PostgreSQL server the test command starts on loopback, as an admin URL.
pub const POSTGRES_URL_VAR: &str = "FORMWORK_TEST_POSTGRES_URL";

pub enum TestDb {
    Sqlite {
        dir: PathBuf,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl TestDb {
    pub async fn sqlite() -> Self {
        let dir =
            std::env::temp_dir().join(format!("formwork-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite:{}", dir.join("test.db").display());
        Self::Sqlite { dir, url }
    }

    /// A new, empty database on the test PostgreSQL server. Fails loudly when the server is not
    /// configured: a conformance suite that skips its second backend proves nothing.
    pub async fn postgres() -> Self {
        let admin_url = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
            panic!(
                "{POSTGRES_URL_VAR} is not set. Run the README's test command (scripts/test.sh), \
                 which starts PostgreSQL on loopback, or point it at an admin URL yourself."
            )
        });
        let name = format!("fw_test_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(&admin_url).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        let (base, _) = admin_url.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        Self::Postgres {
            admin_url,
            name,
            url,
        }
    }

    pub fn url(&self) -> &str {
        match self {
            Self::Sqlite { url, .. } | Self::Postgres { url, .. } => url,
        }
    }

    pub async fn store(&self) -> Arc<dyn Store> {
        self.stores().await.app
    }

    pub async fn stores(&self) -> server::store::Stores {
        server::store::connect(self.url()).await.unwrap()
    }

    pub async fn drop_database(self) {
        match self {
            Self::Sqlite { dir, .. } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Self::Postgres {
                admin_url, name, ..
            } => {
                let admin = sqlx::PgPool::connect(&admin_url).await.unwrap();
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&admin)
                    .await
                    .unwrap();
                admin.close().await;
            }
        }
    }
}

/// The whole HTTP stack on `stores`, configured by `args` (as on the command line), with
/// rate limits counted in memory.
pub async fn router(stores: server::store::Stores, args: &[&str]) -> axum::Router {
    router_with(
        stores,
        Arc::new(formwork::rate_limit::MemoryLimiter::new()),
        args,
    )
    .await
}

/// [`router`] with a given rate limiter (to share one between two instances).
pub async fn router_with(
    stores: server::store::Stores,
    limiter: Arc<dyn formwork::rate_limit::Limiter>,
    args: &[&str],
) -> axum::Router {
    instance(stores, limiter, formwork::cache::DataCache::new(), args).await
}

/// One server instance: the whole HTTP stack with its own rate limiter and data cache.
pub async fn instance(
    stores: server::store::Stores,
    limiter: Arc<dyn formwork::rate_limit::Limiter>,
    cache: formwork::cache::DataCache,
    args: &[&str],
) -> axum::Router {
    use clap::Parser;
    let mut argv = vec!["server"];
    argv.extend_from_slice(args);
    let config = server::config::Config::try_parse_from(argv).unwrap();
    let options = leptos::prelude::LeptosOptions::builder()
        .output_name("formwork")
        .build();
    server::http::router(
        &config,
        options,
        stores,
        limiter,
        services(cache),
        formwork::jobs::Waker::default(),
    )
    .await
    .unwrap()
}

/// What an instance shares between requests and jobs: `cache`, a live hub, and objects kept
/// in memory.
pub fn services(cache: formwork::cache::DataCache) -> server::state::Services {
    server::state::Services {
        cache,
        live: formwork::live::LiveHub::new(),
        objects: Arc::new(object_store::memory::InMemory::new()),
    }
}

/// An account named `name` with `role`, signed in: its id and the session cookie
/// (`fw_session=…`) a browser would send. Made through the stores, without a password hash
/// (nobody signs in with a password here).
pub async fn signed_in(
    stores: &server::store::Stores,
    name: &str,
    role: app::roles::Role,
) -> (i64, String) {
    let user_id = stores
        .app
        .create_account(name, &format!("{name}@example.org"), "no-password", role)
        .await
        .unwrap();
    let token = format!("{:064x}", uuid::Uuid::new_v4().as_u128());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    stores
        .framework
        .sessions
        .insert_session(
            &formwork::identity::hash(&token),
            user_id,
            now,
            now + 3600,
            "test",
        )
        .await
        .unwrap();
    (user_id, format!("fw_session={token}"))
}

/// A page as a browser gets it (`Accept: text/html`), with `cookie` if given, as text.
pub async fn page(router: &axum::Router, path: &str, cookie: Option<&str>) -> String {
    use tower::ServiceExt;
    let mut request =
        axum::http::Request::get(path).header(axum::http::header::ACCEPT, "text/html");
    if let Some(cookie) = cookie {
        request = request.header(axum::http::header::COOKIE, cookie);
    }
    let response = router
        .clone()
        .oneshot(request.body(axum::body::Body::empty()).unwrap())
        .await
        .unwrap();
    text(response).await
}

/// The cookie `name` a response sets (not one it clears), as `name=value` for the next
/// request.
pub fn set_cookie(response: &axum::http::Response<axum::body::Body>, name: &str) -> Option<String> {
    let set = format!("{name}=");
    let cleared = format!("{name}=;");
    response
        .headers()
        .get_all(axum::http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&set) && !v.starts_with(&cleared))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// A response's body, as text.
pub async fn text(response: axum::http::Response<axum::body::Body>) -> String {
    use http_body_util::BodyExt;
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// An open live stream (`GET /_formwork/live?…`), read event by event.
pub struct LiveStream {
    body: axum::body::Body,
    buffer: String,
    /// The `id:` of the last event read (its position, for a reconnect).
    pub last_event_id: Option<String>,
}

impl LiveStream {
    /// Opens the stream for `query` (`path=/posts&tags=posts`), with `cookie` if given.
    pub async fn open(router: &axum::Router, query: &str, cookie: Option<&str>) -> Self {
        match cookie {
            Some(cookie) => Self::open_with(router, query, &[("cookie", cookie)]).await,
            None => Self::open_with(router, query, &[]).await,
        }
    }

    /// Opens the stream with these request headers.
    pub async fn open_with(router: &axum::Router, query: &str, headers: &[(&str, &str)]) -> Self {
        use tower::ServiceExt;
        let mut request =
            axum::http::Request::get(format!("{}?{query}", formwork::protocol::LIVE_PATH))
                .header(axum::http::header::ACCEPT, "text/event-stream");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = router
            .clone()
            .oneshot(request.body(axum::body::Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), axum::http::StatusCode::OK);
        assert_eq!(
            response.headers()[axum::http::header::CONTENT_TYPE],
            "text/event-stream"
        );
        Self {
            body: response.into_body(),
            buffer: String::new(),
            last_event_id: None,
        }
    }

    /// The next `revalidate` event's data, waiting at most `within`; `None` if none came.
    pub async fn next(&mut self, within: std::time::Duration) -> Option<formwork::live::LiveEvent> {
        use http_body_util::BodyExt;
        let deadline = tokio::time::Instant::now() + within;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(id) = block.lines().find_map(|l| l.strip_prefix("id: ")) {
                    self.last_event_id = Some(id.to_owned());
                }
                if block.lines().any(|l| l == "event: revalidate") {
                    let data = block.lines().find_map(|l| l.strip_prefix("data: "))?;
                    return Some(serde_json::from_str(data).unwrap());
                }
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame())
                .await
                .ok()??;
            if let Ok(data) = frame.unwrap().into_data() {
                self.buffer.push_str(std::str::from_utf8(&data).unwrap());
            }
        }
    }
}

/// The welcome job subscribing `email` records.
#[allow(dead_code)] // not every test binary subscribes anyone
pub fn welcome(email: &str) -> formwork::jobs::NewJob {
    formwork::jobs::NewJob::new(
        app::newsletter::welcome::KIND,
        &app::newsletter::welcome::Welcome {
            email: email.to_owned(),
        },
    )
    .unwrap()
}
