//! What the app's cached reads are tagged with, in one place: a read names the tags of the
//! data it returns, and the action that changes that data revalidates exactly those.
//!
//! | tag | data | revalidated by |
//! |---|---|---|
//! | `posts` | every page of the post list | publishing, editing, deleting a post |
//! | `post:{id}` | one post's page | editing or deleting it |
//! | `comments:{post_id}` | one post's comments | adding or deleting one of them |
//! | `newsletter` | the subscriber count | (a new subscriber revalidates its page, `/newsletter`, by path) |
//! | `people` | everything that shows authors' names (post lists, posts, comments) | a new display name or picture |

use std::time::Duration;

/// How long a cached read may be served at most. Revalidation purges at once in this
/// process; the limit bounds what another instance may show until it hears of a change.
pub const CACHE_TTL: Duration = Duration::from_secs(60);

pub const POSTS: &str = "posts";
pub const NEWSLETTER: &str = "newsletter";
pub const PEOPLE: &str = "people";

pub fn post(id: i64) -> String {
    format!("post:{id}")
}

pub fn comments(post_id: i64) -> String {
    format!("comments:{post_id}")
}
