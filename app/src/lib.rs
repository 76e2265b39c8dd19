//! The Formwork reference application: a small community site built on `formwork`.
//!
//! - [`shell`]: the HTML document, the router and the site frame;
//! - [`accounts`]: register, sign in and out (server-rendered forms);
//! - [`admin`]: the accounts and their roles, for admins;
//! - [`posts`]: posts, grouped as model, store, actions and pages;
//! - [`comments`]: comments under posts, deleted by their authors or by moderators;
//! - [`newsletter`] and [`contact`]: server-rendered forms that ship no code;
//! - [`feedback`]: a form in an island, rate limited;
//! - [`mail`]: email, written to an outbox by jobs (server only);
//! - [`state`]: what the server hands to every action (server only).
//!
//! Components are server-rendered and ship no code unless they are `#[island]`s.

pub mod accounts;
pub mod admin;
pub mod comments;
pub mod contact;
pub mod feedback;
#[cfg(feature = "ssr")]
pub mod mail;
pub mod newsletter;
pub mod paging;
pub mod posts;
pub mod roles;
pub mod search;
pub mod settings;
pub mod shell;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod store;
pub mod tags;
pub mod todos;
#[cfg(feature = "ssr")]
pub mod wording;

pub use shell::{shell, App};
