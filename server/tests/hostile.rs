//! The hostile-client suite: what an attacker or a broken client sends to every server
//! function, without the site's pages.
//!
//! For each server function it tries: no session, a forged session, another user's session
//! and a lower role; another user's resource ids (IDOR); a foreign `Origin`, a missing one and
//! a forged `X-Forwarded-Host`; role escalation fields; oversized bodies, declared and
//! streamed; malformed encodings and type confusion; SQL metacharacters and unicode edge
//! cases; and bursts past the declared rate limit. Every case asserts its status, that
//! nothing answered 5xx, and what storage looks like afterwards: unchanged for a refusal,
//! changed only where the request was a legitimate one. Both backends; it prints the count.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use app::roles::Role;
use app::{
    accounts::{log_in::LogIn, log_out::LogOut, register::Register},
    admin::{change_role::ChangeRole, outbox::ListOutbox, ListAccounts},
    comments::{add_comment::AddComment, delete_comment::DeleteComment, CommentsOf},
    contact::send_message::SendMessage,
    feedback::send_feedback::SendFeedback,
    newsletter::{subscribe::Subscribe, SubscriberCount},
    posts::{
        create_post::CreatePost,
        delete_post::DeletePost,
        edit_post::UpdatePost,
        model::NewPost,
        read::{GetPost, ListPosts},
    },
    search::SearchPosts,
    settings::SetTheme,
    settings::{
        avatar::UploadAvatar,
        profile::{MyProfile, UpdateProfile},
        sessions::{ListSessions, SignOutOtherSessions},
    },
    todos::actions::{AddTodo, DeleteTodo, ListTodos, RenameTodo, SetTodoDone},
};
use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{header, Method, Request, StatusCode},
    Router,
};
use common::TestDb;
use formwork::{registry::Access, Validated};
use http_body_util::BodyExt;
use server_fn::ServerFn;
use std::{
    collections::{BTreeMap, BTreeSet},
    net::SocketAddr,
    sync::atomic::{AtomicU32, Ordering},
};
use tower::ServiceExt;

const SECRET: &str = "hostile-secret-hostile-secret-hostile!";
const FORM: &str = "application/x-www-form-urlencoded";
const PASSWORD: &str = "correct horse battery staple";

/// Who a request claims to be.
#[derive(Clone, Debug)]
enum Caller {
    Nobody,
    /// A session cookie (`fw_session=…`), real or forged.
    Cookie(String),
}

/// What a case must end in.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Refused with this status; storage unchanged.
    Refused(StatusCode),
    /// Accepted with this status; only these tables may change.
    Accepted(StatusCode, &'static [&'static str]),
}

struct Case {
    group: &'static str,
    what: String,
    method: Method,
    /// Path and query.
    uri: String,
    caller: Caller,
    /// Headers set on top of a same-origin script call; an empty value removes the header.
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    /// Send the body without `Content-Length`, as a stream.
    streamed: bool,
    /// The client address (a fresh one when `None`, so rate limits do not interfere).
    ip: Option<String>,
    expect: Expect,
    /// Text that must be stored verbatim after an accepted case.
    stored: Option<String>,
}

impl Case {
    fn post(
        group: &'static str,
        what: impl Into<String>,
        path: &str,
        caller: &Caller,
        body: impl Into<String>,
    ) -> Self {
        Self {
            group,
            what: what.into(),
            method: Method::POST,
            uri: path.to_owned(),
            caller: caller.clone(),
            headers: Vec::new(),
            body: body.into().into_bytes(),
            streamed: false,
            ip: None,
            expect: Expect::Refused(StatusCode::BAD_REQUEST),
            stored: None,
        }
    }

    fn get(group: &'static str, what: impl Into<String>, uri: String, caller: &Caller) -> Self {
        Self {
            method: Method::GET,
            uri,
            body: Vec::new(),
            ..Self::post(group, what, "", caller, "")
        }
    }

    fn expect(mut self, expect: Expect) -> Self {
        self.expect = expect;
        self
    }

    fn refused(self, status: StatusCode) -> Self {
        self.expect(Expect::Refused(status))
    }

    fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    fn bytes(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    fn streamed(mut self) -> Self {
        self.streamed = true;
        self
    }

    fn at_address(mut self, ip: &str) -> Self {
        self.ip = Some(ip.to_owned());
        self
    }

    fn stores(mut self, text: &str) -> Self {
        self.stored = Some(text.to_owned());
        self
    }
}

/// One connection that reads the tables between cases.
enum Probe {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Probe {
    async fn connect(db: &TestDb) -> Self {
        async fn one<D: sqlx::Database>(url: &str) -> sqlx::Pool<D> {
            let options = sqlx::pool::PoolOptions::new().max_connections(1);
            options.connect(url).await.unwrap()
        }
        match db {
            TestDb::Sqlite { url, .. } => Self::Sqlite(one(url).await),
            TestDb::Postgres { url, .. } => Self::Postgres(one(url).await),
        }
    }
}

/// The site under attack: a database with four accounts (two users, a moderator, an admin),
/// a fifth that signs in with a password, one post and one comment by Alice.
struct World {
    db: TestDb,
    /// One connection that reads the tables between cases (a pool per query cost most of the
    /// suite's time on PostgreSQL).
    probe: Probe,
    stores: server::store::Stores,
    key: formwork::signing::SigningKey,
    alice: (i64, Caller),
    bob: (i64, Caller),
    mia: Caller,
    root: (i64, Caller),
    post: i64,
    comment: i64,
    /// A todo on Alice's list.
    todo: i64,
    counter: AtomicU32,
}

impl World {
    async fn new(db: TestDb) -> Self {
        // Every case gets a router of its own; they need no invalidation bus (a listener each
        // would hold a database connection), and what crosses instances is tested elsewhere.
        let mut stores = db.stores().await;
        stores.framework.bus = None;
        let session = |(id, cookie): (i64, String)| (id, Caller::Cookie(cookie));
        let alice = session(common::signed_in(&stores, "alice", Role::User).await);
        let bob = session(common::signed_in(&stores, "bob", Role::User).await);
        let mia = session(common::signed_in(&stores, "mia", Role::Moderator).await).1;
        let root = session(common::signed_in(&stores, "root", Role::Admin).await);
        let hash = app::accounts::password::hash(PASSWORD.to_owned())
            .await
            .unwrap();
        stores
            .app
            .create_account("carol", "carol@example.org", &hash, Role::User)
            .await
            .unwrap();
        let post = stores
            .app
            .create_post(&new_post("Alice's post", "Hers."), "alices-post", alice.0)
            .await
            .unwrap()
            .id;
        let comment = stores
            .app
            .add_comment(post, alice.0, "Alice's comment")
            .await
            .unwrap()
            .unwrap()
            .id;
        let todo = stores
            .app
            .add_todo(alice.0, "Alice's todo", 1_000)
            .await
            .unwrap()
            .unwrap()
            .id;
        let probe = Probe::connect(&db).await;
        Self {
            db,
            probe,
            stores,
            key: formwork::signing::SigningKey::new(SECRET.as_bytes()).unwrap(),
            alice,
            bob,
            mia,
            root,
            post,
            comment,
            todo,
            counter: AtomicU32::new(0),
        }
    }

    async fn router(&self) -> Router {
        common::router(self.stores.clone(), &["--flash-secret", SECRET]).await
    }

    fn n(&self) -> u32 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    /// A fresh client address, in 10.0.0.0/8.
    fn ip(&self) -> String {
        let n = self.n();
        format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
    }

    /// `value`, bound to the action at `path` as its form would carry it.
    fn bind(&self, path: &str, value: i64) -> String {
        formwork::bound::sign_with(&self.key, path, &value.to_string())
    }

    /// A valid call of the action at `path` (its caller and body), fresh each time: deletes
    /// get a new thing to delete, sign-ups a new name.
    async fn good(&self, path: &str) -> (Caller, String) {
        let n = self.n();
        let alice = self.alice.1.clone();
        match path {
            p if p == CreatePost::PATH => (alice, format!("title=Fresh+{n}&content=x")),
            p if p == UpdatePost::PATH => (
                alice,
                format!("id={}&title=Edited+{n}&content=x", self.bind(p, self.post)),
            ),
            p if p == DeletePost::PATH => {
                let id = self
                    .stores
                    .app
                    .create_post(
                        &new_post("Doomed", "x"),
                        &format!("doomed-{n}"),
                        self.alice.0,
                    )
                    .await
                    .unwrap()
                    .id;
                (alice, format!("id={}", self.bind(p, id)))
            }
            p if p == AddComment::PATH => (
                alice,
                format!("post={}&body=Comment+{n}", self.bind(p, self.post)),
            ),
            p if p == DeleteComment::PATH => {
                let id = self
                    .stores
                    .app
                    .add_comment(self.post, self.alice.0, "Doomed")
                    .await
                    .unwrap()
                    .unwrap()
                    .id;
                (alice, format!("id={}", self.bind(p, id)))
            }
            // Bob is a user already: a change that changes nothing.
            p if p == ChangeRole::PATH => (
                self.root.1.clone(),
                format!("user={}&role=user", self.bind(p, self.bob.0)),
            ),
            p if p == Register::PATH => (
                Caller::Nobody,
                format!(
                    "username=new{n}&email=new{n}%40example.org&password={}",
                    PASSWORD.replace(' ', "+")
                ),
            ),
            p if p == LogIn::PATH => (
                Caller::Nobody,
                format!("username=carol&password={}", PASSWORD.replace(' ', "+")),
            ),
            p if p == LogOut::PATH => {
                let (_, cookie) =
                    common::signed_in(&self.stores, &format!("leaving{n}"), Role::User).await;
                (Caller::Cookie(cookie), String::new())
            }
            p if p == UpdateProfile::PATH => (alice, format!("display_name=Alice+{n}")),
            p if p == SignOutOtherSessions::PATH => {
                // Someone signed in twice: the call ends the other session, never its own.
                let (id, cookie) =
                    common::signed_in(&self.stores, &format!("twice{n}"), Role::User).await;
                self.stores
                    .framework
                    .sessions
                    .insert_session(&format!("elsewhere{n}"), id, 1, i64::MAX, "")
                    .await
                    .unwrap();
                (Caller::Cookie(cookie), String::new())
            }
            p if p == Subscribe::PATH => (Caller::Nobody, format!("email=reader{n}%40example.org")),
            p if p == SendMessage::PATH => (
                Caller::Nobody,
                format!("name=Ada&email=ada%40example.org&message=Hello+there+team+{n}"),
            ),
            p if p == SendFeedback::PATH => (Caller::Nobody, format!("message=Nice+site+{n}")),
            p if p == AddTodo::PATH => (alice, format!("title=Todo+{n}")),
            p if p == SetTheme::PATH => (Caller::Nobody, "theme=dark".to_owned()),
            p if p == SetTodoDone::PATH => (alice, format!("id={}&done=true", self.todo)),
            p if p == RenameTodo::PATH => (alice, format!("id={}&title=Renamed+{n}", self.todo)),
            p if p == DeleteTodo::PATH => {
                let id = self
                    .stores
                    .app
                    .add_todo(self.alice.0, &format!("Doomed {n}"), 1_000)
                    .await
                    .unwrap()
                    .unwrap()
                    .id;
                (alice, format!("id={id}"))
            }
            other => panic!("no valid call known for {other}"),
        }
    }

    /// What the database holds, table by table, one line a row.
    async fn fingerprint(&self) -> BTreeMap<&'static str, Vec<String>> {
        const TABLES: [(&str, &str); 9] = [
            ("users", "SELECT CAST(id AS TEXT) || '|' || username || '|' || email || '|' || role || '|' || password_hash || '|' || COALESCE(display_name, '-') || '|' || COALESCE(avatar_key, '-') || '|' || COALESCE(avatar_pending, '-') || '|' || COALESCE(avatar_error, '-') FROM users ORDER BY id"),
            ("sessions", "SELECT token_hash || '|' || CAST(user_id AS TEXT) FROM formwork_sessions ORDER BY token_hash"),
            ("posts", "SELECT CAST(id AS TEXT) || '|' || slug || '|' || title || '|' || content || '|' || COALESCE(CAST(author_id AS TEXT), '-') FROM posts ORDER BY id"),
            ("comments", "SELECT CAST(id AS TEXT) || '|' || CAST(post_id AS TEXT) || '|' || CAST(author_id AS TEXT) || '|' || body FROM comments ORDER BY id"),
            ("newsletter_subscribers", "SELECT email FROM newsletter_subscribers ORDER BY email"),
            ("contact_messages", "SELECT CAST(id AS TEXT) || '|' || name || '|' || email || '|' || message FROM contact_messages ORDER BY id"),
            ("feedback", "SELECT CAST(id AS TEXT) || '|' || message FROM feedback ORDER BY id"),
            ("todos", "SELECT CAST(id AS TEXT) || '|' || CAST(owner_id AS TEXT) || '|' || title || '|' || CAST(done AS TEXT) FROM todos ORDER BY id"),
            ("jobs", "SELECT CAST(id AS TEXT) || '|' || kind || '|' || payload FROM formwork_jobs ORDER BY id"),
        ];
        let mut tables = BTreeMap::new();
        for (table, sql) in TABLES {
            tables.insert(table, self.rows(sql).await);
        }
        tables
    }

    async fn rows(&self, sql: &str) -> Vec<String> {
        match &self.probe {
            Probe::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap(),
            Probe::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap(),
        }
    }

    /// Who holds a role above `user`: always Mia the moderator and Root the admin, whatever
    /// the cases sent.
    async fn privileged(&self) -> Vec<String> {
        self.rows(
            "SELECT username || ':' || role FROM users WHERE role <> 'user' ORDER BY username",
        )
        .await
    }
}

fn new_post(title: &str, content: &str) -> NewPost {
    NewPost {
        title: title.into(),
        content: content.into(),
    }
    .validated()
    .unwrap()
}

fn cookie_of(caller: &Caller) -> Option<&str> {
    match caller {
        Caller::Nobody => None,
        Caller::Cookie(cookie) => Some(cookie),
    }
}

fn request(world: &World, case: &Case) -> Request<Body> {
    let ip = case.ip.clone().unwrap_or_else(|| world.ip());
    let mut headers: Vec<(&str, String)> = vec![
        (header::ACCEPT.as_str(), "application/json".to_owned()),
        ("sec-fetch-site", "same-origin".to_owned()),
    ];
    if case.method == Method::POST {
        headers.push((header::CONTENT_TYPE.as_str(), FORM.to_owned()));
        if !case.streamed {
            headers.push((header::CONTENT_LENGTH.as_str(), case.body.len().to_string()));
        }
    }
    if let Some(cookie) = cookie_of(&case.caller) {
        headers.push((header::COOKIE.as_str(), cookie.to_owned()));
    }
    for (name, value) in &case.headers {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        if !value.is_empty() {
            headers.push((name, value.clone()));
        }
    }
    let mut builder = Request::builder()
        .method(case.method.clone())
        .uri(&case.uri)
        .extension(ConnectInfo(SocketAddr::new(ip.parse().unwrap(), 40000)));
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    let body = if case.streamed {
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            case.body.chunks(1024).map(|c| Ok(c.to_vec())).collect();
        Body::from_stream(futures::stream::iter(chunks))
    } else {
        Body::from(case.body.clone())
    };
    builder.body(body).unwrap()
}

/// Runs one case and checks everything it promises. Returns a line for the failure report,
/// or `None` when the case held.
async fn run(world: &World, router: &Router, case: &Case) -> Option<String> {
    let before = world.fingerprint().await;
    let response = router.clone().oneshot(request(world, case)).await.unwrap();
    let status = response.status();
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&body).into_owned();
    let after = world.fingerprint().await;
    let label = format!(
        "[{}] {} {}: {}",
        case.group,
        case.method,
        short(&case.uri),
        case.what
    );

    let mut problems = Vec::new();
    if status.is_server_error() {
        problems.push(format!("answered {status}"));
    }
    let (expected_ok, may_change): (bool, &[&str]) = match case.expect {
        Expect::Refused(expected) => (status == expected, &[]),
        Expect::Accepted(expected, tables) => (status == expected, tables),
    };
    if !expected_ok {
        problems.push(format!("expected {:?}, got {status}", case.expect));
    }
    for (table, rows) in &before {
        if !may_change.contains(table) && after.get(table) != Some(rows) {
            problems.push(format!("table {table} changed"));
        }
    }
    if status.is_client_error() {
        // A refusal a person can act on: the typed error, with a message.
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::len));
        if case.method == Method::POST && message.is_none_or(|len| len <= 10) {
            problems.push("no readable message".to_owned());
        }
    }
    if status == StatusCode::TOO_MANY_REQUESTS && retry_after.is_none() {
        problems.push("429 without Retry-After".to_owned());
    }
    if let Some(stored) = &case.stored {
        let found = after
            .values()
            .flatten()
            .any(|row| row.contains(stored.as_str()));
        if !found {
            problems.push(format!("{stored:?} was not stored verbatim"));
        }
    }
    let privileged = world.privileged().await;
    if privileged != ["mia:moderator", "root:admin"] {
        problems.push(format!("roles changed: {privileged:?}"));
    }
    (!problems.is_empty())
        .then(|| format!("{label} → {}; body: {}", problems.join(", "), short(&text)))
}

fn short(text: &str) -> String {
    let mut cut: String = text.chars().take(160).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    cut
}

/// Values a plain integer id must refuse.
const NOT_AN_ID: &[&str] = &["abc", "1.5", "1 OR 1=1", "%00", "9223372036854775808", ""];

/// An action's expected policy, stated here independently of its `#[formwork::action]`.
struct Policy {
    path: &'static str,
    name: &'static str,
    access: Access,
    /// Its typed fields and values of the wrong type for them.
    typed: &'static [(&'static str, &'static [&'static str])],
    /// The fields of its form's schema, if its arguments are one: one of them missing or of
    /// the wrong kind is the user's to fix (422 at the field), not an unreadable request (400).
    schema: &'static [&'static str],
}

const BOUND_CONFUSION: &[&str] = &[
    "abc",
    "1",
    "1.5",
    "-1",
    "1 OR 1=1",
    "%00",
    "9223372036854775808",
];

fn actions() -> Vec<Policy> {
    use Access::*;
    vec![
        Policy {
            path: CreatePost::PATH,
            name: "create_post",
            access: SignedIn,
            typed: &[("after", &["sideways", "1", "OPEN"])],
            schema: &["title", "content"],
        },
        Policy {
            path: UpdatePost::PATH,
            name: "update_post",
            access: SignedIn,
            typed: &[("id", BOUND_CONFUSION)],
            schema: &[],
        },
        Policy {
            path: DeletePost::PATH,
            name: "delete_post",
            access: SignedIn,
            typed: &[
                ("id", BOUND_CONFUSION),
                (
                    "next",
                    &[
                        "%2F%2Fevil.example",
                        "https%3A%2F%2Fevil.example",
                        "javascript%3Aalert(1)",
                    ],
                ),
            ],
            schema: &[],
        },
        Policy {
            path: AddComment::PATH,
            name: "add_comment",
            access: SignedIn,
            typed: &[("post", BOUND_CONFUSION)],
            schema: &[],
        },
        Policy {
            path: DeleteComment::PATH,
            name: "delete_comment",
            access: SignedIn,
            typed: &[("id", BOUND_CONFUSION)],
            schema: &[],
        },
        Policy {
            path: ChangeRole::PATH,
            name: "change_role",
            access: AtLeast(Role::Admin.rank()),
            typed: &[
                ("user", BOUND_CONFUSION),
                ("role", &["superuser", "ADMIN", "", "root"]),
            ],
            schema: &[],
        },
        Policy {
            path: Register::PATH,
            name: "register",
            access: Public,
            typed: &[],
            schema: &["username", "email", "password"],
        },
        Policy {
            path: LogIn::PATH,
            name: "log_in",
            access: Public,
            typed: &[],
            schema: &["username", "password"],
        },
        Policy {
            path: LogOut::PATH,
            name: "log_out",
            access: SignedIn,
            typed: &[],
            schema: &[],
        },
        Policy {
            path: Subscribe::PATH,
            name: "subscribe",
            access: Public,
            typed: &[],
            schema: &["email"],
        },
        Policy {
            path: SendMessage::PATH,
            name: "send_message",
            access: Public,
            typed: &[],
            schema: &["name", "email", "message"],
        },
        Policy {
            path: SendFeedback::PATH,
            name: "send_feedback",
            access: Public,
            typed: &[],
            schema: &["message"],
        },
        Policy {
            path: SetTheme::PATH,
            name: "set_theme",
            access: Public,
            typed: &[("theme", &["blue", "DARK", "", "1"])],
            schema: &["theme"],
        },
        Policy {
            path: AddTodo::PATH,
            name: "add_todo",
            access: SignedIn,
            typed: &[],
            schema: &["title"],
        },
        Policy {
            path: SetTodoDone::PATH,
            name: "set_todo_done",
            access: SignedIn,
            typed: &[
                ("id", NOT_AN_ID),
                ("done", &["maybe", "1", "TRUE", "yes", ""]),
            ],
            schema: &[],
        },
        Policy {
            path: RenameTodo::PATH,
            name: "rename_todo",
            access: SignedIn,
            typed: &[("id", NOT_AN_ID)],
            schema: &[],
        },
        Policy {
            path: DeleteTodo::PATH,
            name: "delete_todo",
            access: SignedIn,
            typed: &[("id", NOT_AN_ID)],
            schema: &[],
        },
        Policy {
            path: UpdateProfile::PATH,
            name: "update_profile",
            access: SignedIn,
            typed: &[],
            schema: &["display_name"],
        },
        Policy {
            path: SignOutOtherSessions::PATH,
            name: "sign_out_other_sessions",
            access: SignedIn,
            typed: &[],
            schema: &[],
        },
    ]
}

/// The tables a valid call of an action changes.
fn changes(path: &str) -> &'static [&'static str] {
    match path {
        p if p == CreatePost::PATH || p == UpdatePost::PATH => &["posts"],
        p if p == DeletePost::PATH => &["posts", "comments"],
        p if p == AddComment::PATH || p == DeleteComment::PATH => &["comments"],
        p if p == ChangeRole::PATH => &[],
        p if p == Register::PATH => &["users", "sessions"],
        p if p == UpdateProfile::PATH => &["users"],
        p if p == LogIn::PATH || p == LogOut::PATH || p == SignOutOtherSessions::PATH => {
            &["sessions"]
        }
        p if p == Subscribe::PATH => &["newsletter_subscribers", "jobs"],
        p if p == SendMessage::PATH => &["contact_messages"],
        p if p == SendFeedback::PATH => &["feedback"],
        p if p == AddTodo::PATH
            || p == SetTodoDone::PATH
            || p == RenameTodo::PATH
            || p == DeleteTodo::PATH =>
        {
            &["todos"]
        }
        _ => &[],
    }
}

/// Replaces (or adds) one field of a urlencoded body.
fn with_field(body: &str, name: &str, value: &str) -> String {
    let mut fields: Vec<String> = body
        .split('&')
        .filter(|f| !f.is_empty() && f.split('=').next() != Some(name))
        .map(str::to_owned)
        .collect();
    fields.push(format!("{name}={value}"));
    fields.join("&")
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// SQL metacharacters, and unicode that has fooled parsers, comparers and terminals.
const NASTY: &[(&str, &str)] = &[
    ("a quote that closes a string", "x' OR '1'='1"),
    ("a statement after a quote", "'); DROP TABLE posts; --"),
    ("a comment that ends the query", "admin'--"),
    ("LIKE wildcards", "100% _real_"),
    ("a backslash escape", "\\'; SELECT 1; --"),
    ("a right-to-left override", "abc\u{202E}txt.exe"),
    (
        "combining marks",
        "Z\u{0351}\u{036B}\u{0343}a\u{0310}l\u{0352}g\u{0310}o",
    ),
    ("emoji with joiners", "👩‍👩‍👧‍👦 family ✓"),
    ("a 4-byte character in every position", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"),
];

/// One case of an action, made from a fresh valid call of it (its caller and body): a valid
/// call changes things (a delete deletes, a sign-up takes its name), so no two cases share one.
type Template<'a> = Box<dyn Fn(&Caller, &str) -> Case + 'a>;

async fn cases_for_action(world: &World, policy: &Policy) -> Vec<Case> {
    let path = policy.path;
    let mut templates: Vec<Template> = Vec::new();
    let accepted = Expect::Accepted(StatusCode::OK, changes(path));
    // Origin cases need a browser that holds a session cookie, whoever the action is for.
    let with_cookie = |caller: &Caller| match caller {
        Caller::Nobody => world.alice.1.clone(),
        other => other.clone(),
    };

    // The valid call works: the baseline every other case deviates from.
    templates.push(Box::new(move |caller, good| {
        Case::post("valid", "the valid call", path, caller, good).expect(accepted)
    }));

    // Access: checked before the arguments are read, so garbage bodies get the same answer.
    if policy.access != Access::Public {
        let forged = Caller::Cookie(format!("fw_session={}", "0".repeat(64)));
        for garbage in [false, true] {
            let what = if garbage {
                "a garbage body"
            } else {
                "a valid body"
            };
            for (who, session) in [
                ("no session", Caller::Nobody),
                ("a forged session", forged.clone()),
            ] {
                templates.push(Box::new(move |_, good| {
                    let body = if garbage { "%zz=%" } else { good };
                    Case::post("access", format!("{who}, {what}"), path, &session, body)
                        .refused(StatusCode::UNAUTHORIZED)
                }));
            }
        }
    }
    if policy.access == Access::AtLeast(Role::Admin.rank()) {
        for (who, session) in [
            ("a user", world.alice.1.clone()),
            ("a moderator", world.mia.clone()),
        ] {
            templates.push(Box::new(move |_, good| {
                Case::post("access", format!("{who}'s session"), path, &session, good)
                    .refused(StatusCode::FORBIDDEN)
            }));
        }
    }

    // Origin: another site's page, or a request that does not say where it comes from.
    for (what, headers) in [
        (
            "a cross-site form",
            vec![
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://evil.example"),
            ],
        ),
        (
            "a sibling subdomain",
            vec![
                ("sec-fetch-site", "same-site"),
                ("origin", "https://evil.127.0.0.1.example"),
            ],
        ),
        (
            "a foreign Origin alone",
            vec![("sec-fetch-site", ""), ("origin", "https://evil.example")],
        ),
        (
            "an opaque origin",
            vec![("sec-fetch-site", ""), ("origin", "null")],
        ),
        (
            "another scheme",
            vec![("sec-fetch-site", ""), ("origin", "https://127.0.0.1:3000")],
        ),
        (
            "a forged X-Forwarded-Host",
            vec![
                ("sec-fetch-site", ""),
                ("origin", "https://evil.example"),
                ("x-forwarded-host", "127.0.0.1:3000"),
                ("x-forwarded-proto", "http"),
            ],
        ),
        (
            "cookies but no Origin and no form token",
            vec![("sec-fetch-site", "")],
        ),
    ] {
        templates.push(Box::new(move |caller, good| {
            let mut case = Case::post("origin", what, path, &with_cookie(caller), good)
                .refused(StatusCode::FORBIDDEN);
            for (name, value) in &headers {
                case = case.header(name, value);
            }
            case
        }));
    }
    templates.push(Box::new(move |caller, good| {
        Case::post(
            "origin",
            "cookies, no Origin, a forged form token",
            path,
            &with_cookie(caller),
            format!("{good}&__fw_once=0123456789abcdef0123456789abcdef.forged"),
        )
        .header("sec-fetch-site", "")
        .refused(StatusCode::FORBIDDEN)
    }));

    // Role escalation: fields that would name a role or another author change nothing (the
    // roles are checked after every case, see `run`).
    let escalation = [
        ("role", "admin".to_owned()),
        ("user_id", world.root.0.to_string()),
        ("author_id", world.bob.0.to_string()),
        ("is_admin", "true".to_owned()),
    ];
    templates.push(Box::new(move |caller, good| {
        let mut body = good.to_owned();
        for (name, value) in &escalation {
            if !good.split('&').any(|f| f.starts_with(&format!("{name}="))) {
                body = format!("{body}&{name}={value}");
            }
        }
        Case::post(
            "escalation",
            "role, user and author fields",
            path,
            caller,
            body,
        )
        .expect(accepted)
    }));

    // Oversized: over the declared limit, with a declared length and streamed without one.
    let limit = formwork::registry::declaration(path)
        .and_then(|d| d.body_limit)
        .unwrap_or(1024 * 1024);
    let padding = "x".repeat(usize::try_from(limit).unwrap() + 1);
    for streamed in [false, true] {
        let padding = padding.clone();
        templates.push(Box::new(move |caller, good| {
            let how = if streamed { "streamed" } else { "declared" };
            let case = Case::post(
                "oversized",
                format!("{} bytes, {how}", padding.len()),
                path,
                caller,
                format!("{good}&pad={padding}"),
            )
            .refused(StatusCode::PAYLOAD_TOO_LARGE);
            if streamed {
                case.streamed()
            } else {
                case
            }
        }));
    }

    // Malformed encodings.
    type Encoding = (&'static str, &'static str, fn(&str) -> Vec<u8>);
    let malformed: [Encoding; 12] = [
        ("broken urlencoding", FORM, |good| {
            format!("{good}&x=%ZZ").into_bytes()
        }),
        ("a truncated escape", FORM, |good| {
            format!("{good}&x=%4").into_bytes()
        }),
        ("bytes that are not UTF-8", FORM, |good| {
            format!("{good}&x=%FF%FE").into_bytes()
        }),
        ("raw bytes that are not UTF-8", FORM, |good| {
            [good.as_bytes(), b"&x=\xff\xfe"].concat()
        }),
        ("a NUL in a field name", FORM, |good| {
            format!("{good}&x%00y=1").into_bytes()
        }),
        ("a NUL in a value", FORM, |good| {
            format!("{good}&x=a%00b").into_bytes()
        }),
        (
            "multipart without a boundary",
            "multipart/form-data",
            |_| b"--x\r\n".to_vec(),
        ),
        ("a wrong content type", "text/plain", |good| {
            good.as_bytes().to_vec()
        }),
        ("no content type", "", |good| good.as_bytes().to_vec()),
        ("bad JSON", "application/json", |_| b"{\"title\": ".to_vec()),
        ("JSON to a form action", "application/json", |_| {
            b"{\"title\": \"T\"}".to_vec()
        }),
        ("XML", "application/xml", |_| b"<title>T</title>".to_vec()),
    ];
    for (what, content_type, body) in malformed {
        templates.push(Box::new(move |caller, good| {
            Case::post("malformed", what, path, caller, "")
                .bytes(body(good))
                .header("content-type", content_type)
        }));
    }
    // (log_out and sign_out_other_sessions take no arguments: an empty body is their valid
    // call.)
    if path != LogOut::PATH && path != SignOutOtherSessions::PATH {
        let missing = if !policy.schema.is_empty() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::BAD_REQUEST
        };
        templates.push(Box::new(move |caller, _| {
            Case::post("malformed", "every field missing", path, caller, "").refused(missing)
        }));
    }

    // Type confusion: values of the wrong type for typed fields, and fields sent twice. A
    // schema's field says what is wrong with it (422); anything else is unreadable (400).
    for &(field, values) in policy.typed {
        let wrong = if policy.schema.contains(&field) {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::BAD_REQUEST
        };
        for &value in values {
            templates.push(Box::new(move |caller, good| {
                Case::post(
                    "types",
                    format!("{field}={value}"),
                    path,
                    caller,
                    with_field(good, field, value),
                )
                .refused(wrong)
            }));
        }
        templates.push(Box::new(move |caller, good| {
            let current = value_of(good, field);
            Case::post(
                "types",
                format!("{field} twice"),
                path,
                caller,
                format!("{good}&{field}={current}"),
            )
        }));
        templates.push(Box::new(move |caller, good| {
            let current = value_of(good, field);
            let others: Vec<&str> = good
                .split('&')
                .filter(|f| !f.starts_with(&format!("{field}=")))
                .collect();
            Case::post(
                "types",
                format!("{field} as an array"),
                path,
                caller,
                format!("{}&{field}[]={current}", others.join("&")),
            )
        }));
    }
    // A bound value signed for another action is refused as tampered.
    if let Some(&(field, _)) = policy.typed.iter().find(|(_, v)| *v == BOUND_CONFUSION) {
        let other = world.bind(GetPost::PATH, world.post);
        templates.push(Box::new(move |caller, good| {
            Case::post(
                "types",
                format!("{field} signed for another action"),
                path,
                caller,
                with_field(good, field, &other),
            )
        }));
    }

    let mut cases = Vec::new();
    for template in &templates {
        let (caller, good) = world.good(path).await;
        cases.push(template(&caller, &good));
    }
    cases
}

/// The value of `field` in a urlencoded body ("1" when it has none).
fn value_of<'a>(body: &'a str, field: &str) -> &'a str {
    body.split('&')
        .find_map(|f| {
            f.strip_prefix(field)
                .and_then(|rest| rest.strip_prefix('='))
        })
        .unwrap_or("1")
}

/// Cases that need to know what each action does: other users' things, and strange text.
async fn specific_cases(world: &World) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    let mut add = |case: Case| cases.push(case);
    let (alice, bob, mia) = (&world.alice.1, &world.bob.1, &world.mia);
    let forbidden = StatusCode::FORBIDDEN;

    // IDOR: ids of other users' things, correctly signed, as a page would have bound them.
    let edit = format!(
        "id={}&title=Hijacked&content=by+bob",
        world.bind(UpdatePost::PATH, world.post)
    );
    add(Case::post(
        "idor",
        "Bob edits Alice's post",
        UpdatePost::PATH,
        bob,
        edit.clone(),
    )
    .refused(forbidden));
    add(Case::post(
        "idor",
        "a moderator edits Alice's post",
        UpdatePost::PATH,
        mia,
        edit,
    )
    .refused(forbidden));
    add(Case::post(
        "idor",
        "Bob deletes Alice's post",
        DeletePost::PATH,
        bob,
        format!("id={}", world.bind(DeletePost::PATH, world.post)),
    )
    .refused(forbidden));
    add(Case::post(
        "idor",
        "Bob deletes Alice's comment",
        DeleteComment::PATH,
        bob,
        format!("id={}", world.bind(DeleteComment::PATH, world.comment)),
    )
    .refused(forbidden));
    add(Case::post(
        "idor",
        "Alice makes herself an admin",
        ChangeRole::PATH,
        alice,
        format!(
            "user={}&role=admin",
            world.bind(ChangeRole::PATH, world.alice.0)
        ),
    )
    .refused(forbidden));
    add(Case::post(
        "idor",
        "a moderator makes herself an admin",
        ChangeRole::PATH,
        mia,
        format!(
            "user={}&role=admin",
            world.bind(ChangeRole::PATH, world.alice.0)
        ),
    )
    .refused(forbidden));
    add(Case::post(
        "idor",
        "the last admin demotes himself",
        ChangeRole::PATH,
        &world.root.1,
        format!(
            "user={}&role=user",
            world.bind(ChangeRole::PATH, world.root.0)
        ),
    )
    .refused(StatusCode::CONFLICT));
    // Another user's todo is not found: its id says nothing about anyone else's list.
    let not_found = StatusCode::NOT_FOUND;
    for (what, path, body) in [
        (
            "ticks",
            SetTodoDone::PATH,
            format!("id={}&done=true", world.todo),
        ),
        (
            "renames",
            RenameTodo::PATH,
            format!("id={}&title=Mine", world.todo),
        ),
        ("deletes", DeleteTodo::PATH, format!("id={}", world.todo)),
    ] {
        add(Case::post(
            "idor",
            format!("Bob {what} Alice's todo"),
            path,
            bob,
            body.clone(),
        )
        .refused(not_found));
        add(Case::post(
            "idor",
            format!("a moderator {what} Alice's todo"),
            path,
            mia,
            body,
        )
        .refused(not_found));
    }
    for path in [SetTodoDone::PATH, RenameTodo::PATH, DeleteTodo::PATH] {
        let (_, good) = world.good(path).await;
        add(Case::post(
            "idor",
            "a todo id of nothing",
            path,
            alice,
            with_field(&good, "id", "987654321"),
        )
        .refused(not_found));
    }
    for (path, field) in [
        (UpdatePost::PATH, "id"),
        (DeletePost::PATH, "id"),
        (DeleteComment::PATH, "id"),
        (AddComment::PATH, "post"),
        (ChangeRole::PATH, "user"),
    ] {
        let caller = if path == ChangeRole::PATH {
            &world.root.1
        } else {
            alice
        };
        let (_, good) = world.good(path).await;
        add(Case::post(
            "idor",
            format!("{field} of nothing (signed)"),
            path,
            caller,
            with_field(&good, field, &world.bind(path, 987_654_321)),
        )
        .refused(StatusCode::NOT_FOUND));
    }

    // Strange text where it is looked up: refused, nothing found, no session made.
    for (what, text) in NASTY {
        add(Case::post(
            "sql+unicode",
            format!("sign in as {what}"),
            LogIn::PATH,
            &Caller::Nobody,
            format!("username={}&password={}", encode(text), encode(text)),
        )
        .refused(StatusCode::UNPROCESSABLE_ENTITY));
        add(Case::post(
            "sql+unicode",
            format!("register the username {what}"),
            Register::PATH,
            &Caller::Nobody,
            format!(
                "username={}&email=x%40example.org&password={}",
                encode(text),
                PASSWORD.replace(' ', "+")
            ),
        )
        .refused(StatusCode::UNPROCESSABLE_ENTITY));
        // Some of these are valid addresses (`admin'--@example.org` is): those are kept
        // verbatim, the rest refused, and neither touches anything else.
        let address = format!("{text}@example.org");
        let subscribe = Case::post(
            "sql+unicode",
            format!("subscribe {what}"),
            Subscribe::PATH,
            &Caller::Nobody,
            format!("email={}", encode(&address)),
        );
        add(if formwork::rules::email(&address).is_ok() {
            subscribe
                .expect(Expect::Accepted(StatusCode::OK, changes(Subscribe::PATH)))
                .stores(&address.to_lowercase())
        } else {
            subscribe.refused(StatusCode::UNPROCESSABLE_ENTITY)
        });
        add(Case::get(
            "sql+unicode",
            format!("a post slug of {what}"),
            format!("{}?slug={}", GetPost::PATH, encode(text)),
            &Caller::Nobody,
        )
        .refused(StatusCode::NOT_FOUND));
        add(Case::get(
            "sql+unicode",
            format!("an account search for {what}"),
            format!("{}?page=1&query={}", ListAccounts::PATH, encode(text)),
            &world.root.1,
        )
        .expect(Expect::Accepted(StatusCode::OK, &[])));
    }
    // Strange text where it is kept: stored exactly as sent, nothing else touched.
    for (what, text) in NASTY {
        let n = world.n();
        let title = format!("{text} {n}");
        add(Case::post(
            "sql+unicode",
            format!("a post titled with {what}"),
            CreatePost::PATH,
            alice,
            format!("title={}&content={}", encode(&title), encode(text)),
        )
        .expect(Expect::Accepted(StatusCode::OK, &["posts"]))
        .stores(&title));
        add(Case::post(
            "sql+unicode",
            format!("a comment of {what}"),
            AddComment::PATH,
            alice,
            format!(
                "post={}&body={}",
                world.bind(AddComment::PATH, world.post),
                encode(text)
            ),
        )
        .expect(Expect::Accepted(StatusCode::OK, &["comments"]))
        .stores(text));
        add(Case::post(
            "sql+unicode",
            format!("feedback of {what}"),
            SendFeedback::PATH,
            &Caller::Nobody,
            format!("message={}", encode(&format!("{text} {n}"))),
        )
        .expect(Expect::Accepted(StatusCode::OK, &["feedback"]))
        .stores(&format!("{text} {n}")));
        add(Case::post(
            "sql+unicode",
            format!("a password of {what} (never stored as sent)"),
            Register::PATH,
            &Caller::Nobody,
            format!(
                "username=odd{n}&email=odd{n}%40example.org&password={}",
                encode(&format!("{text}{text}{text}"))
            ),
        )
        .expect(Expect::Accepted(StatusCode::OK, &["users", "sessions"])));
    }
    // Control characters. A NUL, which PostgreSQL cannot store, is a malformed request to
    // the pipeline (400); other control characters, and text with nothing visible, are
    // refused by the rules at their field (422); on both backends alike.
    let (malformed, invalid) = (StatusCode::BAD_REQUEST, StatusCode::UNPROCESSABLE_ENTITY);
    for (what, text, status) in [
        ("a NUL", "a\u{0}b", malformed),
        ("a bell", "a\u{7}b", invalid),
        ("an escape sequence", "\u{1b}[31mred", invalid),
        (
            "only invisible characters",
            "\u{200B}\u{2060}\u{FEFF}",
            invalid,
        ),
    ] {
        add(Case::post(
            "sql+unicode",
            format!("a post title with {what}"),
            CreatePost::PATH,
            alice,
            format!("title={}&content=x", encode(text)),
        )
        .refused(status));
        add(Case::post(
            "sql+unicode",
            format!("a comment with {what}"),
            AddComment::PATH,
            alice,
            format!(
                "post={}&body={}",
                world.bind(AddComment::PATH, world.post),
                encode(text)
            ),
        )
        .refused(status));
        add(Case::post(
            "sql+unicode",
            format!("a username with {what}"),
            LogIn::PATH,
            &Caller::Nobody,
            format!("username={}&password=whatever", encode(text)),
        )
        .refused(status));
        add(Case::get(
            "sql+unicode",
            format!("a slug with {what}"),
            format!("{}?slug={}", GetPost::PATH, encode(text)),
            &Caller::Nobody,
        )
        .refused(StatusCode::NOT_FOUND));
    }
    cases
}

/// The reads: their access, and what their query strings may hold.
fn read_cases(world: &World) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    let mut add = |case: Case| cases.push(case);
    let nobody = Caller::Nobody;
    let ok = Expect::Accepted(StatusCode::OK, &[]);
    let bad = StatusCode::BAD_REQUEST;
    add(Case::get(
        "valid",
        "a page of posts",
        format!("{}?before=5", ListPosts::PATH),
        &nobody,
    )
    .expect(ok));
    add(Case::get(
        "valid",
        "a post",
        format!("{}?slug=alices-post", GetPost::PATH),
        &nobody,
    )
    .expect(ok));
    add(Case::get(
        "valid",
        "the subscriber count",
        SubscriberCount::PATH.to_owned(),
        &nobody,
    )
    .expect(ok));
    add(Case::get(
        "valid",
        "a post's comments",
        format!("{}?post_id={}", CommentsOf::PATH, world.post),
        &nobody,
    )
    .expect(ok));
    add(Case::get(
        "valid",
        "the accounts, as an admin",
        format!("{}?page=1&query=", ListAccounts::PATH),
        &world.root.1,
    )
    .expect(ok));
    add(Case::get(
        "valid",
        "my todos",
        ListTodos::PATH.to_owned(),
        &world.alice.1,
    )
    .expect(ok));
    for (what, q) in [
        ("a word", "alice"),
        ("nothing", ""),
        ("SQL", "%27%20OR%201%3D1%20--"),
        ("wildcards", "%25_%5C"),
        ("unicode", "%C3%A9%F0%9F%A6%80%E2%80%AE"),
    ] {
        add(Case::get(
            "sql+unicode",
            format!("a search for {what}"),
            format!("{}?q={q}", SearchPosts::PATH),
            &nobody,
        )
        .expect(ok));
    }
    add(Case::get(
        "oversized",
        "a search of 201 characters",
        format!("{}?q={}", SearchPosts::PATH, "a".repeat(201)),
        &nobody,
    )
    .refused(bad));
    add(Case::get(
        "malformed",
        "a search with a NUL",
        format!("{}?q=a%00b", SearchPosts::PATH),
        &nobody,
    )
    .refused(bad));
    add(Case::get(
        "malformed",
        "a search without its query",
        SearchPosts::PATH.to_owned(),
        &nobody,
    )
    .refused(bad));
    add(Case::get(
        "valid",
        "my sessions",
        ListSessions::PATH.to_owned(),
        &world.alice.1,
    )
    .expect(Expect::Accepted(StatusCode::OK, &[])));
    add(Case::get(
        "valid",
        "the outbox, as an admin",
        ListOutbox::PATH.to_owned(),
        &world.root.1,
    )
    .expect(Expect::Accepted(StatusCode::OK, &[])));
    add(Case::get(
        "access",
        "the outbox, signed out",
        ListOutbox::PATH.to_owned(),
        &nobody,
    )
    .refused(StatusCode::UNAUTHORIZED));
    add(Case::get(
        "access",
        "the outbox, as a user",
        ListOutbox::PATH.to_owned(),
        &world.alice.1,
    )
    .refused(StatusCode::FORBIDDEN));
    add(Case::get(
        "valid",
        "my profile",
        MyProfile::PATH.to_owned(),
        &world.alice.1,
    )
    .expect(Expect::Accepted(StatusCode::OK, &[])));
    add(Case::get(
        "access",
        "my profile, signed out",
        MyProfile::PATH.to_owned(),
        &nobody,
    )
    .refused(StatusCode::UNAUTHORIZED));
    add(Case::get(
        "access",
        "my sessions, signed out",
        ListSessions::PATH.to_owned(),
        &nobody,
    )
    .refused(StatusCode::UNAUTHORIZED));
    add(Case::get(
        "access",
        "todos, signed out",
        ListTodos::PATH.to_owned(),
        &nobody,
    )
    .refused(StatusCode::UNAUTHORIZED));
    add(Case::get(
        "access",
        "the accounts, signed out",
        format!("{}?page=1&query=", ListAccounts::PATH),
        &nobody,
    )
    .refused(StatusCode::UNAUTHORIZED));
    add(Case::get(
        "access",
        "the accounts, as a user",
        format!("{}?page=1&query=", ListAccounts::PATH),
        &world.alice.1,
    )
    .refused(StatusCode::FORBIDDEN));
    add(Case::get(
        "access",
        "the accounts, as a moderator",
        format!("{}?page=1&query=", ListAccounts::PATH),
        &world.mia,
    )
    .refused(StatusCode::FORBIDDEN));
    for (what, query) in [
        ("a word", "before=abc"),
        ("a fraction", "after=1.5"),
        ("past i64", "before=9223372036854775808"),
        ("an array", "before[]=1"),
        ("a map", "after[x]=1"),
    ] {
        add(Case::get(
            "types",
            format!("posts cursor {what}"),
            format!("{}?{query}", ListPosts::PATH),
            &nobody,
        )
        .refused(bad));
    }
    for (what, query) in [
        ("a word", "post_id=abc"),
        ("SQL", "post_id=1%20OR%201%3D1"),
        ("a float", "post_id=1.5"),
    ] {
        add(Case::get(
            "types",
            format!("comments of {what}"),
            format!("{}?{query}", CommentsOf::PATH),
            &nobody,
        )
        .refused(bad));
    }
    add(Case::get(
        "oversized",
        "a 16 KB slug",
        format!("{}?slug={}", GetPost::PATH, "a".repeat(16 * 1024)),
        &nobody,
    )
    .refused(StatusCode::NOT_FOUND));
    // Reads change nothing, so a link from anywhere may show them.
    add(Case::get(
        "origin",
        "a read linked from another site",
        format!("{}?after=1", ListPosts::PATH),
        &world.alice.1,
    )
    .header("sec-fetch-site", "cross-site")
    .header("origin", "https://evil.example")
    .expect(ok));
    cases
}

/// Bursts past the declared limit, with requests that fail validation (so storage stays as
/// it is): exactly the declared number are let through to the action, the rest get 429.
async fn burst_cases(world: &World) -> Vec<Vec<Case>> {
    let mut bursts = Vec::new();
    let alice = &world.alice.1;
    let post = world.bind(AddComment::PATH, world.post);
    for (path, caller, body, spread) in [
        (
            Register::PATH,
            Caller::Nobody,
            "username=x&email=x&password=short".to_owned(),
            false,
        ),
        (
            LogIn::PATH,
            Caller::Nobody,
            "username=carol&password=wrong".to_owned(),
            false,
        ),
        (
            Subscribe::PATH,
            Caller::Nobody,
            "email=not-an-address".to_owned(),
            false,
        ),
        (
            SendMessage::PATH,
            Caller::Nobody,
            "name=A&email=a%40example.org&message=short".to_owned(),
            false,
        ),
        (
            SendFeedback::PATH,
            Caller::Nobody,
            "message=no".to_owned(),
            false,
        ),
        (
            CreatePost::PATH,
            alice.clone(),
            "title=+&content=x".to_owned(),
            false,
        ),
        (AddTodo::PATH, alice.clone(), "title=+".to_owned(), true),
        // Counted by user: spreading the calls over many addresses buys nothing.
        (
            AddComment::PATH,
            alice.clone(),
            format!("post={post}&body=+"),
            true,
        ),
    ] {
        let limit = formwork::registry::declaration(path)
            .and_then(|d| d.rate_limit)
            .map(|r| r.requests)
            .unwrap_or_else(|| panic!("{path} declares no rate limit"));
        let ip = world.ip();
        let calls = (0..limit + 5)
            .map(|i| {
                let case = Case::post(
                    "burst",
                    format!("call {} of {}", i + 1, limit + 5),
                    path,
                    &caller,
                    body.clone(),
                )
                .refused(if i < limit {
                    StatusCode::UNPROCESSABLE_ENTITY
                } else {
                    StatusCode::TOO_MANY_REQUESTS
                });
                if spread {
                    case
                } else {
                    case.at_address(&ip)
                }
            })
            .collect();
        bursts.push(calls);
    }
    bursts
}

const BOUNDARY: &str = "hostile-boundary-7d1f";

/// A multipart body with one file part `avatar` holding `bytes`, and `extra` text parts.
fn upload_body(file_name: &str, bytes: &[u8], extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in extra {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"avatar\"; \
             filename=\"{file_name}\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// What a hostile or broken client sends to the multipart upload: every case but the valid
/// ones changes nothing (no pending upload, no job).
fn upload_cases(world: &World) -> Vec<Case> {
    let multipart = format!("multipart/form-data; boundary={BOUNDARY}");
    let path = UploadAvatar::PATH;
    let alice = &world.alice.1;
    let png = {
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::new_rgb8(32, 32)
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap();
        out.into_inner()
    };
    let case = |group: &'static str, what: &str, caller: &Caller, body: Vec<u8>| {
        Case::post(group, what, path, caller, "")
            .bytes(body)
            .header("content-type", &multipart)
    };
    let good = upload_body("me.png", &png, &[]);
    let accepted = Expect::Accepted(StatusCode::OK, &["users", "jobs"]);
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let mut cases = vec![
        case("valid", "a PNG", alice, good.clone()).expect(accepted),
        case(
            "valid",
            "a PNG named like a path, with the form's own fields",
            alice,
            upload_body(
                "../../../etc/passwd",
                &png,
                &[("__fw_return", b"/settings/profile"), ("__fw_once", b"x")],
            ),
        )
        .expect(accepted),
        case("access", "nobody signed in", &Caller::Nobody, good.clone())
            .refused(StatusCode::UNAUTHORIZED),
        case(
            "access",
            "a forged session",
            &Caller::Cookie(format!("fw_session={}", "0".repeat(64))),
            good.clone(),
        )
        .refused(StatusCode::UNAUTHORIZED),
        case("origin", "from another site", alice, good.clone())
            .header("sec-fetch-site", "cross-site")
            .header("origin", "https://evil.example")
            .refused(StatusCode::FORBIDDEN),
        case("malformed", "no boundary", alice, good.clone())
            .header("content-type", "multipart/form-data"),
        case("malformed", "an empty boundary", alice, good.clone())
            .header("content-type", "multipart/form-data; boundary="),
        case(
            "malformed",
            "another boundary than the body's",
            alice,
            good.clone(),
        )
        .header("content-type", "multipart/form-data; boundary=other"),
        case(
            "malformed",
            "cut off before its end",
            alice,
            good[..good.len() / 2].to_vec(),
        ),
        case(
            "malformed",
            "form data sent as multipart",
            alice,
            b"avatar=x".to_vec(),
        ),
        case("malformed", "urlencoded to the upload", alice, good.clone())
            .header("content-type", FORM),
        case(
            "malformed",
            "a text field that is not UTF-8",
            alice,
            upload_body("me.png", &png, &[("note", b"\xff\xfe")]),
        ),
        case(
            "malformed",
            "more fields than the form has",
            alice,
            upload_body(
                "me.png",
                &png,
                &[("a", b"1"), ("b", b"2"), ("c", b"3"), ("d", b"4")],
            ),
        ),
        case(
            "types",
            "text named .png",
            alice,
            upload_body("me.png", b"hello", &[]),
        )
        .refused(unprocessable),
        case(
            "types",
            "an SVG with a script, named .png",
            alice,
            upload_body("me.png", b"<svg onload=alert(1)></svg>", &[]),
        )
        .refused(unprocessable),
        case("types", "an empty file", alice, upload_body("", b"", &[])).refused(unprocessable),
        case(
            "types",
            "a PNG cut in its header",
            alice,
            upload_body("me.png", &png[..16], &[]),
        )
        .refused(unprocessable),
        case(
            "oversized",
            "a declared length over the limit",
            alice,
            good.clone(),
        )
        .header("content-length", &(6 * 1024 * 1024).to_string())
        .refused(StatusCode::PAYLOAD_TOO_LARGE),
        case(
            "oversized",
            "6 MB streamed",
            alice,
            upload_body("me.png", &vec![0x89; 6 * 1024 * 1024], &[]),
        )
        .streamed()
        .refused(StatusCode::PAYLOAD_TOO_LARGE),
    ];
    // The extra file field is not the form's.
    let mut second_file = upload_body("me.png", &png, &[]);
    let tail = format!("--{BOUNDARY}--\r\n");
    second_file.truncate(second_file.len() - tail.len());
    second_file.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"other\"; filename=\"x.png\"\r\n\r\n"
        )
        .as_bytes(),
    );
    second_file.extend_from_slice(&png);
    second_file.extend_from_slice(format!("\r\n{tail}").as_bytes());
    cases.push(case(
        "malformed",
        "a second, undeclared file",
        alice,
        second_file,
    ));
    cases
}

async fn hostile_client_suite(db: TestDb, backend: &str) {
    let world = World::new(db).await;
    let mut failures = Vec::new();
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();

    // Every server function is covered, and its policy is the one stated here.
    let policies = actions();
    let reads = [
        ListPosts::PATH,
        GetPost::PATH,
        SubscriberCount::PATH,
        CommentsOf::PATH,
        ListAccounts::PATH,
        ListTodos::PATH,
        SearchPosts::PATH,
        ListSessions::PATH,
        MyProfile::PATH,
        ListOutbox::PATH,
    ];
    // Multipart actions have cases of their own (upload_cases).
    let uploads = [UploadAvatar::PATH];
    let covered: BTreeSet<&str> = policies
        .iter()
        .map(|p| p.path)
        .chain(reads)
        .chain(uploads)
        .collect();
    let registered: BTreeSet<&str> = server_fn::axum::server_fn_paths().map(|(p, _)| p).collect();
    assert_eq!(
        covered, registered,
        "every server function has hostile cases"
    );
    for policy in &policies {
        let declared = formwork::registry::declaration(policy.path).unwrap();
        assert_eq!(
            declared.access, policy.access,
            "{}: declared access",
            policy.name
        );
    }
    assert_eq!(
        formwork::registry::declaration(ListAccounts::PATH)
            .unwrap()
            .access,
        Access::AtLeast(Role::Admin.rank())
    );

    let mut all: Vec<Case> = Vec::new();
    for policy in &policies {
        all.extend(cases_for_action(&world, policy).await);
    }
    all.extend(specific_cases(&world).await);
    all.extend(read_cases(&world));
    all.extend(upload_cases(&world));
    for case in &all {
        let router = world.router().await;
        *counts.entry(case.group).or_default() += 1;
        if let Some(failure) = run(&world, &router, case).await {
            failures.push(failure);
        }
    }
    for calls in burst_cases(&world).await {
        let router = world.router().await;
        for case in &calls {
            *counts.entry(case.group).or_default() += 1;
            if let Some(failure) = run(&world, &router, case).await {
                failures.push(failure);
            }
        }
    }
    let total: usize = counts.values().sum();
    let by_group = counts
        .iter()
        .map(|(group, n)| format!("{group} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "hostile-client suite on {backend}: {total} cases ({by_group}) against {} server functions; {} failed",
        registered.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    world.db.drop_database().await;
}

#[tokio::test]
async fn hostile_client_suite_sqlite() {
    hostile_client_suite(TestDb::sqlite().await, "SQLite").await;
}

#[tokio::test]
async fn hostile_client_suite_postgres() {
    hostile_client_suite(TestDb::postgres().await, "PostgreSQL").await;
}
