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
