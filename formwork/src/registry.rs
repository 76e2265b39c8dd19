//! What every action declares about itself, checked when the server starts.
//!
//! Each action states in its attribute who may call it and, optionally, the largest body it
//! accepts and how often one client may call it (see [`action`](macro@crate::action)):
//!
//! ```
//! use formwork::{identity::Rank, ActionError};
//! use leptos::prelude::*;
//!
//! #[formwork::action(access = SignedIn, body_limit = 64 KiB)]
//! pub async fn create_post(title: String) -> Result<(), ActionError> {
//!     # let _ = title;
//!     Ok(())
//! }
//!
//! // The app's own roles convert into ranks: `AtLeast(Role::Editor.rank())`.
//! #[formwork::action(access = AtLeast(Rank(2)))]
//! pub async fn change_role(user: i64, rank: u8) -> Result<(), ActionError> {
//!     # let _ = (user, rank);
//!     Ok(())
//! }
//!
//! #[formwork::action(access = Public, rate_limit = per_ip(10).per_minute())]
//! pub async fn send_feedback(message: String) -> Result<(), ActionError> {
//!     # let _ = message;
//!     Ok(())
//! }
//! # fn main() {
//! #     use server_fn::ServerFn;
//! #     let declared = formwork::registry::declaration(ChangeRole::PATH).unwrap();
//! #     assert_eq!(declared.access, formwork::registry::Access::AtLeast(Rank(2)));
//! #     assert_eq!(formwork::registry::declaration(CreatePost::PATH).unwrap().body_limit, Some(65536));
//! # }
//! ```
//!
//! [`check`] compares the declarations with every server function linked into the binary:
//! one without a declaration (a plain `#[server]`) stops the server at start-up, named, so
//! nothing can be forgotten. The pipeline applies a declaration before the request's
//! arguments are read.

use crate::{
    identity::{Principal, Rank},
    ActionError,
};
use std::{collections::HashMap, sync::OnceLock};

/// Who may call an action. The app's roles are its own; formwork compares their ranks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (reads, sign-up, a contact form).
    Public,
    /// Any signed-in user.
    SignedIn,
    /// Signed-in users of this rank or a higher one.
    AtLeast(Rank),
}

impl Access {
    /// Whether `who` may call an action with this policy: 401 when nobody is signed in,
    /// 403 when the rank is too low.
    pub fn admits(self, who: Option<&Principal>) -> Result<(), ActionError> {
        match (self, who) {
            (Access::Public, _) => Ok(()),
            (Access::SignedIn | Access::AtLeast(_), None) => Err(ActionError::Unauthenticated),
            (Access::SignedIn, Some(_)) => Ok(()),
            (Access::AtLeast(rank), Some(who)) if who.rank >= rank => Ok(()),
            (Access::AtLeast(_), Some(_)) => Err(ActionError::forbidden(crate::messages::text(
                crate::messages::Message::NotAllowed,
            ))),
        }
    }
}

/// The body encoding a server function reads, from its protocol: the pipeline refuses any
/// other (a JSON body sent to a form action would be read leniently, as something the client
/// never meant).
pub trait ReadsBody {
    /// The media type of the request body (`application/x-www-form-urlencoded`, …).
    const CONTENT_TYPE: &'static str;
}

impl<Input: server_fn::ContentType, Output> ReadsBody for server_fn::Http<Input, Output> {
    const CONTENT_TYPE: &'static str = Input::CONTENT_TYPE;
}

/// One action's declaration (made by [`action`](macro@crate::action)).
#[derive(Debug)]
pub struct Declaration {
    /// The server function's path (`ServerFn::PATH`).
    pub path: &'static str,
    /// The media type its body must have (see [`ReadsBody`]).
    pub content_type: &'static str,
    /// Who may call it.
    pub access: Access,
    /// The largest request body this action accepts, if not the pipeline's default.
    pub body_limit: Option<u64>,
    /// How often one client may call it (see [`crate::rate_limit`]); `None` is unlimited.
    pub rate_limit: Option<crate::rate_limit::RateLimit>,
    /// What it revalidates, when it says (`revalidates = ["posts", "post:*"]`): tags, and
    /// paths (those start with `/`); `*` stands for any text (an id). `None` when the action
    /// does not say; then the manifest says so, and nothing is checked.
    pub revalidates: Option<&'static [&'static str]>,
}

impl Declaration {
    /// Whether `revalidated` (a value of the action response's `x-formwork-revalidated`:
    /// `tag:<tag>` or `path:<path>`) is one the declaration lists; `true` when it lists none.
    pub fn lists(&self, revalidated: &str) -> bool {
        let Some(patterns) = self.revalidates else {
            return true;
        };
        let (tag, path) = match revalidated.split_once(':') {
            Some(("tag", tag)) => (Some(tag), None),
            Some(("path", path)) => (None, Some(path)),
            _ => (None, None),
        };
        patterns.iter().any(|pattern| match (tag, path) {
            (Some(tag), _) if !pattern.starts_with('/') => glob(pattern, tag),
            (_, Some(path)) if pattern.starts_with('/') => glob(pattern, path),
            _ => false,
        })
    }
}

/// Whether `text` is `pattern`, each `*` in it standing for any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty(); // no `*`: the whole text
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

inventory::collect!(Declaration);

/// The declaration of the action at `path`.
pub fn declaration(path: &str) -> Option<&'static Declaration> {
    static BY_PATH: OnceLock<HashMap<&'static str, &'static Declaration>> = OnceLock::new();
    BY_PATH
        .get_or_init(|| {
            inventory::iter::<Declaration>
                .into_iter()
                .map(|declaration| (declaration.path, declaration))
                .collect()
        })
        .get(path)
        .copied()
}

/// Every server function linked into this binary has exactly one declaration; the error
/// names each one that has none (or more than one).
pub fn check() -> Result<(), String> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for declaration in inventory::iter::<Declaration> {
        *counts.entry(declaration.path).or_default() += 1;
    }
    let mut problems: Vec<String> = server_fn::axum::server_fn_paths()
        .filter_map(|(path, _)| match counts.get(path).copied().unwrap_or(0) {
            0 => Some(format!("{path} declares no access policy")),
            1 => None,
            n => Some(format!("{path} is declared {n} times")),
        })
        .collect();
    problems.sort();
    problems.dedup();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "every server function must be declared with #[formwork::action(access = …)]: {}",
            problems.join("; ")
        ))
    }
}

/// The largest body limit any action declares, or `default`.
pub fn largest_body_limit(default: u64) -> u64 {
    inventory::iter::<Declaration>
        .into_iter()
        .filter_map(|d| d.body_limit)
        .fold(default, u64::max)
}

/// The site's actions and their policies, one line each, sorted by path: what a reviewer
/// reads to see the attack surface at a glance (the reference server prints it as
/// `server actions`, and a golden file in its tests fails on any change to it).
///
/// Columns: path, method, access (ranks named by `rank_name`), the body limit (`default` is
/// the pipeline's, for actions that declare none), the rate limit, what it revalidates (as
/// declared with `revalidates`, which the pipeline holds it to; `undeclared` when it does not
/// say), and the body's codec. A server function without a declaration is listed as
/// `UNDECLARED` (the server refuses to start with one).
pub fn manifest(default_body_limit: u64, rank_name: impl Fn(Rank) -> String) -> String {
    let mut rows: Vec<[String; 7]> = server_fn::axum::server_fn_paths()
        .map(|(path, method)| match declaration(path) {
            Some(d) => [
                path.to_owned(),
                method.to_string(),
                match d.access {
                    Access::Public => "public".to_owned(),
                    Access::SignedIn => "signed in".to_owned(),
                    Access::AtLeast(rank) => format!("at least {}", rank_name(rank)),
                },
                // A GET action reads its arguments from the query string: it has no body.
                match (&method, d.body_limit) {
                    (&http::Method::GET, _) => "no body".to_owned(),
                    (_, Some(limit)) => bytes(limit),
                    (_, None) => format!("{} (default)", bytes(default_body_limit)),
                },
                d.rate_limit.map_or_else(|| "none".to_owned(), |l| rate(&l)),
                match d.revalidates {
                    None => "undeclared".to_owned(),
                    Some([]) => "nothing".to_owned(),
                    Some(what) => what.join(", "),
                },
                if method == http::Method::GET {
                    "query string".to_owned()
                } else {
                    d.content_type.to_owned()
                },
            ],
            None => [
                path.to_owned(),
                method.to_string(),
                "UNDECLARED".to_owned(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ],
        })
        .collect();
    rows.sort();
    rows.dedup();
    let header = [
        "PATH",
        "METHOD",
        "ACCESS",
        "BODY LIMIT",
        "RATE LIMIT",
        "REVALIDATES",
        "CODEC",
    ]
    .map(String::from);
    let mut widths = [0; 7];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', width - cell.chars().count()));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `bytes` as a person reads a limit: `4 KiB`, `1 MiB`, `300 B`.
fn bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

/// A rate limit as a person reads it: `100 per hour per user`.
fn rate(limit: &crate::rate_limit::RateLimit) -> String {
    use crate::rate_limit::KeyBy;
    let window = match limit.window.as_secs() {
        1 => "second".to_owned(),
        60 => "minute".to_owned(),
        3600 => "hour".to_owned(),
        86400 => "day".to_owned(),
        secs if secs % 60 == 0 => format!("{} min", secs / 60),
        secs => format!("{secs} s"),
    };
    let key = match limit.key {
        KeyBy::Ip => "address",
        KeyBy::User => "user",
        KeyBy::IpAndUser => "user and address",
    };
    format!("{} per {window} per {key}", limit.requests)
}

#[cfg(test)]
mod manifest_tests {
    use super::*;
    use crate::rate_limit::RateLimit;

    #[test]
    fn limits_read_as_a_person_says_them() {
        assert_eq!(bytes(4096), "4 KiB");
        assert_eq!(bytes(1024 * 1024), "1 MiB");
        assert_eq!(bytes(1500), "1500 B");
        assert_eq!(
            rate(&RateLimit::per_user(100).per_hour()),
            "100 per hour per user"
        );
        assert_eq!(
            rate(&RateLimit::per_ip(5).per_minute()),
            "5 per minute per address"
        );
        assert_eq!(
            rate(&RateLimit::per_ip_and_user(3).per(std::time::Duration::from_secs(90))),
            "3 per 90 s per user and address"
        );
    }
}

#[cfg(test)]
mod revalidates_tests {
    use super::*;

    fn declared(revalidates: Option<&'static [&'static str]>) -> Declaration {
        Declaration {
            path: "/api/test",
            content_type: "application/x-www-form-urlencoded",
            access: Access::Public,
            body_limit: None,
            rate_limit: None,
            revalidates,
        }
    }

    #[test]
    fn a_declaration_lists_tags_and_paths_with_stars_for_ids() {
        let d = declared(Some(&["posts", "post:*", "user:*:todos", "/posts/*"]));
        for listed in [
            "tag:posts",
            "tag:post:7",
            "tag:user:12:todos",
            "path:/posts/hello",
        ] {
            assert!(d.lists(listed), "{listed}");
        }
        for unlisted in [
            "tag:postsx",
            "tag:people",
            "tag:user:12:avatar",
            "tag:/posts/hello", // a tag is not a path
            "path:posts",       // nor a path a tag
            "path:/people/1",
            "nonsense",
        ] {
            assert!(!d.lists(unlisted), "{unlisted}");
        }
        assert!(!declared(Some(&[])).lists("tag:posts"), "[] lists nothing");
        assert!(
            declared(None).lists("tag:anything"),
            "undeclared: nothing is checked"
        );
    }

    #[test]
    fn a_star_stands_for_any_text_even_none() {
        assert!(glob("post:*", "post:"));
        assert!(glob("a*b*c", "abc"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxcyyb"));
        assert!(glob("*", "anything"));
        assert!(!glob("abc", "abcd"));
    }
}
