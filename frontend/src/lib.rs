//! The browser bundle. It only hydrates the app's islands; everything else is plain HTML.
//! The entry point, `hydrate`, is formwork's (its `hydrate` feature exports it): this crate
//! links the app, whose `#[island]` exports are then part of this module.

use app as _;
