//! Comment types, and the rules a new comment must meet.

use formwork::Rule;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Most characters in a comment, after trimming.
pub const COMMENT_MAX_CHARS: usize = 2_000;

/// A comment under a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub id: i64,
    pub post_id: i64,
    pub author_id: i64,
    /// The author's username.
    pub author: String,
    /// The name the author chose to be shown by, if any.
    pub author_display_name: Option<String>,
    /// The object key of the author's picture, if they have one.
    pub author_avatar: Option<String>,
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

formwork::schema! {
    /// A comment as the form sends it.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct NewComment {
        pub body: String = Rule::text("Comment").chars(1, COMMENT_MAX_CHARS),
    }
}
