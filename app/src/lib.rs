//! The Formwork reference application: a small community site built on `formwork`.
//!
//! - [`shell`]: the HTML document, the router and the site frame;
//! - [`accounts`]: register, sign in and out (server-rendered forms);
//! - [`posts`]: posts, grouped as model, store, actions and pages;
//! - [`newsletter`] and [`contact`]: server-rendered forms that ship no code;
//! - [`feedback`]: a form in an island, rate limited;
//! - [`state`]: what the server hands to every action (server only).
//!
//! Components are server-rendered and ship no code unless they are `#[island]`s.

pub mod accounts;
pub mod contact;
pub mod feedback;
pub mod newsletter;
pub mod posts;
pub mod shell;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod store;

pub use shell::{shell, App};
