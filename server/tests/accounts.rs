//! Accounts over HTTP: registering, signing in and out, the session cookie, and access
//! policies enforced before an action's arguments are read.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use app::accounts::{log_in::LogIn, log_out::LogOut, register::Register};
use app::roles::Role;
use axum::{
    body::Body,
    http::{header, Request, Response, StatusCode},
    Router,
};
use common::{text, TestDb};
use server_fn::ServerFn;
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery staple";

/// A call from the server_fn client, with an optional session cookie.
async fn call(router: &Router, path: &str, body: &str, session: Option<&str>) -> Response<Body> {
    let mut request = Request::post(path)
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin");
    if let Some(token) = session {
        request = request.header(header::COOKIE, format!("fw_session={token}"));
    }
    router
        .clone()
        .oneshot(request.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap()
}

/// The session cookie a response sets: its value and its attributes.
fn session_cookie(response: &Response<Body>) -> Option<(String, String)> {
    cookie_named(response, "fw_session=")
}

/// The value and attributes of the `Set-Cookie` that starts with `prefix` (`name=`).
fn cookie_named(response: &Response<Body>, prefix: &str) -> Option<(String, String)> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(prefix))
        .map(|v| {
            let (value, attributes) = v.split_once(';').unwrap_or((v, ""));
            (value.to_owned(), attributes.to_owned())
        })
}

/// Who the header of `/posts` says is signed in, for a session token.
async fn signed_in_as(router: &Router, session: &str) -> Option<String> {
    signed_in_with(router, &format!("fw_session={session}")).await
}

/// Who the header of `/posts` says is signed in, for a request with `cookie`.
async fn signed_in_with(router: &Router, cookie: &str) -> Option<String> {
    let page = common::page(router, "/posts", Some(cookie)).await;
    let (_, rest) = page.split_once("Signed in as <strong>")?;
    Some(rest.split_once("</strong>")?.0.to_owned())
}

async fn register(router: &Router, username: &str, email: &str) -> String {
    let response = call(
        router,
        Register::PATH,
        &format!(
            "username={username}&email={email}&password={}",
            PASSWORD.replace(' ', "+")
        ),
        None,
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        text(response).await
    );
    session_cookie(&response).expect("registering signs in").0
}

#[tokio::test]
async fn registering_signs_in_with_a_safe_cookie_and_signing_in_again_rotates_it() {
    let db = TestDb::sqlite().await;
    let router = common::router(db.stores().await, &[]).await;
    let response = call(
        &router,
        Register::PATH,
        &format!(
            "username=ada&email=Ada%40Example.org&password={}",
            PASSWORD.replace(' ', "+")
        ),
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (first, attributes) = session_cookie(&response).unwrap();
    assert_eq!(first.len(), 64, "a 256-bit token");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(attributes.contains(flag), "{attributes}");
    }
    assert!(!attributes.contains("Secure"), "http origin: {attributes}");
    assert_eq!(signed_in_as(&router, &first).await.as_deref(), Some("ada"));

    // Signing in with the old session's cookie ends that session and starts a new one.
    let login = format!("username=ADA&password={}", PASSWORD.replace(' ', "+"));
    let response = call(&router, LogIn::PATH, &login, Some(&first)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let (second, _) = session_cookie(&response).unwrap();
    assert_ne!(first, second);
    assert_eq!(
        signed_in_as(&router, &first).await,
        None,
        "the old id is dead"
    );
    assert_eq!(signed_in_as(&router, &second).await.as_deref(), Some("ada"));

    // Signing out ends the session and clears the cookie.
    let response = call(&router, LogOut::PATH, "", Some(&second)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let (cleared, attributes) = session_cookie(&response).unwrap();
    assert_eq!(cleared, "");
    assert!(attributes.contains("Max-Age=0"), "{attributes}");
    assert_eq!(signed_in_as(&router, &second).await, None);
    db.drop_database().await;
}

#[tokio::test]
async fn on_https_the_session_cookie_is_secure_and_host_prefixed() {
    let db = TestDb::sqlite().await;
    let router = common::router(
        db.stores().await,
        &[
            "--public-origin",
            "https://example.org",
            // On https a signing secret is required (a random one only in development).
            "--flash-secret",
            "https-secret-https-secret-https-secret!!",
        ],
    )
    .await;
    let response = call(
        &router,
        Register::PATH,
        &format!(
            "username=ada&email=ada%40example.org&password={}",
            PASSWORD.replace(' ', "+")
        ),
        None,
    )
    .await;
    // `__Host-`: a browser keeps it only from a secure page of this host, for the whole
    // site, with no Domain, so no sibling subdomain or http page can plant one.
    let (token, attributes) = cookie_named(&response, "__Host-fw_session=").unwrap();
    for flag in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(attributes.contains(flag), "{attributes}");
    }
    assert!(!attributes.contains("Domain"), "{attributes}");
    assert_eq!(
        signed_in_with(&router, &format!("__Host-fw_session={token}"))
            .await
            .as_deref(),
        Some("ada")
    );
    // The same token under the bare name (as a sibling subdomain could set it) is nobody's.
    assert_eq!(
        signed_in_with(&router, &format!("fw_session={token}")).await,
        None
    );
    db.drop_database().await;
}

#[tokio::test]
async fn a_failed_sign_in_never_tells_whether_the_account_exists() {
    let db = TestDb::sqlite().await;
    let router = common::router(db.stores().await, &[]).await;
    register(&router, "ada", "ada%40example.org").await;
    let wrong_password = call(
        &router,
        LogIn::PATH,
        "username=ada&password=nope-nope-nope",
        None,
    )
    .await;
    let no_account = call(
        &router,
        LogIn::PATH,
        "username=bob&password=nope-nope-nope",
        None,
    )
    .await;
    assert_eq!(wrong_password.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_account.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(session_cookie(&wrong_password).is_none());
    assert!(session_cookie(&no_account).is_none());
    let (a, b) = (text(wrong_password).await, text(no_account).await);
    assert_eq!(a, b, "the same answer either way");
    assert!(a.contains("Wrong username or password."), "{a}");
    db.drop_database().await;
}

#[tokio::test]
async fn registration_rules_hold_and_taken_names_are_refused() {
    let db = TestDb::sqlite().await;
    let router = common::router(db.stores().await, &[]).await;
    let store = db.store().await;
    let short = call(
        &router,
        Register::PATH,
        "username=ada&email=ada%40example.org&password=short",
        None,
    )
    .await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(short)
        .await
        .contains("Password needs at least 12 characters."));
    let odd = format!(
        "username=%3Cscript%3E&email=x%40example.org&password={}",
        PASSWORD.replace(' ', "+")
    );
    let odd = call(&router, Register::PATH, &odd, None).await;
    assert_eq!(odd.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(store.account_count().await.unwrap(), 0);

    register(&router, "ada", "ada%40example.org").await;
    let again = format!(
        "username=ADA&email=other%40example.org&password={}",
        PASSWORD.replace(' ', "+")
    );
    let again = call(&router, Register::PATH, &again, None).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(text(again).await.contains("The username ADA is taken."));
    let same_email = format!(
        "username=bob&email=ADA%40example.org&password={}",
        PASSWORD.replace(' ', "+")
    );
    let same_email = call(&router, Register::PATH, &same_email, None).await;
    assert_eq!(same_email.status(), StatusCode::CONFLICT);
    assert_eq!(store.account_count().await.unwrap(), 1);
    db.drop_database().await;
}

#[tokio::test]
async fn access_is_checked_before_the_arguments_are_read() {
    let db = TestDb::sqlite().await;
    let router = common::router(db.stores().await, &[]).await;
    // Signed out, signing out is refused with 401 even when the body is garbage (a 400 would
    // mean it had been read first); a forged session is no session.
    let unknown = "0".repeat(64);
    for session in [None, Some(unknown.as_str()), Some("forged")] {
        let response = call(&router, LogOut::PATH, "%zz=%", session).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let body: serde_json::Value = serde_json::from_str(&text(response).await).unwrap();
        assert_eq!(body["error"], "unauthenticated");
    }
    db.drop_database().await;
}

#[tokio::test]
async fn without_javascript_signing_in_redirects_with_the_session_cookie() {
    let db = TestDb::sqlite().await;
    let router = common::router(db.stores().await, &[]).await;
    register(&router, "ada", "ada%40example.org").await;
    let response = router
        .clone()
        .oneshot(
            Request::post(LogIn::PATH)
                .header(header::ACCEPT, "text/html")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header("sec-fetch-site", "same-origin")
                .header(header::REFERER, "http://127.0.0.1:3000/login")
                .body(Body::from(format!(
                    "username=ada&password={}",
                    PASSWORD.replace(' ', "+")
                )))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/posts");
    let (token, _) = session_cookie(&response).expect("the session cookie survives the redirect");
    assert_eq!(signed_in_as(&router, &token).await.as_deref(), Some("ada"));
    db.drop_database().await;
}

#[tokio::test]
async fn create_admin_creates_or_promotes_and_checks_its_input() {
    use server::admin::{create_admin, Outcome};
    let db = TestDb::sqlite().await;
    let router = common::router(db.stores().await, &[]).await;
    let store = db.store().await;
    let refused = create_admin(
        store.as_ref(),
        "root",
        Some("root@example.org"),
        Some("short"),
    )
    .await;
    assert!(refused
        .unwrap_err()
        .to_string()
        .contains("password: Password needs at least 12 characters."));
    let Outcome::Created { user_id } = create_admin(
        store.as_ref(),
        "root",
        Some("root@example.org"),
        Some(PASSWORD),
    )
    .await
    .unwrap() else {
        panic!("expected a new account");
    };
    assert_eq!(
        create_admin(store.as_ref(), "ROOT", None, None)
            .await
            .unwrap(),
        Outcome::AlreadyAdmin { user_id }
    );
    register(&router, "ada", "ada%40example.org").await;
    assert!(matches!(
        create_admin(store.as_ref(), "ada", None, None)
            .await
            .unwrap(),
        Outcome::Promoted { .. }
    ));
    assert_eq!(
        store
            .account_by_username("ada")
            .await
            .unwrap()
            .unwrap()
            .role,
        Role::Admin
    );
    assert!(create_admin(store.as_ref(), "nobody", None, None)
        .await
        .is_err());
    db.drop_database().await;
}

#[tokio::test]
async fn a_role_field_sent_at_registration_is_ignored() {
    let db = TestDb::sqlite().await;
    let router = common::router(db.stores().await, &[]).await;
    let body = format!(
        "username=mallory&email=m%40example.org&password={}&role=admin&is_admin=true",
        PASSWORD.replace(' ', "+")
    );
    let response = call(&router, Register::PATH, &body, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let account = db
        .store()
        .await
        .account_by_username("mallory")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.role, Role::User);
    db.drop_database().await;
}

#[tokio::test]
async fn only_admins_change_roles_and_the_role_is_read_afresh_on_every_request() {
    use app::admin::change_role::ChangeRole;
    const SECRET: &str = "test-secret-test-secret-test-secret!";
    let db = TestDb::sqlite().await;
    let stores = db.stores().await;
    let (root, root_session) = common::signed_in(&stores, "root", Role::Admin).await;
    let (other, other_session) = common::signed_in(&stores, "other", Role::Admin).await;
    let (ada, ada_session) = common::signed_in(&stores, "ada", Role::User).await;
    let router = common::router(stores, &["--flash-secret", SECRET]).await;
    let key = formwork::signing::SigningKey::new(SECRET.as_bytes()).unwrap();
    let bind = |id: i64| formwork::bound::sign_with(&key, ChangeRole::PATH, &id.to_string());
    let token = |cookie: &str| cookie.trim_start_matches("fw_session=").to_owned();
    // `as_session` asks to give account `user` the role `role`.
    let change = |as_session: &str, user: i64, role: &str| {
        let (body, session) = (
            format!("user={}&role={role}", bind(user)),
            token(as_session),
        );
        let router = router.clone();
        async move { call(&router, ChangeRole::PATH, &body, Some(&session)).await }
    };

    // A user may not raise their own role (or anyone's).
    let response = change(&ada_session, ada, "admin").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(text(response)
        .await
        .contains(formwork::messages::Message::NotAllowed.english()));
    let role_of = |name: &'static str| {
        let db = &db;
        async move {
            db.store()
                .await
                .account_by_username(name)
                .await
                .unwrap()
                .unwrap()
                .role
        }
    };
    assert_eq!(role_of("ada").await, Role::User);

    // An admin may; an unknown role is a 400.
    let response = change(&root_session, ada, "moderator").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text(response).await).unwrap(),
        serde_json::json!({"username": "ada", "role": "moderator"})
    );
    let response = change(&root_session, ada, "superuser").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(role_of("ada").await, Role::Moderator);

    // Demoted by another admin, root's very next request is refused: the role comes from the
    // database, read afresh after every change (the session cache never outlives one), not
    // from the cookie.
    let response = change(&other_session, root, "user").await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = change(&root_session, other, "user").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // The last admin stays one.
    let response = change(&other_session, other, "user").await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(text(response).await.contains("other is the last admin"));
    assert_eq!(role_of("other").await, Role::Admin);
    db.drop_database().await;
}

#[tokio::test]
async fn the_session_list_names_each_browser_and_signs_the_others_out() {
    use app::settings::sessions::SignOutOtherSessions;
    let db = TestDb::sqlite().await;
    let router = common::router(db.stores().await, &[]).await;
    register(&router, "ada", "ada@example.org").await;
    // Signing in from two browsers: each session keeps the User-Agent it started with.
    let mut tokens = Vec::new();
    for agent in [
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1 <b>",
    ] {
        let request = Request::post(LogIn::PATH)
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::USER_AGENT, agent)
            .header("sec-fetch-site", "same-origin")
            .body(Body::from(format!(
                "username=ada&password={}",
                PASSWORD.replace(' ', "+")
            )))
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        tokens.push(session_cookie(&response).unwrap().0);
    }
    let (laptop, phone) = (&tokens[0], &tokens[1]);

    let page = common::page(&router, "/settings", Some(&format!("fw_session={laptop}"))).await;
    let list = page.split_once("Where you are signed in").unwrap().1;
    let firefox = list.find("Firefox on Linux").expect("the laptop");
    let safari = list.find("Safari on iOS").expect("the phone");
    assert!(firefox < safari, "this session first: {list}");
    assert_eq!(list.matches("(this session)").count(), 1, "{list}");
    assert!(list[firefox..safari].contains("(this session)"), "{list}");
    assert!(
        list.contains("&lt;b&gt;"),
        "the agent is shown escaped: {list}"
    );
    assert!(!list.contains("<b>"), "{list}");
    // The registration's session is a third, from a client with no User-Agent.
    assert!(list.contains("An unknown browser"), "{list}");
    assert!(list.contains("Sign out everywhere else"), "{list}");

    let response = call(&router, SignOutOtherSessions::PATH, "", Some(laptop)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(text(response).await, "2");
    assert_eq!(signed_in_as(&router, laptop).await.as_deref(), Some("ada"));
    assert_eq!(
        signed_in_as(&router, phone).await,
        None,
        "the phone is signed out"
    );

    let page = common::page(&router, "/settings", Some(&format!("fw_session={laptop}"))).await;
    let list = page.split_once("Where you are signed in").unwrap().1;
    assert!(!list.contains("Safari on iOS"), "{list}");
    assert!(
        !list.contains("Sign out everywhere else"),
        "nothing else to sign out: {list}"
    );

    // Signed out there is no list, and the action asks to sign in.
    let page = common::page(&router, "/settings", None).await;
    assert!(!page.contains("Where you are signed in"));
    let response = call(&router, SignOutOtherSessions::PATH, "", Some(phone)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    db.drop_database().await;
}
