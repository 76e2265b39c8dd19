//! The todo type, and the rules a todo's title must meet.

use formwork::Rule;
use serde::{Deserialize, Serialize};

/// Most characters in a todo's title, after trimming.
pub const TITLE_MAX_CHARS: usize = 200;
/// Most todos one user keeps.
pub const TODOS_PER_USER: usize = 200;

/// One item of a user's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Todo {
    pub id: i64,
    pub title: String,
    pub done: bool,
}

formwork::schema! {
    /// A todo's title, as the add and rename forms send it.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct TodoTitle {
        pub title: String = Rule::text("Todo").chars(1, TITLE_MAX_CHARS),
    }
}

/// The tag of one user's list: private, so only that user's pages hear when it changes.
pub fn tag(user_id: i64) -> String {
    formwork::live::private_tag(user_id, "todos")
}

/// What a user told "you already have that" sees (409).
pub fn duplicate(title: &str) -> String {
    format!("You already have a todo called “{title}”.")
}
