//! Post types, and the rules a new post must meet.

use crate::paging::Cursor;
use formwork::{identity::Principal, Rule};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Most characters in a title, after trimming.
pub const TITLE_MAX_CHARS: usize = 200;
/// Most characters in a post's content, after trimming.
pub const CONTENT_MAX_CHARS: usize = 10_000;
/// Posts on one page of `/posts`.
pub const PAGE_SIZE: u32 = 20;

/// A published post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub content: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Who wrote it; `None` for posts from before accounts, or whose account is gone.
    pub author: Option<Author>,
}

/// A post as the list shows it: the content cut to an excerpt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostSummary {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub author: Option<Author>,
}

/// The account that wrote something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub id: i64,
    pub username: String,
    /// The name they chose to be shown by, if any.
    pub display_name: Option<String>,
    /// The object key of their picture, if they have one.
    pub avatar: Option<String>,
}

/// Whether `viewer` may edit a post by `author`: only its author.
pub fn may_edit(viewer: Option<&Principal>, author: Option<&Author>) -> bool {
    matches!((viewer, author), (Some(v), Some(a)) if v.user_id == a.id)
}

/// Whether `viewer` may delete a post by `author`: its author, and moderators and admins.
pub fn may_delete(viewer: Option<&Principal>, author: Option<&Author>) -> bool {
    may_edit(viewer, author) || viewer.is_some_and(|v| v.is_at_least(crate::roles::Role::Moderator))
}

/// One page of the newest-first list, and its neighbours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostListing {
    pub posts: Vec<PostSummary>,
    /// This page.
    pub here: Cursor,
    /// The page of newer posts, if there are any.
    pub newer: Option<Cursor>,
    /// The page of older posts, if there are any.
    pub older: Option<Cursor>,
}

formwork::schema! {
    /// A post's text as the form sends it: for a new post and for an edit.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct NewPost {
        pub title: String = Rule::text("Title").chars(1, TITLE_MAX_CHARS),
        pub content: String = Rule::text("Content").chars(1, CONTENT_MAX_CHARS),
    }
}

/// Whether `text` has the shape of a slug (what [`base_slug`] and its `-N` suffixes make):
/// lowercase ASCII letters, digits and dashes, at most 100 bytes.
pub fn could_be_slug(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 100
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The slug a title asks for, before collisions are resolved (`"Hello, World!"` →
/// `"hello-world"`). Titles with no letters or digits get `"post"`.
#[cfg(feature = "ssr")]
pub fn base_slug(title: &str) -> String {
    const MAX_LEN: usize = 80;
    let mut slug = slug::slugify(title);
    if slug.len() > MAX_LEN {
        slug.truncate(MAX_LEN);
        // Cut at the last whole word, and never end on a hyphen.
        if let Some(cut) = slug.rfind('-').filter(|&i| i > MAX_LEN / 2) {
            slug.truncate(cut);
        }
        while slug.ends_with('-') {
            slug.pop();
        }
    }
    if slug.is_empty() {
        "post".to_owned()
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use formwork::{ActionError, Validated};

    fn post(title: &str, content: &str) -> Result<NewPost, ActionError> {
        NewPost {
            title: title.into(),
            content: content.into(),
        }
        .validated()
    }

    fn field_errors(result: Result<NewPost, ActionError>) -> formwork::FieldErrors {
        match result {
            Err(ActionError::Validation { fields, .. }) => fields,
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn a_new_post_is_trimmed() {
        let post = post("  Hello  ", "\n body \n").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            (post.title.as_str(), post.content.as_str()),
            ("Hello", "body")
        );
    }

    #[test]
    fn blank_fields_are_reported_together() {
        let errors = field_errors(post("   ", "\t"));
        assert_eq!(errors["title"], ["Title cannot be empty."]);
        assert_eq!(errors["content"], ["Content cannot be empty."]);
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let title = "é".repeat(TITLE_MAX_CHARS);
        assert!(post(&title, "x").is_ok());
        let errors = field_errors(post(&format!("{title}é"), "x"));
        assert_eq!(
            errors["title"],
            ["Title can be at most 200 characters (it has 201)."]
        );
        assert!(post("t", &"x".repeat(CONTENT_MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn only_slug_shaped_text_could_be_a_slug() {
        for ok in ["hello-world", "post-2", "a"] {
            assert!(could_be_slug(ok), "{ok}");
        }
        for bad in [
            "",
            "Hello",
            "a b",
            "x' OR '1'='1",
            "a\u{0}b",
            "é",
            &"a".repeat(101),
        ] {
            assert!(!could_be_slug(bad), "{bad:?}");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn slugs_come_from_titles() {
        assert_eq!(base_slug("Hello, World!"), "hello-world");
        assert_eq!(base_slug("Ünïcödé  Straße"), "unicode-strasse");
        assert_eq!(base_slug("!!!"), "post");
        let long = base_slug(&"word ".repeat(60));
        assert!(long.len() <= 80 && !long.ends_with('-'), "{long}");
    }
}
