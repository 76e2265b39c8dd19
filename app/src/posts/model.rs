//! Post types, and the rules a new post must meet.

use formwork::FieldErrors;
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
}

/// One page of the newest-first list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostListing {
    pub posts: Vec<PostSummary>,
    /// 1-based.
    pub page: u32,
    /// Whether a next (older) page exists.
    pub has_older: bool,
}

/// A page number from a query string: anything unreadable or out of range is page 1.
pub fn page_number(raw: Option<&str>) -> u32 {
    raw.and_then(|p| p.trim().parse::<u32>().ok())
        .filter(|p| (1..=1_000_000).contains(p))
        .unwrap_or(1)
}

/// A post that has passed the rules: trimmed, non-empty, within the limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPost {
    title: String,
    content: String,
}

impl NewPost {
    /// Checks both fields and reports every problem at once, keyed by the form field.
    pub fn parse(title: &str, content: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = title.trim();
        let content = content.trim();
        if let Some(message) = length_problem("Title", title, TITLE_MAX_CHARS) {
            errors.insert("title".into(), vec![message]);
        }
        if let Some(message) = length_problem("Content", content, CONTENT_MAX_CHARS) {
            errors.insert("content".into(), vec![message]);
        }
        if errors.is_empty() {
            Ok(Self {
                title: title.to_owned(),
                content: content.to_owned(),
            })
        } else {
            Err(errors)
        }
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn content(&self) -> &str {
        &self.content
    }
}

fn length_problem(label: &str, value: &str, max: usize) -> Option<String> {
    let chars = value.chars().count();
    if chars == 0 {
        Some(format!("{label} cannot be empty."))
    } else if chars > max {
        Some(format!(
            "{label} can be at most {max} characters (it has {chars})."
        ))
    } else {
        None
    }
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

    #[test]
    fn a_new_post_is_trimmed() {
        let post = NewPost::parse("  Hello  ", "\n body \n").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(post.title(), "Hello");
        assert_eq!(post.content(), "body");
    }

    #[test]
    fn blank_fields_are_reported_together() {
        let errors = NewPost::parse("   ", "\t").err().unwrap_or_default();
        assert_eq!(errors["title"], ["Title cannot be empty."]);
        assert_eq!(errors["content"], ["Content cannot be empty."]);
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let title = "é".repeat(TITLE_MAX_CHARS);
        assert!(NewPost::parse(&title, "x").is_ok());
        let errors = NewPost::parse(&format!("{title}é"), "x")
            .err()
            .unwrap_or_default();
        assert_eq!(
            errors["title"],
            ["Title can be at most 200 characters (it has 201)."]
        );
        assert!(NewPost::parse("t", &"x".repeat(CONTENT_MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn page_numbers_fall_back_to_the_first_page() {
        assert_eq!(page_number(None), 1);
        assert_eq!(page_number(Some("3")), 3);
        for bad in ["0", "-1", "abc", "99999999999", ""] {
            assert_eq!(page_number(Some(bad)), 1, "{bad}");
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
