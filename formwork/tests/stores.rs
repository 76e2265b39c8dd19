//! The conformance suite of formwork's own stores: the in-memory store and both sqlx stores
//! (SQLite, and PostgreSQL on the server the test command starts) behave alike.

#![cfg(all(feature = "sqlite", feature = "postgres"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use formwork::{
    identity::{Principal, Rank, StoredSession},
    store::{memory::MemoryStore, postgres, sqlite, Stores},
};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// The PostgreSQL server the test command starts on loopback, as an admin URL.
const POSTGRES_URL_VAR: &str = "FORMWORK_TEST_POSTGRES_URL";

/// One store under test, with a way to add the users its sessions name.
struct Backend {
    stores: Stores,
    users: Users,
    cleanup: Option<Cleanup>,
}

enum Users {
    /// Sessions name the rows of a `test_users` table, through the principals query.
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
    Memory(Arc<Mutex<HashMap<i64, Principal>>>),
}

enum Cleanup {
    Dir(std::path::PathBuf),
    Database { admin_url: String, name: String },
}

const TEST_USERS: &str =
    "CREATE TABLE test_users (id BIGINT PRIMARY KEY, name TEXT NOT NULL, level INTEGER NOT NULL)";
const PRINCIPALS: &str = "SELECT id, name, level AS rank FROM test_users";

impl Backend {
    fn memory() -> Self {
        let users: Arc<Mutex<HashMap<i64, Principal>>> = Arc::default();
        let known = users.clone();
        let store =
            MemoryStore::new().principals(move |id| known.lock().unwrap().get(&id).cloned());
        Self {
            stores: Stores::of(store),
            users: Users::Memory(users),
            cleanup: None,
        }
    }

    async fn sqlite() -> Self {
        let dir =
            std::env::temp_dir().join(format!("formwork-stores-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite:{}", dir.join("test.db").display());
        let pool = sqlite::open(&url, std::time::Duration::from_secs(2))
            .await
            .unwrap();
        assert_eq!(sqlite::migrate(&pool).await.unwrap(), 1, "a new database");
        sqlx::query(TEST_USERS).execute(&pool).await.unwrap();
        let store = sqlite::SqliteStore::new(pool.clone())
            .principals(PRINCIPALS)
            .unwrap();
        Self {
            stores: Stores::of(store),
            users: Users::Sqlite(pool),
            cleanup: Some(Cleanup::Dir(dir)),
        }
    }

    /// A new, empty database on the test PostgreSQL server. Fails loudly when the server is
    /// not configured: a conformance suite that skips a backend proves nothing.
    async fn postgres() -> Self {
        let admin_url = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
            panic!(
                "{POSTGRES_URL_VAR} is not set. Run the README's test command (scripts/test.sh), \
                 which starts PostgreSQL on loopback, or point it at an admin URL yourself."
            )
        });
        let name = format!("fw_stores_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(&admin_url).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        let (base, _) = admin_url.rsplit_once('/').unwrap();
        let pool = postgres::open(&format!("{base}/{name}"), std::time::Duration::from_secs(2))
            .await
            .unwrap();
        assert_eq!(postgres::migrate(&pool).await.unwrap(), 1, "a new database");
        sqlx::query(TEST_USERS).execute(&pool).await.unwrap();
        let store = postgres::PgStore::new(pool.clone())
            .principals(PRINCIPALS)
            .unwrap();
        Self {
            stores: Stores::of(store),
            users: Users::Postgres(pool),
            cleanup: Some(Cleanup::Database { admin_url, name }),
        }
    }

    /// Adds a user its sessions can name; returns the id.
    async fn user(&self, name: &str, rank: Rank) -> i64 {
        static NEXT: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1);
        let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let insert = "INSERT INTO test_users (id, name, level) VALUES ($1, $2, $3)";
        match &self.users {
            Users::Sqlite(pool) => {
                sqlx::query(insert)
                    .bind(id)
                    .bind(name)
                    .bind(i32::from(rank.0))
                    .execute(pool)
                    .await
                    .unwrap();
            }
            Users::Postgres(pool) => {
                sqlx::query(insert)
                    .bind(id)
                    .bind(name)
                    .bind(i32::from(rank.0))
                    .execute(pool)
                    .await
                    .unwrap();
            }
            Users::Memory(users) => {
                users.lock().unwrap().insert(
                    id,
                    Principal {
                        user_id: id,
                        username: name.to_owned(),
                        rank,
                    },
                );
            }
        }
        id
    }

    async fn finish(self) {
        match (self.users, self.cleanup) {
            (Users::Sqlite(pool), Some(Cleanup::Dir(dir))) => {
                pool.close().await;
                let _ = std::fs::remove_dir_all(dir);
            }
            (Users::Postgres(pool), Some(Cleanup::Database { admin_url, name })) => {
                pool.close().await;
                let admin = sqlx::PgPool::connect(&admin_url).await.unwrap();
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&admin)
                    .await
                    .unwrap();
                admin.close().await;
            }
            _ => {}
        }
    }
}

async fn sessions_name_their_user_until_they_expire_or_end(db: &Backend) {
    let sessions = db.stores.sessions.clone();
    let id = db.user("ada", Rank(2)).await;
    let now = 1_800_000_000;
    sessions
        .insert_session("h1", id, now, now + 60, "Firefox ✓")
        .await
        .unwrap();
    let who = sessions.session_user("h1", now).await.unwrap().unwrap();
    assert_eq!(
        (who.user_id, who.username.as_str(), who.rank),
        (id, "ada", Rank(2))
    );
    assert!(
        sessions
            .session_user("h1", now + 60)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(sessions.session_user("other", now).await.unwrap().is_none());
    // A session whose user is gone names nobody.
    sessions
        .insert_session("ghost", i64::MAX, now, now + 60, "")
        .await
        .unwrap();
    assert!(sessions.session_user("ghost", now).await.unwrap().is_none());
    // A new session sweeps the expired ones; ending one leaves the others.
    sessions
        .insert_session("h2", id, now + 61, now + 120, "")
        .await
        .unwrap();
    sessions
        .insert_session("h3", id, now + 61, now + 120, "")
        .await
        .unwrap();
    sessions.delete_session("h2").await.unwrap();
    sessions.delete_session("h2").await.unwrap();
    assert!(sessions
        .session_user("h2", now + 62)
        .await
        .unwrap()
        .is_none());
    assert!(sessions
        .session_user("h3", now + 62)
        .await
        .unwrap()
        .is_some());
}

async fn jobs_are_leased_retried_and_kept_when_dead(db: &Backend) {
    use formwork::jobs::{JobCounts, NewJob};
    let jobs = db.stores.jobs.clone();
    let t = 1_800_000_000_000;
    let job = |n: u32| NewJob {
        kind: "test.job",
        payload: format!("{{\"n\":{n}}}"),
    };
    let a = jobs.enqueue(&job(1), t).await.unwrap();
    let b = jobs.enqueue(&job(2), t + 1_000).await.unwrap();
    assert!(
        jobs.claim(t - 1, t + 500, 10).await.unwrap().is_empty(),
        "nothing due yet"
    );

    let claimed = jobs.claim(t, t + 500, 10).await.unwrap();
    assert_eq!(
        claimed
            .iter()
            .map(|j| (j.id, j.attempt))
            .collect::<Vec<_>>(),
        [(a, 1)],
        "only what is due, once"
    );
    assert_eq!(claimed[0].payload, r#"{"n":1}"#);
    assert!(
        jobs.claim(t + 499, t + 999, 10).await.unwrap().is_empty(),
        "the lease holds"
    );
    // The worker died: once its lease ran out, the job is claimed again, as a new attempt.
    let again = jobs.claim(t + 500, t + 1_500, 10).await.unwrap();
    assert_eq!(
        again.iter().map(|j| (j.id, j.attempt)).collect::<Vec<_>>(),
        [(a, 2)]
    );

    // A failure puts it back for later; meanwhile the other one runs and is done.
    jobs.fail(a, "the mail server said no", Some(t + 2_000), t + 600)
        .await
        .unwrap();
    let next = jobs.claim(t + 1_000, t + 1_500, 10).await.unwrap();
    assert_eq!(next.iter().map(|j| j.id).collect::<Vec<_>>(), [b]);
    jobs.complete(b, t + 1_100, 0).await.unwrap();
    assert_eq!(
        jobs.counts().await.unwrap(),
        JobCounts {
            queued: 1,
            running: 0,
            done: 1,
            dead: 0
        }
    );
    let last = jobs.claim(t + 2_000, t + 2_500, 10).await.unwrap();
    assert_eq!(
        last.iter().map(|j| (j.id, j.attempt)).collect::<Vec<_>>(),
        [(a, 3)]
    );
    jobs.fail(a, &"é".repeat(5_000), None, t + 2_100)
        .await
        .unwrap();
    assert_eq!(
        jobs.counts().await.unwrap(),
        JobCounts {
            queued: 0,
            running: 0,
            done: 1,
            dead: 1
        },
        "given up on, and kept"
    );
    assert!(
        jobs.claim(i64::MAX - 1, i64::MAX, 10)
            .await
            .unwrap()
            .is_empty(),
        "dead stays dead"
    );

    // Done jobs are forgotten after a while; dead ones are not.
    let c = jobs.enqueue(&job(3), t).await.unwrap();
    assert_eq!(jobs.claim(t + 3_000, t + 3_500, 10).await.unwrap()[0].id, c);
    jobs.complete(c, t + 3_000, t + 2_000).await.unwrap();
    assert_eq!(
        jobs.counts().await.unwrap(),
        JobCounts {
            queued: 0,
            running: 0,
            done: 1,
            dead: 1
        },
        "the job done at t+1100 went, the one done now stays"
    );
}

async fn concurrent_claims_never_share_a_job(db: &Backend) {
    use formwork::jobs::NewJob;
    let jobs = db.stores.jobs.clone();
    let t = 1_800_000_000_000;
    for n in 0..24 {
        let job = NewJob {
            kind: "test.job",
            payload: format!("{n}"),
        };
        jobs.enqueue(&job, t).await.unwrap();
    }
    let claims = (0..4).map(|_| {
        let jobs = jobs.clone();
        tokio::spawn(async move { jobs.claim(t, t + 60_000, 5).await.unwrap() })
    });
    let mut ids: Vec<i64> = futures::future::join_all(claims)
        .await
        .into_iter()
        .flat_map(|claimed| claimed.unwrap())
        .map(|job| job.id)
        .collect();
    let claimed = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), claimed, "no job went to two workers");
    assert_eq!(claimed, 20, "each claim took its five");
}

async fn a_users_sessions_are_listed_and_the_others_end_together(db: &Backend) {
    let sessions = db.stores.sessions.clone();
    let ada = db.user("ada", Rank(0)).await;
    let bob = db.user("bob", Rank(0)).await;
    let now = 1_800_000_000;
    for (hash, user, created, agent) in [
        ("laptop", ada, now - 300, "Firefox ✓"),
        ("phone", ada, now - 100, "Safari"),
        ("old", ada, now - 9_000, "expired"),
        ("bobs", bob, now - 200, "Chrome"),
    ] {
        let expires = if hash == "old" { now - 1 } else { now + 3_600 };
        sessions
            .insert_session(hash, user, created, expires, agent)
            .await
            .unwrap();
    }
    let listed = sessions.user_sessions(ada, now).await.unwrap();
    assert_eq!(
        listed,
        [
            StoredSession {
                token_hash: "phone".into(),
                created_at: now - 100,
                expires_at: now + 3_600,
                user_agent: "Safari".into(),
            },
            StoredSession {
                token_hash: "laptop".into(),
                created_at: now - 300,
                expires_at: now + 3_600,
                user_agent: "Firefox ✓".into(),
            },
        ],
        "live ones only, newest first, nobody else's"
    );
    assert_eq!(
        sessions.delete_other_sessions(ada, "laptop").await.unwrap(),
        2
    );
    assert!(sessions
        .session_user("laptop", now)
        .await
        .unwrap()
        .is_some());
    assert!(sessions.session_user("phone", now).await.unwrap().is_none());
    assert!(
        sessions.session_user("bobs", now).await.unwrap().is_some(),
        "another user's sessions stay"
    );
    assert_eq!(
        sessions.delete_other_sessions(ada, "laptop").await.unwrap(),
        0
    );
}

async fn a_submission_token_is_claimed_once_and_remembers_its_outcome(db: &Backend) {
    let store = db.stores.flash.clone();
    let now = 1_800_000_000;
    assert!(store.claim_submission("t1", now, now + 60).await.unwrap());
    assert!(
        !store.claim_submission("t1", now, now + 60).await.unwrap(),
        "a second claim is a repeat"
    );
    assert_eq!(
        store.submission_outcome("t1").await.unwrap(),
        None,
        "not finished yet"
    );
    store
        .finish_submission("t1", "{\"ok\":true}")
        .await
        .unwrap();
    assert_eq!(
        store.submission_outcome("t1").await.unwrap().as_deref(),
        Some("{\"ok\":true}")
    );
    assert_eq!(store.submission_outcome("never").await.unwrap(), None);
    // Expired claims are swept by later claims, and the token can be used afresh.
    assert!(store.claim_submission("t2", now, now + 60).await.unwrap());
    assert!(store
        .claim_submission("t3", now + 61, now + 120)
        .await
        .unwrap());
    assert_eq!(store.submission_outcome("t1").await.unwrap(), None, "swept");
    assert!(store
        .claim_submission("t2", now + 61, now + 120)
        .await
        .unwrap());
}

async fn a_first_outcome_and_its_flash_are_written_together(db: &Backend) {
    let store = db.stores.flash.clone();
    let now = 1_800_000_000;
    assert!(store.claim_submission("t9", now, now + 60).await.unwrap());
    store
        .finish_submission_with_flash("t9", "{\"first\":1}", "f9", "{\"shown\":1}", now + 60)
        .await
        .unwrap();
    assert_eq!(
        store.submission_outcome("t9").await.unwrap().as_deref(),
        Some("{\"first\":1}"),
        "a repeat finds the outcome"
    );
    assert_eq!(
        store.take_flash("f9", now).await.unwrap().as_deref(),
        Some("{\"shown\":1}"),
        "the page after the redirect finds the flash"
    );
    assert_eq!(store.take_flash("f9", now).await.unwrap(), None, "once");
    // Each part is what it would be alone: an unclaimed token records nothing, and the
    // flash is kept all the same.
    store
        .finish_submission_with_flash("never", "{}", "f10", "{\"b\":2}", now + 60)
        .await
        .unwrap();
    assert_eq!(store.submission_outcome("never").await.unwrap(), None);
    assert_eq!(
        store.take_flash("f10", now).await.unwrap().as_deref(),
        Some("{\"b\":2}")
    );
}

async fn flashes_are_single_use_and_expire(db: &Backend) {
    let flash = db.stores.flash.clone();
    let now = 1_800_000_000;
    flash
        .put_flash("fresh", "{\"a\":1}", now + 60)
        .await
        .unwrap();
    flash.put_flash("stale", "{}", now - 1).await.unwrap();
    assert_eq!(
        flash.take_flash("fresh", now).await.unwrap().as_deref(),
        Some("{\"a\":1}")
    );
    assert_eq!(
        flash.take_flash("fresh", now).await.unwrap(),
        None,
        "single use"
    );
    assert_eq!(
        flash.take_flash("stale", now).await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(flash.take_flash("never", now).await.unwrap(), None);
    // Storing sweeps what expired long ago (once a minute at most: this store swept when
    // "fresh" was stored); what is still fresh survives.
    flash.put_flash("kept", "{}", now + 60).await.unwrap();
    flash.put_flash("old", "{}", now - 3600).await.unwrap();
    flash.put_flash("sweeper", "{}", now + 120).await.unwrap();
    assert_eq!(
        flash.take_flash("old", now - 4000).await.unwrap(),
        None,
        "swept"
    );
    assert!(flash.take_flash("kept", now).await.unwrap().is_some());
}

/// Many form posts at once: their claims, outcomes and flashes may be written together (the
/// sqlx stores batch them), and each is still what it would be alone.
async fn the_writes_of_many_posts_at_once_are_each_what_they_would_be_alone(db: &Backend) {
    use futures::future::join_all;
    let store = db.stores.flash.clone();
    let now = 1_800_000_000;
    // A claim that expired is claimed afresh by one of the posts below.
    assert!(store
        .claim_submission("late", now - 200, now - 100)
        .await
        .unwrap());
    // Twenty tokens, each posted twice at the same moment, and one posted a second later.
    let tokens: Vec<String> = (0..20).map(|n| format!("many{n}")).collect();
    let claims = tokens
        .iter()
        .chain(&tokens)
        .map(|token| (token.clone(), now))
        .chain([("late".to_owned(), now), ("later".to_owned(), now + 1)])
        .map(|(token, at)| {
            let store = store.clone();
            tokio::spawn(async move {
                let won = store.claim_submission(&token, at, at + 60).await.unwrap();
                (token, won)
            })
        });
    let claimed = join_all(claims).await;
    let mut winners: HashMap<String, usize> = HashMap::new();
    for outcome in claimed {
        let (token, won) = outcome.unwrap();
        *winners.entry(token).or_default() += usize::from(won);
    }
    for token in tokens.iter().map(String::as_str).chain(["late", "later"]) {
        assert_eq!(
            winners.get(token),
            Some(&1),
            "{token} is claimed exactly once"
        );
    }

    // Their outcomes and flashes at once; a payload with what JSON escapes.
    let payload = "{\"text\":\"a \\\"quote\\\", \\\\ é 😀\\n\"}";
    let finishes = tokens.iter().enumerate().map(|(n, token)| {
        let store = store.clone();
        let token = token.clone();
        tokio::spawn(async move {
            let outcome = format!("{{\"n\":{n}}}");
            if n % 2 == 0 {
                store
                    .finish_submission_with_flash(
                        &token,
                        &outcome,
                        &format!("flash{n}"),
                        payload,
                        now + 60,
                    )
                    .await
            } else {
                store.finish_submission(&token, &outcome).await
            }
        })
    });
    // A flash whose id another flash takes in the same moment: whichever is refused, its
    // neighbours are kept.
    let flashes = ["lone", "twin", "twin"].into_iter().map(|id| {
        let store = store.clone();
        tokio::spawn(async move { store.put_flash(id, "{}", now + 60).await })
    });
    for finished in join_all(finishes).await {
        finished.unwrap().unwrap();
    }
    let kept = join_all(flashes).await;
    assert!(kept[0].as_ref().unwrap().is_ok(), "{kept:?}");
    assert!(
        kept[1..].iter().any(|k| k.as_ref().unwrap().is_ok()),
        "{kept:?}"
    );
    for (n, token) in tokens.iter().enumerate() {
        assert_eq!(
            store.submission_outcome(token).await.unwrap(),
            Some(format!("{{\"n\":{n}}}")),
            "{token}"
        );
        let flash = store.take_flash(&format!("flash{n}"), now).await.unwrap();
        assert_eq!(
            flash.as_deref(),
            (n % 2 == 0).then_some(payload),
            "flash{n}"
        );
    }
    assert!(store.take_flash("lone", now).await.unwrap().is_some());
    assert!(store.take_flash("twin", now).await.unwrap().is_some());
}

/// Each case as a test on the store `$make` gives.
macro_rules! cases {
    ($make:expr; $($case:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $case() {
            let db: Backend = $make;
            super::$case(&db).await;
            db.finish().await;
        }
    )*};
}

/// Every case on one store.
macro_rules! conformance {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;

            cases!($make;
                sessions_name_their_user_until_they_expire_or_end,
                a_users_sessions_are_listed_and_the_others_end_together,
                a_submission_token_is_claimed_once_and_remembers_its_outcome,
                a_first_outcome_and_its_flash_are_written_together,
                the_writes_of_many_posts_at_once_are_each_what_they_would_be_alone,
                flashes_are_single_use_and_expire,
                jobs_are_leased_retried_and_kept_when_dead,
                concurrent_claims_never_share_a_job,
            );
        }
    };
}

conformance!(memory, Backend::memory());
conformance!(sqlite_store, Backend::sqlite().await);
conformance!(postgres_store, Backend::postgres().await);

/// Without a principals query nobody can sign in, and a cookie names nobody.
#[tokio::test]
async fn a_store_without_principals_signs_nobody_in() {
    let store = Stores::of(MemoryStore::new());
    assert!(store
        .sessions
        .insert_session("h", 1, 0, i64::MAX, "")
        .await
        .is_err());
    assert_eq!(store.sessions.session_user("h", 1).await.unwrap(), None);
    assert!(
        sqlite::SqliteStore::new(sqlx::SqlitePool::connect_lazy("sqlite::memory:").unwrap())
            .principals("DROP TABLE users")
            .is_err(),
        "the principals query is one SELECT"
    );
}

/// Migrating again applies nothing; a migration whose SQL changed since it was applied stops
/// the start, named.
#[tokio::test]
async fn migrations_apply_once_and_refuse_a_changed_history() {
    for db in [Backend::sqlite().await, Backend::postgres().await] {
        let checksum_changed =
            "UPDATE formwork_migrations SET checksum = 'changed' WHERE version = 1";
        match &db.users {
            Users::Sqlite(pool) => {
                assert_eq!(sqlite::migrate(pool).await.unwrap(), 0);
                sqlx::query(checksum_changed).execute(pool).await.unwrap();
                let error = sqlite::migrate(pool).await.unwrap_err().to_string();
                assert!(error.contains("formwork migration 1"), "{error}");
            }
            Users::Postgres(pool) => {
                assert_eq!(postgres::migrate(pool).await.unwrap(), 0);
                // Two instances starting at once: both succeed, nothing applies twice.
                let (a, b) = tokio::join!(postgres::migrate(pool), postgres::migrate(pool));
                assert_eq!((a.unwrap(), b.unwrap()), (0, 0));
                sqlx::query(checksum_changed).execute(pool).await.unwrap();
                let error = postgres::migrate(pool).await.unwrap_err().to_string();
                assert!(error.contains("formwork migration 1"), "{error}");
            }
            Users::Memory(_) => unreachable!(),
        }
        db.finish().await;
    }
}

/// Every connection `sqlite::open` hands out is set up as its docs say, the first and any
/// later one: WAL, foreign keys, temporary storage in memory, and the checkpoint mark.
#[tokio::test]
async fn every_connection_of_an_opened_sqlite_database_is_set_up_alike() {
    let dir = std::env::temp_dir().join(format!("formwork-open-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let pool = sqlite::open(
        &format!("sqlite:{}", dir.join("test.db").display()),
        std::time::Duration::from_secs(2),
    )
    .await
    .unwrap();
    // Hold several connections at once, so more than one is opened and asked.
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut connection = pool.acquire().await.unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut *connection)
            .await
            .unwrap();
        let keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut *connection)
            .await
            .unwrap();
        let mark: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(&mut *connection)
            .await
            .unwrap();
        // 2: memory.
        let temp: i64 = sqlx::query_scalar("PRAGMA temp_store")
            .fetch_one(&mut *connection)
            .await
            .unwrap();
        assert_eq!((mode.as_str(), keys, temp), ("wal", 1, 2));
        assert_eq!(mark, i64::from(sqlite::WAL_PAGES_BEFORE_CHECKPOINT));
        held.push(connection);
    }
    drop(held);
    pool.close().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A database for the lock tests, opened as `sqlite::open` opens one with a busy timeout of
/// `busy`, with a table of notes; the folder it lives in.
async fn notes_database(
    name: &str,
    busy: std::time::Duration,
) -> (std::path::PathBuf, sqlx::SqlitePool) {
    let dir =
        std::env::temp_dir().join(format!("formwork-{name}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let pool = sqlite::open(&format!("sqlite:{}", dir.join("test.db").display()), busy)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE notes (body TEXT NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    (dir, pool)
}

/// Inserts a note through `writer`; answers how many rows it inserted.
async fn insert_note(writer: &sqlite::Writer, body: &'static str) -> Result<usize, sqlx::Error> {
    writer
        .write(move |connection| {
            connection
                .prepare_cached("INSERT INTO notes (body) VALUES ($1)")?
                .execute([body])
        })
        .await
}

/// The notes' bodies.
async fn notes(pool: &sqlx::SqlitePool) -> Vec<String> {
    sqlx::query_scalar("SELECT body FROM notes")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// A write that finds another one holding SQLite's write lock waits for it, up to the time
/// `sqlite::open` was given, and past that fails as the database being unavailable (503).
#[tokio::test]
async fn a_write_waits_for_the_lock_until_its_timeout_then_fails_as_unavailable() {
    let (dir, pool) = notes_database("busy", std::time::Duration::from_millis(300)).await;
    let insert = |pool: sqlx::SqlitePool, body: &'static str| async move {
        sqlx::query("INSERT INTO notes (body) VALUES ($1)")
            .bind(body)
            .execute(&pool)
            .await
    };

    // Another writer holds the lock for a moment, then commits: the write goes through after.
    let mut holder = pool.acquire().await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *holder)
        .await
        .unwrap();
    let waiting = tokio::spawn(insert(pool.clone(), "after the other"));
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(!waiting.is_finished(), "the write waits for the lock");
    sqlx::query("COMMIT").execute(&mut *holder).await.unwrap();
    waiting
        .await
        .unwrap()
        .expect("the write went through once the lock was free");

    // The lock held past the timeout: the write gives up, as unavailable.
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *holder)
        .await
        .unwrap();
    let error = insert(pool.clone(), "never").await.unwrap_err();
    assert!(formwork::store::is_unavailable(&error), "{error:?}");
    sqlx::query("ROLLBACK").execute(&mut *holder).await.unwrap();
    drop(holder);

    assert_eq!(notes(&pool).await, ["after the other"]);
    pool.close().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A work on SQLite's writer that cannot take the write lock within the busy timeout (another
/// connection holds it) fails as the database being unavailable (503), quickly, and the writer
/// goes on once the lock is free.
#[tokio::test]
async fn a_writer_that_cannot_take_the_lock_in_time_fails_as_unavailable_and_goes_on() {
    let (dir, pool) = notes_database("writer-busy", std::time::Duration::from_millis(200)).await;
    let writer = sqlite::Writer::new(pool.clone());
    let insert = |body: &'static str| insert_note(&writer, body);

    let mut holder = pool.acquire().await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *holder)
        .await
        .unwrap();
    let error = insert("never").await.unwrap_err();
    assert!(formwork::store::is_unavailable(&error), "{error:?}");
    sqlx::query("ROLLBACK").execute(&mut *holder).await.unwrap();
    drop(holder);

    assert_eq!(insert("after").await.unwrap(), 1, "one row inserted");
    assert_eq!(notes(&pool).await, ["after"]);
    pool.close().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The statements a writer runs before each commit run once per transaction that keeps a
/// work, after its works and in it (they see the works' rows, and nothing of a work that
/// failed); when one fails, the transaction's works fail with it and nothing is kept.
#[tokio::test]
async fn a_writers_statements_before_commit_end_each_transaction_that_keeps_a_work() {
    let (dir, pool) = notes_database("before-commit", std::time::Duration::from_secs(2)).await;
    sqlx::query("CREATE TABLE commits (notes INTEGER NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    let writer = sqlite::Writer::new(pool.clone()).before_commit(&[
        "INSERT INTO commits (notes) SELECT count(*) FROM notes",
        // Fails (NOT NULL) once a note asks for it: the whole transaction with it.
        "INSERT INTO notes (body) SELECT NULL FROM notes WHERE body = 'spoil the commit'",
    ]);
    let insert = |body: &'static str| insert_note(&writer, body);
    let refused = || {
        writer.write(|connection| {
            connection.execute("INSERT INTO notes (body) VALUES ('refused')", [])?;
            Err::<(), _>(sqlite::rusqlite::Error::QueryReturnedNoRows)
        })
    };
    let commits = || async {
        sqlx::query_scalar::<_, i64>("SELECT notes FROM commits ORDER BY rowid")
            .fetch_all(&pool)
            .await
            .unwrap()
    };

    assert_eq!(insert("first").await.unwrap(), 1);
    assert_eq!(
        commits().await,
        [1],
        "run once, after the work, in its transaction"
    );
    // Several at once, in one transaction or several: each transaction ends with one run
    // that sees every note written before it.
    let (a, b, c) = tokio::join!(insert("a"), insert("b"), insert("c"));
    assert_eq!((a.unwrap(), b.unwrap(), c.unwrap()), (1, 1, 1));
    let after = commits().await;
    assert_eq!(after.last(), Some(&4), "{after:?}");
    assert!(after.windows(2).all(|w| w[0] < w[1]), "{after:?}");
    let runs = after.len();
    // A transaction that keeps nothing runs nothing.
    refused().await.unwrap_err();
    assert_eq!(commits().await.len(), runs);

    let error = insert("spoil the commit").await.unwrap_err();
    assert!(!formwork::store::is_unavailable(&error), "{error:?}");
    assert_eq!(
        commits().await.len(),
        runs,
        "nothing of that transaction is kept"
    );
    assert_eq!(notes(&pool).await, ["first", "a", "b", "c"]);
    // The writer goes on.
    assert_eq!(insert("d").await.unwrap(), 1);
    assert_eq!(commits().await.last(), Some(&5));
    pool.close().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// What a test's write does after inserting its row.
#[derive(Clone, Copy)]
enum Then {
    Answer(i64),
    Refuse(&'static str),
    Panic,
}

/// A row of `test_users` inserted through SQLite's writer, then `then`.
async fn sqlite_write(writer: &sqlite::Writer, id: i64, then: Then) -> Result<i64, sqlx::Error> {
    use sqlite::rusqlite;
    writer
        .write(move |connection| {
            connection
                .prepare_cached("INSERT INTO test_users (id, name, level) VALUES ($1, $2, 0)")?
                .execute((id, format!("writer {id}")))?;
            match then {
                Then::Answer(value) => Ok(value),
                Then::Refuse(why) => Err(rusqlite::Error::ToSqlConversionFailure(why.into())),
                Then::Panic => panic!("a work that panics after writing"),
            }
        })
        .await
}

/// The same through PostgreSQL's writer.
async fn postgres_write(
    writer: &postgres::Writer,
    id: i64,
    then: Then,
) -> Result<i64, sqlx::Error> {
    writer
        .write(move |connection| {
            Box::pin(async move {
                sqlx::query("INSERT INTO test_users (id, name, level) VALUES ($1, $2, 0)")
                    .bind(id)
                    .bind(format!("writer {id}"))
                    .execute(&mut *connection)
                    .await?;
                match then {
                    Then::Answer(value) => Ok(value),
                    Then::Refuse(why) => Err(sqlx::Error::Protocol(why.into())),
                    Then::Panic => panic!("a work that panics after writing"),
                }
            })
        })
        .await
}

/// An app's writes through a backend's `Writer`: many at once, each answered with its own
/// value once committed; one that fails after writing, or panics, leaves nothing and takes
/// nothing from the others.
macro_rules! writes_through_the_writer {
    ($test:ident, $backend:expr, $users:ident, $writer:path, $write:ident) => {
        #[tokio::test]
        async fn $test() {
            let db: Backend = $backend;
            let Users::$users(pool) = &db.users else {
                unreachable!("the backend's own pool")
            };
            let writer = <$writer>::new(pool.clone());
            let writes = (0..30_i64).map(|n| {
                let writer = writer.clone();
                tokio::spawn(async move {
                    let then = match n {
                        7 => Then::Refuse("refused after writing"),
                        8 => Then::Panic,
                        _ => Then::Answer(n * 10),
                    };
                    $write(&writer, 1_000 + n, then).await
                })
            });
            let answers = futures::future::join_all(writes).await;
            for (n, answer) in (0_i64..).zip(&answers) {
                match n {
                    7 => assert!(
                        matches!(answer, Ok(Err(error)) if error.to_string().contains("refused after writing")),
                        "{answer:?}"
                    ),
                    8 => assert!(!matches!(answer, Ok(Ok(_))), "{answer:?}"),
                    _ => assert_eq!(answer.as_ref().ok().and_then(|a| a.as_ref().ok()), Some(&(n * 10))),
                }
            }
            // A work alone in its transaction that fails after writing leaves nothing either,
            // and the writer goes on.
            let alone = $write(&writer, 2_000, Then::Refuse("refused alone"))
                .await
                .unwrap_err();
            assert!(alone.to_string().contains("refused alone"), "{alone:?}");
            // A key taken by an earlier write: that write fails as a unique violation.
            let taken = $write(&writer, 1_000, Then::Answer(0)).await.unwrap_err();
            assert!(
                taken.as_database_error().is_some_and(|e| e.is_unique_violation()),
                "{taken:?}"
            );
            let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM test_users WHERE id >= 1000 ORDER BY id")
                .fetch_all(pool)
                .await
                .unwrap();
            let expected: Vec<i64> = (0..30).filter(|n| ![7, 8].contains(n)).map(|n| 1_000 + n).collect();
            assert_eq!(ids, expected, "every write committed but the two that failed");
            db.finish().await;
        }
    };
}

writes_through_the_writer!(
    sqlite_writes_are_committed_together_each_answered_alone,
    Backend::sqlite().await,
    Sqlite,
    sqlite::Writer,
    sqlite_write
);
writes_through_the_writer!(
    postgres_writes_are_each_committed_and_answered,
    Backend::postgres().await,
    Postgres,
    postgres::Writer,
    postgres_write
);

/// An app that gives formwork its writer (`Builder::sqlite_writer`) has one writer of its
/// SQLite database: a form post's claim waits for the app's write in progress, and is then
/// claimed, rather than failing at the database's lock when its busy timeout runs out, as a
/// second writer of its own would.
#[tokio::test]
async fn formworks_writes_queue_behind_the_apps_on_the_writer_it_was_given() {
    let dir =
        std::env::temp_dir().join(format!("formwork-writer-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join("test.db").display());
    let busy_timeout = std::time::Duration::from_millis(100);
    let pool = sqlite::open(&url, busy_timeout).await.unwrap();
    let writer = sqlite::Writer::new(pool.clone());
    let options = leptos::config::LeptosOptions::builder()
        .output_name("writer-test")
        .build();
    let formwork = formwork::Formwork::builder(&options)
        .sqlite_writer(writer.clone())
        .build()
        .await
        .unwrap();

    // The app's write holds the writer, and with it the database's write lock, until told.
    let (started, holding) = tokio::sync::oneshot::channel();
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let app_write = tokio::spawn({
        let writer = writer.clone();
        async move {
            writer
                .write(move |connection| {
                    connection.execute_batch("CREATE TABLE notes (title TEXT NOT NULL)")?;
                    let _ = started.send(());
                    let _ = released.blocking_recv();
                    Ok(())
                })
                .await
        }
    });
    holding.await.unwrap();
    let flash = formwork.stores().flash.clone();
    let claim = tokio::spawn(async move {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        flash.claim_submission("a-form-token", now, now + 60).await
    });
    // The claim waits on the writer, behind the app's write; a claim that went to the lock
    // instead fails once the busy timeout runs out.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while writer.waiting() == 0 && !claim.is_finished() && tokio::time::Instant::now() < deadline {
        tokio::task::yield_now().await;
    }
    release.send(()).unwrap();
    app_write.await.unwrap().unwrap();
    assert_eq!(
        claim.await.unwrap(),
        Ok(true),
        "claimed once the app's write was committed"
    );
    pool.close().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
