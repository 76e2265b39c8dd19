//! Personal todos at `/todos`: each signed-in user's own list, with add, toggle, rename and
//! delete. Optimistic with JavaScript (the change shows at once, and is rolled back with the
//! reason if the server refuses it), the same forms without it; every open tab of the user
//! follows along live, and no one else hears of it (the list's tag is private to its owner).
//!
//! - [`model`]: the todo type and its rules;
//! - [`actions`]: the read and the four actions;
//! - [`page`]: the page, its forms and what each shows while it is on its way;
//! - `store` (server only): what todos need from storage.

pub mod actions;
pub mod model;
pub mod page;
#[cfg(feature = "ssr")]
pub mod store;
