//! Formwork: the Server Actions model for Leptos 0.8.
//!
//! An action is one `async fn` under [`#[formwork::action]`](macro@action), a Leptos `#[server]`
//! function with its policy. Formwork puts around it what a production framework
//! owes its users: a form that works with and without JavaScript ([`ActionForm`]), one schema
//! checked in the browser and on the server ([`schema!`]), a typed [`ActionError`] that maps
//! to HTTP statuses, a declared access policy, body limit and rate limit per action
//! ([`action`](macro@action)), server-rendered [`Region`]s and [`Live`] resources that refresh when what
//! they show is revalidated, in this tab, other tabs and other instances, and (behind the
//! `ssr` feature) the request pipeline every action walks.
//!
//! An app's server is wired by one builder (`Formwork::builder`, feature `ssr`); its browser
//! side is formwork's `hydrate` entry point (feature `hydrate`). `use formwork::prelude::*;`
//! brings what pages and actions use, Leptos' prelude included. The quick start is
//! `examples/hello-form` in formwork's repository, 78 lines of Rust in all.
//!
//! | feature | what it adds |
//! |---|---|
//! | `ssr` | the server: pipeline, sessions, data cache, live stream, job queue, builder |
//! | `hydrate` | islands: their forms, schema checks in WASM, live resources |
//! | `sqlite` | formwork's tables on SQLite, with their migrations |
//! | `postgres` | the same on PostgreSQL, and the `LISTEN/NOTIFY` invalidation bus |
//! | `redis` | rate limits and invalidations shared through Redis |
//!
//! The crate is mechanism only: it knows nothing of the application's domain. The app names
//! its roles (formwork compares [`identity::Rank`]s), its users (one principals query) and its
//! own rules ([`Rule::check_with`]).

#![warn(missing_docs)]

// The macros name `::formwork`, as in any crate that uses them; here too.
extern crate self as formwork;

mod action;
pub mod bound;
#[cfg(feature = "hydrate")]
mod browser;
#[cfg(feature = "ssr")]
pub mod builder;
pub mod call;
pub mod cookies;
#[doc(hidden)]
pub mod decode;
pub mod error;
pub mod flash;
pub mod form;
pub mod identity;
pub mod items;
pub mod live;
pub mod messages;
pub mod meta;
pub mod optimistic;
pub mod page_cache;
pub mod preview;
pub mod protocol;
pub mod query_form;
pub mod redirect;
pub mod region;
pub mod rules;
pub mod schema;
pub mod status;
pub mod upload;
pub mod upload_form;

#[cfg(feature = "ssr")]
pub mod assets;
#[cfg(feature = "ssr")]
pub mod cache;
#[cfg(feature = "ssr")]
pub mod client_ip;
#[cfg(feature = "ssr")]
pub mod invalidation;
#[cfg(feature = "ssr")]
pub mod jobs;
#[cfg(feature = "ssr")]
mod markup;
#[cfg(feature = "ssr")]
pub mod metrics;
#[cfg(feature = "ssr")]
pub mod origin;
#[cfg(feature = "ssr")]
pub mod pipeline;
#[cfg(feature = "ssr")]
pub mod rate_limit;
#[cfg(feature = "ssr")]
pub mod registry;
#[cfg(feature = "ssr")]
pub mod request_id;
#[cfg(feature = "ssr")]
pub mod runtime;
#[cfg(feature = "ssr")]
pub mod serve;
#[cfg(feature = "ssr")]
pub mod signing;
#[cfg(feature = "ssr")]
mod request {
    /// `f` of the request being served (a page or an action), borrowed from the render's
    /// context: reading a header or an extension copies nothing else of the request.
    pub(crate) fn with<R>(f: impl FnOnce(&http::request::Parts) -> R) -> Option<R> {
        leptos::reactive::owner::with_context::<http::request::Parts, R>(f)
    }

    /// The path and query of the request being served (`/` outside one): the page a plain
    /// post returns to.
    pub(crate) fn page() -> String {
        with(|parts| parts.uri.path_and_query().map(|p| p.to_string()))
            .flatten()
            .unwrap_or_else(|| "/".to_owned())
    }
}
#[cfg(feature = "ssr")]
pub mod store;

/// The islands' side of formwork, and the entry point cargo-leptos' script calls: hydrates
/// the islands (the page's live stream and regions are the browser runtime's, see
/// [`live::client`]).
///
/// formwork's `hydrate` feature exports it from the app's WASM (the browser crate only has
/// to link the app: `use app as _;`). An app does not define a `hydrate` of its own.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Release builds abort on panic without a message; debug builds log it to the console.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    messages::install_from_page();
    leptos::mount::hydrate_islands();
}

/// The headers of the request being served (a page or an action), the analogue of Next.js'
/// `headers()`:
///
/// ```
/// let agent = formwork::headers()
///     .get("user-agent")
///     .and_then(|value| value.to_str().ok())
///     .map(str::to_owned);
/// # let _ = agent;
/// ```
///
/// A copy, read on the server; empty in the browser and outside a request. Read cookies with
/// [`cookies::get`] (it knows their names on https), and the client's address with
/// `client_ip` (it knows which proxies to believe).
pub fn headers() -> http::HeaderMap {
    #[cfg(feature = "ssr")]
    {
        request::with(|parts| parts.headers.clone()).unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        http::HeaderMap::new()
    }
}

/// `bytes` in lowercase hexadecimal (tokens, their hashes, checksums, ETags).
#[cfg(feature = "ssr")]
pub(crate) fn hex(bytes: &[u8]) -> String {
    // By table, not through `fmt` (a formatter call per byte): a signed-in page view hashes
    // its session token and its cookies, 64 digits each.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// A fresh id: 128 bits from the thread's random generator (`rand`'s, a ChaCha generator
/// seeded and reseeded from the operating system), as 32 lowercase hex digits. The one way
/// formwork makes the ids requests make as they are served and does not keep (a request's, a
/// revalidation's; see [`ordered_id`] for those it keeps). (`Uuid::new_v4` makes a `getrandom`
/// system call for each: measured, three in each no-JS form post, one in every page view.)
#[cfg(feature = "ssr")]
pub(crate) fn random_id() -> String {
    hex(&rand::random::<u128>().to_be_bytes())
}

/// A fresh id that sorts by when it was made: the milliseconds since the Unix epoch (48 bits),
/// then 80 bits from the thread's random generator, as 32 lowercase hex digits. For the ids
/// formwork keeps in its tables (a flash's, a page's and a form's one-time ids): a B-tree
/// index of random keys puts each new row on a page of its own, so the rows a busy moment adds
/// are written to as many pages; keys that follow the clock add them side by side, on the few
/// last pages (measured on no-JS `create_post`, whose flash ids were random: 33 to 35 KB
/// written per post before, 28 to 29 KB after).
#[cfg(feature = "ssr")]
pub(crate) fn ordered_id() -> String {
    ordered_id_at(u64::try_from(jobs::now_ms()).unwrap_or_default())
}

/// [`ordered_id`] made at `millis` (its low 48 bits: the year 10889 before they wrap).
#[cfg(feature = "ssr")]
fn ordered_id_at(millis: u64) -> String {
    let time = u128::from(millis & 0xffff_ffff_ffff) << 80;
    hex(&(time | (rand::random::<u128>() >> 48)).to_be_bytes())
}

/// Seconds since the Unix epoch (0 for a clock before it).
#[cfg(feature = "ssr")]
pub(crate) fn unix_now() -> i64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// What most pages and actions use, in one import: `use formwork::prelude::*;`. It includes
/// Leptos' prelude, with formwork's [`ActionForm`] in place of Leptos' own.
pub mod prelude {
    pub use crate::identity::Principal;
    pub use crate::{
        form::snapshot, ActionError, ActionForm, Bound, Document, FormError, FormSnapshot,
        FormState, Region, Rule, Schema, SubmitButton, TextArea, TextInput, Title, Validated,
    };
    #[cfg(feature = "ssr")]
    pub use crate::{revalidate_path, revalidate_tag, Formwork};
    pub use crate::{use_action, use_form_status, ActionHandle, FormStatus};
    pub use leptos::prelude::*;
}

/// What formwork's macros expand to; not an API.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "ssr")]
    pub use crate::action::{admit, admit_principal, CheckSchema, Input, PassThrough};
    pub use crate::decode;
    pub use garde;
    #[cfg(feature = "ssr")]
    pub use inventory;
    pub use serde;
    pub use server_fn::ServerFn;
}

pub use action::Action;
pub use bound::Bound;
#[cfg(feature = "ssr")]
pub use builder::{Builder, Formwork};
#[cfg(feature = "ssr")]
pub use cache::{revalidate_path, revalidate_tag};
pub use call::{use_action, ActionHandle, Undo};
pub use error::{ActionError, FieldErrors};
pub use flash::FormSnapshot;
pub use form::{
    ActionForm, Checkbox, Field, Fields, FormError, FormState, Select, SubmitButton, TextArea,
    TextInput,
};
pub use items::{ItemButton, Items, ItemsForm};
pub use live::Live;
pub use meta::{Document, Scripts, Stylesheet, Title};
pub use optimistic::Optimistic;
pub use preview::{Count, Preview};
pub use query_form::QueryForm;
#[cfg(feature = "ssr")]
pub use rate_limit::RateLimit;
#[cfg(feature = "ssr")]
pub use redirect::redirect;
pub use redirect::LocalPath;
pub use region::Region;
pub use schema::{Rule, Schema, Validated};
pub use status::{use_form_status, FormStatus};
pub use upload_form::{FileInput, UploadButton, UploadForm, UploadProgress};

/// Declares an action: an `async fn` that runs only on the server, called over HTTP by its
/// forms, with who may call it and, optionally, how often and with how large a body.
///
/// ```
/// use formwork::prelude::*;
/// use formwork::identity::Rank;
///
/// formwork::schema! {
///     #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
///     pub struct NewNote {
///         pub text: String = Rule::text("Note").chars(1, 500),
///     }
/// }
///
/// /// Keeps a note for the signed-in user.
/// #[formwork::action(access = SignedIn, rate_limit = per_user(30).per_hour(), body_limit = 8 KiB,
///                   revalidates = ["notes", "user:*:notes"])]
/// pub async fn add_note(me: Principal, #[server(flatten)] note: NewNote) -> Result<usize, ActionError> {
///     // `me` comes from the session; `note` has been checked against its schema (a 422 with
///     // every field's message otherwise) and trimmed.
///     revalidate_tag("notes");
///     revalidate_tag(&formwork::live::private_tag(me.user_id, "notes"));
///     Ok(note.text.len())
/// }
///
/// /// How many notes there are (a read: `GET`, its arguments in the query).
/// #[formwork::action(access = Public, method = GET)]
/// pub async fn count_notes() -> Result<u64, ActionError> {
///     Ok(0)
/// }
///
/// #[formwork::action(access = AtLeast(Rank(2)))]
/// pub async fn clear_notes() -> Result<(), ActionError> {
///     Ok(())
/// }
/// # fn main() {
/// #     use server_fn::ServerFn;
/// #     let declared = formwork::registry::declaration(AddNote::PATH).unwrap();
/// #     assert_eq!(declared.access, formwork::registry::Access::SignedIn);
/// #     assert_eq!(declared.body_limit, Some(8 * 1024));
/// #     assert!(declared.lists("tag:user:7:notes") && !declared.lists("tag:posts"));
/// #     assert!(formwork::registry::declaration(ClearNotes::PATH).is_some());
/// # }
/// ```
///
/// It expands to a Leptos `#[server]` function (the generated argument type is named as
/// `#[server]` names it, `AddNote` for `add_note`, or by `name = …`), and around its body:
///
/// - **`access`** (required: an action without one does not compile): `Public`, `SignedIn` or
///   `AtLeast(rank)` (an app role's `.rank()`). The pipeline refuses a caller the policy does
///   not admit (401, 403) before the body is read, and the body checks it again, so a page
///   that calls the function directly is held to it too.
/// - **A `Principal` argument** is the signed-in user, filled from the session; the client
///   cannot send it. Only an action that requires sign-in may take one.
/// - **Every argument whose type is a [`schema!`] struct is checked** against its rules before
///   the body runs (trimmed, and a 422 carrying each field's message otherwise): an action
///   cannot forget to validate. The `#[server(flatten)]` argument is the form's fields: its
///   [`FormState`] renders and checks that schema ([`Action::Schema`]).
/// - **`rate_limit`**: a `RateLimit` (server build), where a chain may start at `per_ip(n)`,
///   `per_user(n)` or `per_ip_and_user(n)` (429 with `Retry-After` beyond it).
/// - **`body_limit`**: `64 KiB`, `5 MiB`, or bytes as any `u64` expression (413 beyond it).
/// - **`revalidates`**: what the action revalidates, for reviewers and the action manifest
///   ([`registry::manifest`]): tags, and paths (starting with `/`), `*` standing for any text
///   (`["posts", "post:*", "/posts/*"]`; `[]` for nothing). The pipeline holds the action to
///   it: a tag or path revalidated outside the list is still revalidated (never a stale page),
///   and logged as an error naming the action and what to add.
/// - **`method`**: `POST` (the default) or `GET` for a read, whose arguments travel in the
///   query string.
/// - **`input`, `output`, `prefix`, `endpoint`, `name`** are handed to `#[server]` as they are
///   (`input = MultipartFormData` for an upload).
///
/// The server's registry (feature `ssr`) holds each declaration; the builder refuses to start
/// if a server function linked into the binary has none (one written with a plain
/// `#[server]`).
#[doc(inline)]
pub use formwork_macros::action;

/// Declares an action's input struct and the rule of each field: the struct derives
/// `garde::Validate` from the rules, and implements [`Schema`] so forms can render and check
/// them in the browser. It also gets a companion `…Fields` struct, one [`Field`] handle per
/// field, that a form reaches with `state.fields()`: a misspelled field does not compile.
///
/// ```
/// use formwork::{ActionError, Rule, Schema, Validated};
///
/// formwork::schema! {
///     #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
///     pub struct ContactInput {
///         pub name: String = Rule::text("Name").chars(2, 100),
///         pub email: String = Rule::email("Email"),
///     }
/// }
///
/// assert_eq!(ContactInput::rule("email").map(|r| r.input_type()), Some("email"));
/// let input = ContactInput { name: " Ada ".into(), email: "ada@example".into() };
/// let Err(ActionError::Validation { fields, .. }) = input.validated() else { panic!() };
/// assert_eq!(fields["email"], ["Enter an email address like name@example.org."]);
/// ```
///
/// Field types are `String` or `Option<String>` (see [`schema::FieldValue`]). The struct
/// implements `garde::Validate` through formwork's own `garde`: the crate using the macro
/// needs no `garde` dependency.
#[doc(inline)]
pub use formwork_macros::schema;

/// What `#[formwork::action]` records for the server's registry (not an API).
#[doc(hidden)]
#[macro_export]
macro_rules! __declare {
    ($action:ty, $access:expr, $body_limit:expr, $rate_limit:expr, $revalidates:expr) => {
        $crate::__on_server! {
        $crate::__private::inventory::submit! {
            $crate::registry::Declaration {
                path: <$action as $crate::__private::ServerFn>::PATH,
                content_type: <<$action as $crate::__private::ServerFn>::Protocol
                    as $crate::registry::ReadsBody>::CONTENT_TYPE,
                access: $access,
                body_limit: $body_limit,
                rate_limit: $rate_limit,
                revalidates: $revalidates,
            }
        }
        }
    };
}

/// Keeps its items in the server build (formwork's `ssr` feature on), drops them elsewhere.
/// The cfg is formwork's, evaluated here: a macro expanding `#[cfg(feature = "ssr")]` would
/// test the caller's features instead.
#[cfg(feature = "ssr")]
#[doc(hidden)]
#[macro_export]
macro_rules! __on_server {
    ($($item:item)*) => {
        $($item)*
    };
}

#[cfg(not(feature = "ssr"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __on_server {
    ($($item:item)*) => {};
}

#[cfg(all(test, feature = "ssr"))]
#[allow(clippy::unwrap_used)]
mod tests {
    use leptos::prelude::{provide_context, Owner};

    #[test]
    fn headers_are_the_request_being_served() {
        let (parts, ()) = http::Request::get("/posts")
            .header("user-agent", "Mozilla/5.0 (test)")
            .body(())
            .unwrap()
            .into_parts();
        Owner::new().with(|| {
            provide_context(parts);
            assert_eq!(super::headers()["user-agent"], "Mozilla/5.0 (test)");
        });
        assert!(super::headers().is_empty(), "outside a request: none");
    }

    #[test]
    fn random_ids_are_32_lowercase_hex_digits_and_each_its_own() {
        let ids: std::collections::HashSet<String> =
            (0..1000).map(|_| super::random_id()).collect();
        assert_eq!(ids.len(), 1000);
        for id in &ids {
            assert_eq!(id.len(), 32, "{id}");
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                "{id}"
            );
        }
    }

    #[test]
    fn ordered_ids_sort_by_the_millisecond_they_were_made_in() {
        let lowercase_hex =
            |id: &str| id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        // Moments a millisecond apart, across the digits' boundaries, and a day apart.
        let moments = [
            0,
            1,
            15,
            16,
            255,
            256,
            1_796_000_000_000,
            1_796_000_000_001,
            1_796_086_400_000,
            (1 << 48) - 1,
        ];
        let ids: Vec<String> = moments.iter().map(|&m| super::ordered_id_at(m)).collect();
        for pair in ids.windows(2) {
            assert!(pair[0] < pair[1], "{} sorts before {}", pair[0], pair[1]);
        }
        // The clock's digits lead; the rest is random, and each id its own.
        assert!(
            ids[6].starts_with(&format!("{:012x}", 1_796_000_000_000_u64)),
            "{}",
            ids[6]
        );
        let same_moment: std::collections::HashSet<String> = (0..1000)
            .map(|_| super::ordered_id_at(1_796_000_000_000))
            .collect();
        assert_eq!(same_moment.len(), 1000);
        assert!(same_moment.iter().chain(&ids).all(|id| lowercase_hex(id)));
        let now = super::ordered_id();
        assert!(lowercase_hex(&now) && now > ids[6], "{now}");
    }

    #[test]
    fn hex_writes_each_byte_as_two_lowercase_digits() {
        let every: Vec<u8> = (0..=255).collect();
        let expected: String = every.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(super::hex(&every), expected);
        assert_eq!(super::hex(&[0x0f, 0xa0]), "0fa0");
        assert_eq!(super::hex(&[]), "");
    }
}
