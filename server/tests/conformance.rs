//! The storage conformance suite: the same cases, run against SQLite and PostgreSQL.
//! A backend is done when every case here passes on it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use app::roles::Role;
use app::{
    posts::model::NewPost,
    store::{Owned, Store},
};
use common::TestDb;
use formwork::Validated;
use std::sync::Arc;
use time::OffsetDateTime;

fn post(title: &str, content: &str) -> NewPost {
    NewPost {
        title: title.into(),
        content: content.into(),
    }
    .validated()
    .unwrap()
}

/// An account to write posts as.
async fn writer(store: &Arc<dyn Store>) -> i64 {
    account(store, "writer", Role::User).await
}

async fn account(store: &Arc<dyn Store>, name: &str, role: Role) -> i64 {
    store
        .create_account(
            name,
            &format!("{name}@example.org"),
            "not-a-real-hash",
            role,
        )
        .await
        .unwrap()
}

async fn reports_its_backend_and_answers_pings(store: Arc<dyn Store>, backend: &str) {
    assert_eq!(store.backend(), backend);
    store.ping().await.unwrap();
}

async fn a_created_post_reads_back_by_slug(store: Arc<dyn Store>) {
    let ada = writer(&store).await;
    let before = OffsetDateTime::now_utc() - time::Duration::seconds(1);
    let created = store
        .create_post(
            &post("Hello, World", "Ünïcödé content ✓\nline two"),
            "hello-world",
            ada,
        )
        .await
        .unwrap();
    assert_eq!(created.slug, "hello-world");
    assert_eq!(created.title, "Hello, World");
    assert!(created.created_at >= before);

    let read = store.post_by_slug("hello-world").await.unwrap().unwrap();
    assert_eq!(read, created);
    assert!(store.post_by_slug("nope").await.unwrap().is_none());
}

async fn taken_slugs_get_the_next_free_suffix(store: Arc<dyn Store>) {
    let ada = writer(&store).await;
    let mut slugs = Vec::new();
    for _ in 0..3 {
        slugs.push(
            store
                .create_post(&post("Same", "x"), "same", ada)
                .await
                .unwrap()
                .slug,
        );
    }
    assert_eq!(slugs, ["same", "same-2", "same-3"]);

    // A slug that merely starts with the base is not a suffix of it.
    let other = store
        .create_post(&post("Same world", "x"), "same-world", ada)
        .await
        .unwrap();
    assert_eq!(other.slug, "same-world");
    let next = store
        .create_post(&post("Same", "x"), "same", ada)
        .await
        .unwrap();
    assert_eq!(next.slug, "same-4");

    // Suffixes count up from the highest taken; a freed base slug is used again.
    let base = store.post_by_slug("same").await.unwrap().unwrap();
    assert_eq!(
        store.delete_post(base.id, ada, false).await.unwrap(),
        Owned::Done(())
    );
    assert_eq!(
        store
            .create_post(&post("Same", "x"), "same", ada)
            .await
            .unwrap()
            .slug,
        "same"
    );
    assert_eq!(
        store
            .create_post(&post("Same", "x"), "same", ada)
            .await
            .unwrap()
            .slug,
        "same-5"
    );
}

async fn concurrent_posts_with_one_title_get_distinct_slugs(store: Arc<dyn Store>) {
    let ada = writer(&store).await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.create_post(&post("Race", "x"), "race", ada).await })
        })
        .collect();
    let mut slugs = Vec::new();
    for task in tasks {
        slugs.push(task.await.unwrap().unwrap().slug);
    }
    slugs.sort();
    let mut expected: Vec<String> = (2..=8).map(|n| format!("race-{n}")).collect();
    expected.insert(0, "race".into());
    expected.sort();
    assert_eq!(slugs, expected);
}

async fn posts_after_a_cursor_are_the_next_newer_ones_newest_first(store: Arc<dyn Store>) {
    let ada = writer(&store).await;
    assert!(store.posts_after(0, 20).await.unwrap().is_empty());
    let mut ids = Vec::new();
    for n in 1..=5 {
        let created = store
            .create_post(&post(&format!("Post {n}"), "x"), &format!("post-{n}"), ada)
            .await
            .unwrap();
        ids.push(created.id);
    }
    let titles = |posts: Vec<app::posts::model::PostSummary>| {
        posts.into_iter().map(|p| p.title).collect::<Vec<_>>()
    };
    assert_eq!(
        titles(store.posts_after(ids[0], 2).await.unwrap()),
        ["Post 3", "Post 2"],
        "the nearest newer ones, shown newest first"
    );
    assert_eq!(
        titles(store.posts_after(ids[2], 10).await.unwrap()),
        ["Post 5", "Post 4"]
    );
    assert!(store.posts_after(ids[4], 2).await.unwrap().is_empty());
    assert_eq!(store.posts_after(i64::MIN, 10).await.unwrap().len(), 5);
}

async fn excerpts_are_cut_by_characters(store: Arc<dyn Store>) {
    let ada = writer(&store).await;
    let content = "é".repeat(1_000);
    store
        .create_post(&post("Long", &content), "long", ada)
        .await
        .unwrap();
    let listed = store.posts_before(None, 1).await.unwrap();
    assert_eq!(listed[0].excerpt, "é".repeat(280));
}

async fn deleting_removes_exactly_one_post(store: Arc<dyn Store>) {
    let ada = writer(&store).await;
    let keep = store
        .create_post(&post("Keep", "x"), "keep", ada)
        .await
        .unwrap();
    let gone = store
        .create_post(&post("Gone", "x"), "gone", ada)
        .await
        .unwrap();
    assert_eq!(
        store.delete_post(gone.id, ada, false).await.unwrap(),
        Owned::Done(())
    );
    assert_eq!(
        store.delete_post(gone.id, ada, false).await.unwrap(),
        Owned::Missing,
        "a second delete finds nothing"
    );
    assert!(store.post_by_slug("gone").await.unwrap().is_none());
    assert_eq!(store.post_by_slug("keep").await.unwrap().unwrap(), keep);
    assert_eq!(
        store.delete_post(i64::MAX, ada, true).await.unwrap(),
        Owned::Missing
    );
}

async fn editing_changes_the_text_but_not_the_address(store: Arc<dyn Store>) {
    let ada = writer(&store).await;
    let original = store
        .create_post(&post("First Draft", "old"), "first-draft", ada)
        .await
        .unwrap();
    let other = store
        .create_post(&post("Other", "x"), "other", ada)
        .await
        .unwrap();
    let edited = store
        .update_post(original.id, &post("Final Title ✓", "new"), ada)
        .await
        .unwrap();
    let Owned::Done(edited) = edited else {
        panic!("the author may edit: {edited:?}");
    };
    assert_eq!(
        (edited.id, edited.slug.as_str(), edited.title.as_str()),
        (original.id, "first-draft", "Final Title ✓")
    );
    assert_eq!(edited.content, "new");
    assert_eq!(edited.created_at, original.created_at);
    assert_eq!(
        store.post_by_slug("first-draft").await.unwrap().unwrap(),
        edited
    );
    assert_eq!(store.post_by_slug("other").await.unwrap().unwrap(), other);
    assert_eq!(
        store
            .update_post(i64::MAX, &post("Nobody", "x"), ada)
            .await
            .unwrap(),
        Owned::Missing
    );
}

async fn only_the_author_edits_a_post_and_moderators_may_delete_any(store: Arc<dyn Store>) {
    let ada = account(&store, "ada", Role::User).await;
    let bob = account(&store, "bob", Role::User).await;
    let mine = store
        .create_post(&post("Mine", "by ada"), "mine", ada)
        .await
        .unwrap();
    let author = mine.author.clone().unwrap();
    assert_eq!((author.id, author.username.as_str()), (ada, "ada"));
    assert_eq!(
        store.posts_before(None, 1).await.unwrap()[0].author,
        mine.author,
        "the list names the author too"
    );

    // Bob can neither edit nor (as a user) delete Ada's post; nothing changes.
    assert_eq!(
        store
            .update_post(mine.id, &post("Hijacked", "by bob"), bob)
            .await
            .unwrap(),
        Owned::NotYours
    );
    assert_eq!(
        store.delete_post(mine.id, bob, false).await.unwrap(),
        Owned::NotYours
    );
    assert_eq!(store.post_by_slug("mine").await.unwrap().unwrap(), mine);

    // Ada edits her own; a moderator (any) deletes it.
    assert!(matches!(
        store
            .update_post(mine.id, &post("Still mine", "edited"), ada)
            .await
            .unwrap(),
        Owned::Done(_)
    ));
    assert_eq!(
        store.delete_post(mine.id, bob, true).await.unwrap(),
        Owned::Done(())
    );
    assert!(store.post_by_slug("mine").await.unwrap().is_none());
}

async fn comments_belong_to_their_post_and_their_author(store: Arc<dyn Store>) {
    let ada = account(&store, "ada", Role::User).await;
    let bob = account(&store, "bob", Role::User).await;
    let post_a = store.create_post(&post("A", "x"), "a", ada).await.unwrap();
    let post_b = store.create_post(&post("B", "x"), "b", ada).await.unwrap();
    let first = store
        .add_comment(post_a.id, ada, "First! ✓ '; DROP TABLE comments; --")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (first.post_id, first.author_id, first.author.as_str()),
        (post_a.id, ada, "ada")
    );
    assert_eq!(first.body, "First! ✓ '; DROP TABLE comments; --");
    let second = store
        .add_comment(post_a.id, bob, "Second")
        .await
        .unwrap()
        .unwrap();
    store
        .add_comment(post_b.id, bob, "Elsewhere")
        .await
        .unwrap()
        .unwrap();
    assert!(
        store
            .add_comment(i64::MAX, ada, "Nowhere")
            .await
            .unwrap()
            .is_none(),
        "no post, no comment"
    );
    let bodies = |comments: Vec<app::comments::model::Comment>| {
        comments.into_iter().map(|c| c.body).collect::<Vec<_>>()
    };
    assert_eq!(
        bodies(store.comments_of(post_a.id).await.unwrap()),
        ["First! ✓ '; DROP TABLE comments; --", "Second"],
        "oldest first, this post's only"
    );

    // Bob may not delete Ada's comment; his own he may; a moderator may delete any.
    assert_eq!(
        store.delete_comment(first.id, bob, false).await.unwrap(),
        Owned::NotYours
    );
    assert_eq!(
        store.delete_comment(second.id, bob, false).await.unwrap(),
        Owned::Done(post_a.id)
    );
    assert_eq!(
        store.delete_comment(second.id, bob, false).await.unwrap(),
        Owned::Missing
    );
    assert_eq!(
        store.delete_comment(first.id, bob, true).await.unwrap(),
        Owned::Done(post_a.id)
    );
    assert!(store.comments_of(post_a.id).await.unwrap().is_empty());

    // Deleting a post takes its comments with it.
    assert_eq!(
        store.delete_post(post_b.id, ada, false).await.unwrap(),
        Owned::Done(())
    );
    assert!(store.comments_of(post_b.id).await.unwrap().is_empty());
}

async fn role_changes_always_leave_an_admin(store: Arc<dyn Store>) {
    use app::admin::store::RoleChange;
    let root = account(&store, "root", Role::Admin).await;
    let ada = account(&store, "ada", Role::User).await;
    assert_eq!(
        store.change_role(root, Role::User).await.unwrap(),
        RoleChange::LastAdmin {
            username: "root".into()
        }
    );
    assert_eq!(
        store.change_role(ada, Role::Admin).await.unwrap(),
        RoleChange::Changed {
            username: "ada".into()
        }
    );
    // With two admins, one may step down; then the other is the last.
    assert_eq!(
        store.change_role(root, Role::Moderator).await.unwrap(),
        RoleChange::Changed {
            username: "root".into()
        }
    );
    assert_eq!(
        store.change_role(ada, Role::Moderator).await.unwrap(),
        RoleChange::LastAdmin {
            username: "ada".into()
        }
    );
    assert_eq!(
        store.change_role(i64::MAX, Role::User).await.unwrap(),
        RoleChange::NoSuchAccount
    );
    let role_of = |name: &'static str| {
        let store = store.clone();
        async move { store.account_by_username(name).await.unwrap().unwrap().role }
    };
    assert_eq!(role_of("root").await, Role::Moderator);
    assert_eq!(role_of("ada").await, Role::Admin);
}

async fn admins_demoting_each_other_at_once_leave_one(store: Arc<dyn Store>) {
    let admins: Vec<i64> = {
        let mut ids = Vec::new();
        for name in ["admin1", "admin2", "admin3", "admin4"] {
            ids.push(account(&store, name, Role::Admin).await);
        }
        ids
    };
    let tasks: Vec<_> = admins
        .iter()
        .map(|&id| {
            let store = store.clone();
            tokio::spawn(async move { store.change_role(id, Role::User).await })
        })
        .collect();
    let mut changed = 0;
    for task in tasks {
        if let app::admin::store::RoleChange::Changed { .. } = task.await.unwrap().unwrap() {
            changed += 1;
        }
    }
    assert_eq!(changed, 3, "all but one step down");
    let listed = store.accounts("", 0, 10).await.unwrap();
    assert_eq!(
        listed.iter().filter(|a| a.role == Role::Admin).count(),
        1,
        "{listed:?}"
    );
}

async fn accounts_are_listed_newest_first_and_found_by_prefix(store: Arc<dyn Store>) {
    for name in ["ada", "adam", "bob", "100%_real"] {
        account(&store, name, Role::User).await;
    }
    let names = |accounts: Vec<app::admin::AccountSummary>| {
        accounts.into_iter().map(|a| a.username).collect::<Vec<_>>()
    };
    assert_eq!(
        names(store.accounts("", 0, 10).await.unwrap()),
        ["100%_real", "bob", "adam", "ada"]
    );
    assert_eq!(
        names(store.accounts("ADA", 0, 10).await.unwrap()),
        ["adam", "ada"]
    );
    assert_eq!(
        names(store.accounts("", 1, 2).await.unwrap()),
        ["bob", "adam"]
    );
    // The prefix is text, not a pattern.
    assert_eq!(
        names(store.accounts("100%", 0, 10).await.unwrap()),
        ["100%_real"]
    );
    assert!(store.accounts("%", 0, 10).await.unwrap().is_empty());
    assert!(store.accounts("_", 0, 10).await.unwrap().is_empty());
    let listed = store.accounts("bob", 0, 1).await.unwrap();
    assert_eq!(
        (listed[0].email.as_str(), listed[0].role),
        ("bob@example.org", Role::User)
    );
}

async fn subscribing_twice_is_reported_and_counted_once(db: &TestDb) {
    let stores = db.stores().await;
    let store = stores.app;
    assert_eq!(store.subscriber_count().await.unwrap(), 0);
    assert!(store
        .subscribe("ada@example.org", &common::welcome("ada@example.org"))
        .await
        .unwrap());
    assert!(!store
        .subscribe("ada@example.org", &common::welcome("ada@example.org"))
        .await
        .unwrap());
    assert!(store
        .subscribe("bob@example.org", &common::welcome("bob@example.org"))
        .await
        .unwrap());
    assert_eq!(store.subscriber_count().await.unwrap(), 2);
    // Each new subscriber's welcome job committed with them; the repeat recorded none.
    assert_eq!(stores.framework.jobs.counts().await.unwrap().queued, 2);
    let claimed = stores
        .framework
        .jobs
        .claim(i64::MAX - 1, i64::MAX, 10)
        .await
        .unwrap();
    let payloads: Vec<&str> = claimed.iter().map(|job| job.payload.as_str()).collect();
    assert_eq!(
        payloads,
        [
            r#"{"email":"ada@example.org"}"#,
            r#"{"email":"bob@example.org"}"#
        ]
    );
    assert!(claimed
        .iter()
        .all(|job| job.kind == app::newsletter::welcome::KIND));
}

async fn an_email_is_written_once_per_job(store: Arc<dyn Store>) {
    let email = app::mail::Email {
        to: "ada@example.org".into(),
        subject: "Welcome ✓".into(),
        body: "Hello,\nAda".into(),
    };
    assert!(store.write_to_outbox(7, &email).await.unwrap());
    assert!(
        !store.write_to_outbox(7, &email).await.unwrap(),
        "the job ran twice: one email"
    );
    let other = app::mail::Email {
        to: "bob@example.org".into(),
        ..email.clone()
    };
    assert!(store.write_to_outbox(8, &other).await.unwrap());
    assert_eq!(store.outbox(10).await.unwrap(), [(8, other), (7, email)]);
}

async fn contact_messages_are_kept(store: Arc<dyn Store>) {
    use app::contact::send_message::ContactMessage;
    let message = ContactMessage {
        name: "Ada".into(),
        email: "ada@example.org".into(),
        message: "Hello, team! ✓".into(),
    }
    .validated()
    .unwrap();
    let first = store.save_contact_message(&message).await.unwrap();
    let second = store.save_contact_message(&message).await.unwrap();
    assert!(second > first);
}

async fn feedback_is_kept_and_counted(store: Arc<dyn Store>) {
    use app::feedback::send_feedback::Feedback;
    assert_eq!(store.feedback_count().await.unwrap(), 0);
    for text in ["Fast pages!", "'; DROP TABLE feedback; -- ✓"] {
        let feedback = Feedback {
            message: text.into(),
        }
        .validated()
        .unwrap();
        store.save_feedback(&feedback).await.unwrap();
    }
    assert_eq!(store.feedback_count().await.unwrap(), 2);
}

async fn accounts_are_unique_without_regard_to_case(store: Arc<dyn Store>) {
    use app::roles::Role;
    let ada = store
        .create_account("Ada", "ada@example.org", "hash-1", Role::User)
        .await
        .unwrap();
    for (username, email) in [("ADA", "other@example.org"), ("bob", "ada@example.org")] {
        let refused = store
            .create_account(username, email, "hash-2", Role::User)
            .await;
        assert!(
            matches!(refused, Err(app::store::StoreError::Conflict(_))),
            "{username} {email}: {refused:?}"
        );
    }
    let found = store.account_by_username("aDa").await.unwrap().unwrap();
    assert_eq!((found.id, found.username.as_str()), (ada, "Ada"));
    assert_eq!(found.password_hash, "hash-1");
    assert_eq!(found.role, Role::User);
    assert!(store.set_role(ada, Role::Moderator).await.unwrap());
    assert!(!store.set_role(i64::MAX, Role::Admin).await.unwrap());
    let found = store.account_by_username("ada").await.unwrap().unwrap();
    assert_eq!(found.role, Role::Moderator);
    assert!(store.account_by_username("nobody").await.unwrap().is_none());
    assert_eq!(store.account_count().await.unwrap(), 1);

    // A display name: none at first, then the one set; the database itself holds the limit
    // of 50 characters (not bytes).
    assert_eq!(store.display_name(ada).await.unwrap(), None);
    let fifty = "é".repeat(50);
    assert!(store.set_display_name(ada, &fifty).await.unwrap());
    assert_eq!(store.display_name(ada).await.unwrap(), Some(fifty));
    assert!(store.set_display_name(ada, &"é".repeat(51)).await.is_err());
    assert!(store.set_display_name(ada, "").await.is_err());
    assert!(!store.set_display_name(i64::MAX, "Nobody").await.unwrap());
    assert_eq!(store.display_name(i64::MAX).await.unwrap(), None);
}

/// formwork's session store names the app's users through the app's principals query (its
/// own behaviour is formwork's conformance suite): each user by name, with their role's rank.
async fn sessions_name_the_apps_users_with_their_roles_rank(db: &TestDb) {
    let stores = db.stores().await;
    let (store, sessions) = (stores.app, stores.framework.sessions);
    let now = 1_800_000_000;
    for (name, role) in [
        ("ada", Role::Admin),
        ("mia", Role::Moderator),
        ("bob", Role::User),
    ] {
        let id = store
            .create_account(name, &format!("{name}@example.org"), "hash", role)
            .await
            .unwrap();
        sessions
            .insert_session(name, id, now, now + 60, "")
            .await
            .unwrap();
        let who = sessions.session_user(name, now).await.unwrap().unwrap();
        assert_eq!(
            (who.user_id, who.username.as_str(), who.rank),
            (id, name, role.rank())
        );
    }
}

async fn migrations_are_idempotent(db: &TestDb) {
    // Connecting applies migrations; a second start must find nothing to do.
    let first = db.store().await;
    let ada = writer(&first).await;
    first
        .create_post(&post("Survives", "x"), "survives", ada)
        .await
        .unwrap();
    let second = db.store().await;
    assert!(second.post_by_slug("survives").await.unwrap().is_some());
}

/// The database as the release whose last app migration was `version` left it, holding `rows`
/// (SQL statements); the next `db.store()` upgrades it. formwork's own tables exist from the
/// app migration that moved rows into them on.
async fn database_as_of(db: &TestDb, version: i64, rows: impl IntoIterator<Item = String>) {
    /// The app migration that moved the app's rows into formwork's tables.
    const FORMWORK_TABLES: i64 = 20261202000013;
    fn up_to(mut migrator: sqlx::migrate::Migrator, version: i64) -> sqlx::migrate::Migrator {
        migrator.migrations = migrator
            .migrations
            .iter()
            .filter(|m| m.version <= version)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        migrator
    }
    match db {
        TestDb::Sqlite { url, .. } => {
            let pool = sqlx::SqlitePool::connect(&format!("{url}?mode=rwc"))
                .await
                .unwrap();
            if version >= FORMWORK_TABLES {
                formwork::store::sqlite::migrate(&pool).await.unwrap();
            }
            up_to(sqlx::migrate!("migrations/sqlite"), version)
                .run(&pool)
                .await
                .unwrap();
            for row in rows {
                sqlx::query(&row).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }
        TestDb::Postgres { url, .. } => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            if version >= FORMWORK_TABLES {
                formwork::store::postgres::migrate(&pool).await.unwrap();
            }
            up_to(sqlx::migrate!("migrations/postgres"), version)
                .run(&pool)
                .await
                .unwrap();
            for row in rows {
                // The users' ids are generated ALWAYS: a row that gives one says so.
                let row = if row.starts_with("INSERT INTO users") {
                    row.replace(" VALUES (", " OVERRIDING SYSTEM VALUE VALUES (")
                } else {
                    row
                };
                sqlx::query(&row).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }
    }
}

/// A database made before formwork kept its own tables: the app's migrations up to then
/// created `sessions`, `jobs`, `flashes` and `submissions`. Upgrading moves their rows.
async fn upgrading_moves_the_app_tables_rows_into_formworks(db: &TestDb) {
    /// The last app migration that predates formwork's tables.
    const BEFORE: i64 = 20261201000012;
    const OLD_ROWS: [&str; 4] = [
        "INSERT INTO users (id, username, email, password_hash, role, created_at) \
         VALUES (7, 'ada', 'ada@example.org', 'hash', 'admin', '2026-12-01 00:00:00+00')",
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, user_agent) \
         VALUES ('h', 7, 1, 4000000000, 'Firefox')",
        "INSERT INTO jobs (id, kind, payload, state, attempts, run_at, created_at) \
         VALUES (41, 'test.job', '{}', 'queued', 0, 1, 1)",
        "INSERT INTO submissions (token, outcome, expires_at) VALUES ('t', 'done', 4000000000)",
    ];
    database_as_of(db, BEFORE, OLD_ROWS.map(str::to_owned)).await;
    let stores = db.stores().await;
    let who = stores
        .framework
        .sessions
        .session_user("h", 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (who.user_id, who.username.as_str(), who.rank),
        (7, "ada", Role::Admin.rank())
    );
    assert_eq!(
        stores
            .framework
            .flash
            .submission_outcome("t")
            .await
            .unwrap()
            .as_deref(),
        Some("done")
    );
    let claimed = stores.framework.jobs.claim(2, 3, 10).await.unwrap();
    assert_eq!(
        claimed.iter().map(|job| job.id).collect::<Vec<_>>(),
        [41],
        "the job keeps its id"
    );
    let next = stores
        .framework
        .jobs
        .enqueue(
            &formwork::jobs::NewJob {
                kind: "test.job",
                payload: "{}".into(),
            },
            1,
        )
        .await
        .unwrap();
    assert!(
        next > 41,
        "new jobs number after the moved ones, got {next}"
    );
}

/// Posts written before search kept folded text: the start-up after the upgrade folds them,
/// and search finds them as it finds new ones.
async fn upgrading_folds_the_search_text_of_older_posts(db: &TestDb) {
    /// The last app migration before posts kept their search text.
    const BEFORE: i64 = 20261202000013;
    let rows = (1..=1_200).map(|n| {
        let title = if n == 7 {
            "Die STRASSE".to_owned()
        } else {
            format!("Old post {n}")
        };
        format!(
            "INSERT INTO posts (slug, title, content, created_at) VALUES \
             ('old-{n}', '{title}', 'Written long ago.', '2026-11-01 12:00:00.000000+00:00')"
        )
    });
    database_as_of(db, BEFORE, rows).await;
    let store = db.store().await;
    assert_eq!(found(&store, "straße").await, ["Die STRASSE"]);
    assert_eq!(
        store
            .search_posts(&["old".to_owned()], 2_000)
            .await
            .unwrap()
            .len(),
        1_199,
        "every batch of the fold"
    );
    assert_eq!(found(&store, "long ago").await.len(), 20);
}

async fn todos_belong_to_their_owner_and_keep_their_rules(store: Arc<dyn Store>) {
    use app::store::StoreError;
    let (ada, bob) = (
        account(&store, "ada", Role::User).await,
        account(&store, "bob", Role::User).await,
    );
    let milk = store.add_todo(ada, "Buy milk", 3).await.unwrap().unwrap();
    let call = store.add_todo(ada, "Call Bob", 3).await.unwrap().unwrap();
    assert!(!milk.done);
    assert!(
        matches!(
            store.add_todo(ada, "Buy milk", 3).await,
            Err(StoreError::Conflict(_))
        ),
        "a title is on a list once"
    );
    // Bob may have the same title; his list is his own.
    let his = store.add_todo(bob, "Buy milk", 3).await.unwrap().unwrap();
    store.add_todo(ada, "Third", 3).await.unwrap().unwrap();
    assert_eq!(
        store.add_todo(ada, "Fourth", 3).await.unwrap(),
        None,
        "the limit holds"
    );

    assert!(store.set_todo_done(ada, milk.id, true).await.unwrap());
    assert!(
        store.set_todo_done(ada, milk.id, true).await.unwrap(),
        "setting twice is fine"
    );
    assert!(store
        .rename_todo(ada, call.id, "Call Bob back")
        .await
        .unwrap());
    assert!(matches!(
        store.rename_todo(ada, call.id, "Buy milk").await,
        Err(StoreError::Conflict(_))
    ));
    // Nobody changes another's todo, whatever id they send.
    assert!(!store.set_todo_done(bob, milk.id, false).await.unwrap());
    assert!(!store.rename_todo(bob, milk.id, "Mine now").await.unwrap());
    assert!(!store.delete_todo(bob, milk.id).await.unwrap());
    assert!(!store.delete_todo(ada, his.id).await.unwrap());
    assert!(!store.set_todo_done(ada, i64::MAX, true).await.unwrap());

    let titles = |todos: Vec<app::todos::model::Todo>| {
        todos
            .into_iter()
            .map(|t| (t.title, t.done))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        titles(store.todos_of(ada).await.unwrap()),
        [
            ("Buy milk".to_owned(), true),
            ("Call Bob back".to_owned(), false),
            ("Third".to_owned(), false)
        ],
        "oldest first"
    );
    assert!(store.delete_todo(ada, milk.id).await.unwrap());
    assert_eq!(store.todos_of(ada).await.unwrap().len(), 2);
    assert_eq!(
        titles(store.todos_of(bob).await.unwrap()),
        [("Buy milk".to_owned(), false)]
    );
}

async fn concurrent_ticks_of_one_todo_agree(store: Arc<dyn Store>) {
    let ada = account(&store, "ada", Role::User).await;
    let todo = store.add_todo(ada, "Once", 10).await.unwrap().unwrap();
    let ticks = (0..8).map(|_| {
        let store = store.clone();
        async move { store.set_todo_done(ada, todo.id, true).await.unwrap() }
    });
    assert!(futures::future::join_all(ticks)
        .await
        .into_iter()
        .all(|found| found));
    assert!(
        store.todos_of(ada).await.unwrap()[0].done,
        "ticked, however many tabs ticked it"
    );
}

async fn posts_are_found_by_every_word_of_a_search_as_plain_text(store: Arc<dyn Store>) {
    let author = writer(&store).await;
    for (title, content) in [
        ("Rust on the server", "Axum and Leptos, together."),
        (
            "Gardening",
            "Tomatoes love the sun. Rust is a plant disease too.",
        ),
        ("100% sure", "Discounts: 50_off applies."),
        ("Back\\slash", "A path like C:\\temp."),
    ] {
        let slug = title
            .to_lowercase()
            .replace(|c: char| !c.is_alphanumeric(), "-");
        store
            .create_post(&post(title, content), &slug, author)
            .await
            .unwrap();
    }
    let titles = |posts: Vec<app::posts::model::Post>| {
        posts.into_iter().map(|p| p.title).collect::<Vec<_>>()
    };
    let find = |words: &[&str]| {
        let store = store.clone();
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        async move { titles(store.search_posts(&words, 20).await.unwrap()) }
    };
    assert_eq!(
        find(&["rust"]).await,
        ["Gardening", "Rust on the server"],
        "title or content, newest first"
    );
    assert_eq!(
        find(&["rust", "leptos"]).await,
        ["Rust on the server"],
        "every word"
    );
    assert_eq!(find(&["tomatoes"]).await, ["Gardening"], "case aside");
    // Wildcards and the escape character are text.
    assert_eq!(find(&["%"]).await, ["100% sure"]);
    assert_eq!(find(&["_"]).await, ["100% sure"]);
    assert_eq!(find(&["\\"]).await, ["Back\\slash"]);
    assert!(find(&["' or 1=1 --"]).await.is_empty());
    assert!(find(&[]).await.is_empty());
    let one = store.search_posts(&["a".to_owned()], 1).await.unwrap();
    assert_eq!(one.len(), 1, "the limit holds");
}

/// The words as a query makes them (folded), searched.
async fn found(store: &Arc<dyn Store>, q: &str) -> Vec<String> {
    let words = app::search::query::words(q).unwrap();
    store
        .search_posts(&words, 20)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.title)
        .collect()
}

/// The same answers on both backends for text beyond ASCII: SQLite's `lower()` folds ASCII
/// only, and PostgreSQL's depends on the database's collation, so neither decides.
async fn search_folds_case_the_same_way_on_every_backend(store: Arc<dyn Store>) {
    let author = writer(&store).await;
    for (slug, title, content) in [
        ("elan", "Élan vital", "Bergson's word."),
        ("strasse", "Die STRASSE", "Eine Straße in Berlin."),
        ("crab", "Crabs", "Ferris 🦀 says hi; so does 🦀🦀."),
        ("greek", "ΣΊΣΥΦΟΣ", "Καλημέρα."),
        ("decomposed", "Cafe\u{301} au lait", "Noir."),
        ("symbols", "Glob*star?", "[brackets] and \"quotes\""),
    ] {
        store
            .create_post(&post(title, content), slug, author)
            .await
            .unwrap();
    }
    assert_eq!(found(&store, "élan").await, ["Élan vital"]);
    assert_eq!(found(&store, "ÉLAN").await, ["Élan vital"]);
    assert!(
        found(&store, "elan").await.is_empty(),
        "accents count: é is not e"
    );
    assert_eq!(
        found(&store, "straße").await,
        ["Die STRASSE"],
        "ß folds to ss, in the title as in the content"
    );
    assert_eq!(found(&store, "strasse berlin").await, ["Die STRASSE"]);
    assert_eq!(
        found(&store, "STRAẞE").await,
        ["Die STRASSE"],
        "capital sharp s"
    );
    assert_eq!(found(&store, "🦀").await, ["Crabs"], "one emoji");
    assert_eq!(found(&store, "🦀🦀").await, ["Crabs"]);
    assert_eq!(found(&store, "says 🦀").await, ["Crabs"]);
    assert_eq!(found(&store, "σίσυφος").await, ["ΣΊΣΥΦΟΣ"], "final sigma");
    assert_eq!(
        found(&store, "café").await,
        ["Cafe\u{301} au lait"],
        "a precomposed é finds a decomposed one"
    );
    for pattern in ["*", "?", "[b", "glob*star?", "\"quotes\""] {
        assert_eq!(found(&store, pattern).await, ["Glob*star?"], "{pattern}");
    }
    assert!(found(&store, "gl*r").await.is_empty(), "* is no wildcard");
    assert!(found(&store, "\"\" OR 1").await.is_empty());
}

async fn search_follows_edits_and_deletes(store: Arc<dyn Store>) {
    use app::store::Owned;
    let author = writer(&store).await;
    let first = store
        .create_post(&post("Apples", "Crisp autumn apples."), "apples", author)
        .await
        .unwrap();
    let second = store
        .create_post(&post("Pears", "Autumn pears."), "pears", author)
        .await
        .unwrap();
    assert_eq!(found(&store, "autumn").await, ["Pears", "Apples"]);
    let edited = store
        .update_post(first.id, &post("Plums", "Summer plums."), author)
        .await
        .unwrap();
    assert!(matches!(edited, Owned::Done(_)));
    assert_eq!(
        found(&store, "autumn").await,
        ["Pears"],
        "the old text is gone"
    );
    assert_eq!(
        found(&store, "summer").await,
        ["Plums"],
        "the new text is found"
    );
    assert!(found(&store, "apples").await.is_empty());
    store.delete_post(second.id, author, false).await.unwrap();
    assert!(found(&store, "autumn").await.is_empty());
    assert!(found(&store, "pears").await.is_empty());
}

async fn posts_before_a_cursor_are_the_next_older_ones(store: Arc<dyn Store>) {
    let author = writer(&store).await;
    let mut ids = Vec::new();
    for i in 1..=5 {
        let created = store
            .create_post(&post(&format!("P{i}"), "x"), &format!("p{i}"), author)
            .await
            .unwrap();
        ids.push(created.id);
    }
    let titles = |posts: Vec<app::posts::model::PostSummary>| {
        posts.into_iter().map(|p| p.title).collect::<Vec<_>>()
    };
    assert_eq!(
        titles(store.posts_before(None, 2).await.unwrap()),
        ["P5", "P4"]
    );
    assert_eq!(
        titles(store.posts_before(Some(ids[3]), 2).await.unwrap()),
        ["P3", "P2"]
    );
    assert_eq!(
        titles(store.posts_before(Some(ids[0]), 2).await.unwrap()),
        Vec::<String>::new()
    );
    assert_eq!(
        store.posts_before(Some(i64::MAX), 10).await.unwrap().len(),
        5
    );
}

async fn a_bounce_is_handled_once_per_delivery(store: Arc<dyn Store>) {
    use app::store::Bounce;
    let long_ago = OffsetDateTime::UNIX_EPOCH;
    store
        .subscribe("ada@example.org", &common::welcome("ada@example.org"))
        .await
        .unwrap();
    assert_eq!(
        store
            .bounce("d1", "ada@example.org", long_ago)
            .await
            .unwrap(),
        Bounce::Unsubscribed
    );
    assert_eq!(store.subscriber_count().await.unwrap(), 0);
    store
        .subscribe("ada@example.org", &common::welcome("ada@example.org"))
        .await
        .unwrap();
    assert_eq!(
        store
            .bounce("d1", "ada@example.org", long_ago)
            .await
            .unwrap(),
        Bounce::Replayed
    );
    assert_eq!(
        store.subscriber_count().await.unwrap(),
        1,
        "a replay changes nothing"
    );
    assert_eq!(
        store
            .bounce("d2", "bob@example.org", long_ago)
            .await
            .unwrap(),
        Bounce::NotSubscribed
    );
    // Forgotten once old enough (the handler refuses deliveries that old anyway).
    let later = OffsetDateTime::now_utc() + time::Duration::minutes(1);
    assert_eq!(
        store.bounce("d3", "x@example.org", later).await.unwrap(),
        Bounce::NotSubscribed
    );
    assert_eq!(
        store.bounce("d1", "ada@example.org", later).await.unwrap(),
        Bounce::Unsubscribed
    );
}

async fn a_picture_is_swapped_in_only_by_its_pending_upload(db: &TestDb) {
    use app::settings::avatar::store::{AvatarState, Finish};
    use formwork::jobs::NewJob;
    let stores = db.stores().await;
    let (store, jobs) = (stores.app, stores.framework.jobs);
    let ada = account(&store, "ada", Role::User).await;
    let process = |staging: &str| NewJob {
        kind: "avatar.process",
        payload: format!("{{\"staging\":\"{staging}\"}}"),
    };
    assert_eq!(store.avatar(ada).await.unwrap(), AvatarState::default());
    // No such user: nothing staged, no job.
    assert!(!store
        .stage_avatar(i64::MAX, "staging/x", &process("x"))
        .await
        .unwrap());
    assert_eq!(jobs.counts().await.unwrap().queued, 0);

    // The upload and its job, together.
    assert!(store
        .stage_avatar(ada, "staging/1", &process("1"))
        .await
        .unwrap());
    assert_eq!(jobs.counts().await.unwrap().queued, 1);
    assert_eq!(
        store.avatar(ada).await.unwrap().pending.as_deref(),
        Some("staging/1")
    );
    // A second upload before the first is done supersedes it.
    assert!(store
        .stage_avatar(ada, "staging/2", &process("2"))
        .await
        .unwrap());
    assert_eq!(jobs.counts().await.unwrap().queued, 2);
    assert_eq!(
        store
            .finish_avatar(ada, "staging/1", "avatars/1/a.jpg")
            .await
            .unwrap(),
        Finish::Superseded
    );
    assert_eq!(
        store
            .finish_avatar(ada, "staging/2", "avatars/1/b.jpg")
            .await
            .unwrap(),
        Finish::Done { replaced: None }
    );
    assert_eq!(
        store.avatar(ada).await.unwrap(),
        AvatarState {
            key: Some("avatars/1/b.jpg".into()),
            pending: None,
            error: None
        }
    );
    // Finishing twice changes nothing.
    assert_eq!(
        store
            .finish_avatar(ada, "staging/2", "avatars/1/c.jpg")
            .await
            .unwrap(),
        Finish::Superseded
    );
    // The next one names the picture it replaces.
    assert!(store
        .stage_avatar(ada, "staging/3", &process("3"))
        .await
        .unwrap());
    assert_eq!(
        store
            .finish_avatar(ada, "staging/3", "avatars/1/d.jpg")
            .await
            .unwrap(),
        Finish::Done {
            replaced: Some("avatars/1/b.jpg".into())
        }
    );
    // A failed one keeps the picture and says why, until the next upload.
    assert!(store
        .stage_avatar(ada, "staging/4", &process("4"))
        .await
        .unwrap());
    assert!(!store.fail_avatar(ada, "staging/other", "no").await.unwrap());
    assert!(store
        .fail_avatar(ada, "staging/4", "cut short")
        .await
        .unwrap());
    assert_eq!(
        store.avatar(ada).await.unwrap(),
        AvatarState {
            key: Some("avatars/1/d.jpg".into()),
            pending: None,
            error: Some("cut short".into())
        }
    );
    assert!(store
        .stage_avatar(ada, "staging/5", &process("5"))
        .await
        .unwrap());
    assert_eq!(store.avatar(ada).await.unwrap().error, None);

    // Posts and comments carry their author's picture.
    let post = store
        .create_post(&post("Portrait", "With a face."), "portrait", ada)
        .await
        .unwrap();
    store.add_comment(post.id, ada, "Me again.").await.unwrap();
    let listed = store.posts_before(None, 10).await.unwrap();
    assert_eq!(
        listed[0].author.as_ref().and_then(|a| a.avatar.as_deref()),
        Some("avatars/1/d.jpg")
    );
    let read = store.post_by_slug("portrait").await.unwrap().unwrap();
    assert_eq!(
        read.author.and_then(|a| a.avatar).as_deref(),
        Some("avatars/1/d.jpg")
    );
    let comments = store.comments_of(post.id).await.unwrap();
    assert_eq!(
        comments[0].author_avatar.as_deref(),
        Some("avatars/1/d.jpg")
    );
}

/// Conformance cases that need the whole database (several stores, or a fresh connection),
/// each as a test on `$backend`.
macro_rules! with_database {
    ($backend:ident: $($case:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $case() {
            let db = TestDb::$backend().await;
            super::$case(&db).await;
            db.drop_database().await;
        }
    )*};
}

macro_rules! conformance {
    ($backend:ident, $name:literal) => {
        mod $backend {
            use super::*;

            with_database!($backend:
                subscribing_twice_is_reported_and_counted_once,
                sessions_name_the_apps_users_with_their_roles_rank,
                migrations_are_idempotent,
                upgrading_moves_the_app_tables_rows_into_formworks,
                upgrading_folds_the_search_text_of_older_posts,
                a_picture_is_swapped_in_only_by_its_pending_upload,
            );

            async fn run<F, Fut>(case: F)
            where
                F: FnOnce(Arc<dyn Store>) -> Fut,
                Fut: std::future::Future<Output = ()>,
            {
                let db = TestDb::$backend().await;
                case(db.store().await).await;
                db.drop_database().await;
            }

            #[tokio::test]
            async fn reports_its_backend_and_answers_pings() {
                run(|s| super::reports_its_backend_and_answers_pings(s, $name)).await;
            }
            #[tokio::test]
            async fn a_bounce_is_handled_once_per_delivery() {
                run(super::a_bounce_is_handled_once_per_delivery).await;
            }
            #[tokio::test]
            async fn posts_before_a_cursor_are_the_next_older_ones() {
                run(super::posts_before_a_cursor_are_the_next_older_ones).await;
            }
            #[tokio::test]
            async fn posts_are_found_by_every_word_of_a_search_as_plain_text() {
                run(super::posts_are_found_by_every_word_of_a_search_as_plain_text).await;
            }
            #[tokio::test]
            async fn search_folds_case_the_same_way_on_every_backend() {
                run(super::search_folds_case_the_same_way_on_every_backend).await;
            }
            #[tokio::test]
            async fn search_follows_edits_and_deletes() {
                run(super::search_follows_edits_and_deletes).await;
            }
            #[tokio::test]
            async fn todos_belong_to_their_owner_and_keep_their_rules() {
                run(super::todos_belong_to_their_owner_and_keep_their_rules).await;
            }
            #[tokio::test]
            async fn concurrent_ticks_of_one_todo_agree() {
                run(super::concurrent_ticks_of_one_todo_agree).await;
            }
            #[tokio::test]
            async fn a_created_post_reads_back_by_slug() {
                run(super::a_created_post_reads_back_by_slug).await;
            }
            #[tokio::test]
            async fn taken_slugs_get_the_next_free_suffix() {
                run(super::taken_slugs_get_the_next_free_suffix).await;
            }
            #[tokio::test]
            async fn concurrent_posts_with_one_title_get_distinct_slugs() {
                run(super::concurrent_posts_with_one_title_get_distinct_slugs).await;
            }
            #[tokio::test]
            async fn posts_after_a_cursor_are_the_next_newer_ones_newest_first() {
                run(super::posts_after_a_cursor_are_the_next_newer_ones_newest_first).await;
            }
            #[tokio::test]
            async fn excerpts_are_cut_by_characters() {
                run(super::excerpts_are_cut_by_characters).await;
            }
            #[tokio::test]
            async fn deleting_removes_exactly_one_post() {
                run(super::deleting_removes_exactly_one_post).await;
            }
            #[tokio::test]
            async fn editing_changes_the_text_but_not_the_address() {
                run(super::editing_changes_the_text_but_not_the_address).await;
            }
            #[tokio::test]
            async fn only_the_author_edits_a_post_and_moderators_may_delete_any() {
                run(super::only_the_author_edits_a_post_and_moderators_may_delete_any).await;
            }
            #[tokio::test]
            async fn comments_belong_to_their_post_and_their_author() {
                run(super::comments_belong_to_their_post_and_their_author).await;
            }
            #[tokio::test]
            async fn role_changes_always_leave_an_admin() {
                run(super::role_changes_always_leave_an_admin).await;
            }
            #[tokio::test]
            async fn admins_demoting_each_other_at_once_leave_one() {
                run(super::admins_demoting_each_other_at_once_leave_one).await;
            }
            #[tokio::test]
            async fn accounts_are_listed_newest_first_and_found_by_prefix() {
                run(super::accounts_are_listed_newest_first_and_found_by_prefix).await;
            }
            #[tokio::test]
            async fn an_email_is_written_once_per_job() {
                run(super::an_email_is_written_once_per_job).await;
            }
            #[tokio::test]
            async fn contact_messages_are_kept() {
                run(super::contact_messages_are_kept).await;
            }
            #[tokio::test]
            async fn feedback_is_kept_and_counted() {
                run(super::feedback_is_kept_and_counted).await;
            }
            #[tokio::test]
            async fn accounts_are_unique_without_regard_to_case() {
                run(super::accounts_are_unique_without_regard_to_case).await;
            }
        }
    };
}

conformance!(sqlite, "sqlite");
conformance!(postgres, "postgres");
