//! `GET /api/v1/posts?limit=N&cursor=C` and `GET /api/v1/posts/{slug}`.
//!
//! The list is newest first and paged by cursor, not by page number: a page is "the posts
//! older than the last one you have", so posts published meanwhile never shift what the next
//! page holds and nothing is shown twice. `next_cursor` is `null` on the last page. Cursors
//! are opaque; a malformed one is a 400.

use super::ApiError;
use app::{posts::model::PostSummary, state::AppState};
use axum::{
    extract::{Path, RawQuery, State},
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::Serialize;
use time::OffsetDateTime;

/// Posts a page holds unless the client asks for fewer or more.
pub const DEFAULT_LIMIT: u32 = 20;
/// Most posts a page holds.
pub const MAX_LIMIT: u32 = 100;

/// A post in the API's shape (a stable contract, not the app's types).
#[derive(Debug, Serialize)]
pub struct ApiPost {
    pub id: i64,
    pub slug: String,
    pub title: String,
    /// The whole text on `/posts/{slug}`; the list gives an excerpt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The author's username; `null` for posts whose account is gone.
    pub author: Option<String>,
    /// The post's page on the site.
    pub url: String,
}

impl From<PostSummary> for ApiPost {
    fn from(post: PostSummary) -> Self {
        Self {
            url: format!("/posts/{}", post.slug),
            id: post.id,
            slug: post.slug,
            title: post.title,
            content: None,
            excerpt: Some(post.excerpt),
            created_at: post.created_at,
            author: post.author.map(|a| a.username),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PostPage {
    pub posts: Vec<ApiPost>,
    pub next_cursor: Option<String>,
}

/// The cursor that continues after the post with `id`.
pub fn cursor_after(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("before:{id}"))
}

/// The id a cursor continues before.
pub fn read_cursor(cursor: &str) -> Result<i64, ApiError> {
    let refused = || {
        ApiError::bad_request("The cursor is not one this API gave out. Start again without it.")
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| refused())?;
    let text = String::from_utf8(bytes).map_err(|_| refused())?;
    text.strip_prefix("before:")
        .and_then(|id| id.parse::<i64>().ok())
        .filter(|id| *id > 0)
        .ok_or_else(refused)
}

/// `limit` and `cursor` from the query; anything else in it is refused, so a typo is not
/// silently ignored.
fn paging(query: Option<&str>) -> Result<(u32, Option<i64>), ApiError> {
    let (mut limit, mut cursor) = (DEFAULT_LIMIT, None);
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match &*key {
            "limit" => {
                limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "limit must be a whole number from 1 to {MAX_LIMIT}."
                        ))
                    })?;
            }
            "cursor" => cursor = Some(read_cursor(&value)?),
            other => {
                return Err(ApiError::bad_request(format!(
                    "Unknown parameter `{other}`: this endpoint takes limit and cursor."
                )))
            }
        }
    }
    Ok((limit, cursor))
}

fn cacheable(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=30"),
    );
    response
}

/// `GET /api/v1/posts`
pub async fn list(State(app): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let (limit, before) = match paging(query.as_deref()) {
        Ok(paging) => paging,
        Err(error) => return error.into_response(),
    };
    let mut posts = match app.store.posts_before(before, limit + 1).await {
        Ok(posts) => posts,
        Err(error) => return ApiError::internal(error).into_response(),
    };
    let more = posts.len() > limit as usize;
    posts.truncate(limit as usize);
    let next_cursor = more
        .then(|| posts.last().map(|p| cursor_after(p.id)))
        .flatten();
    cacheable(
        Json(PostPage {
            posts: posts.into_iter().map(ApiPost::from).collect(),
            next_cursor,
        })
        .into_response(),
    )
}

/// `GET /api/v1/posts/{slug}`
pub async fn one(State(app): State<AppState>, Path(slug): Path<String>) -> Response {
    if !app::posts::model::could_be_slug(&slug) {
        return ApiError::not_found("That post").into_response();
    }
    match app.store.post_by_slug(&slug).await {
        Ok(Some(post)) => cacheable(
            Json(ApiPost {
                url: format!("/posts/{}", post.slug),
                id: post.id,
                slug: post.slug,
                title: post.title,
                content: Some(post.content),
                excerpt: None,
                created_at: post.created_at,
                author: post.author.map(|a| a.username),
            })
            .into_response(),
        ),
        Ok(None) => ApiError::not_found("That post").into_response(),
        Err(error) => ApiError::internal(error).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_and_anything_else_is_refused() {
        assert_eq!(read_cursor(&cursor_after(42)).ok(), Some(42));
        for bad in [
            "",
            "!!",
            "YWJj",
            &URL_SAFE_NO_PAD.encode("before:-1"),
            &URL_SAFE_NO_PAD.encode("before:x"),
        ] {
            assert!(read_cursor(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paging_has_defaults_and_bounds() {
        assert_eq!(paging(None).ok(), Some((DEFAULT_LIMIT, None)));
        assert_eq!(paging(Some("limit=5")).ok(), Some((5, None)));
        for bad in ["limit=0", "limit=101", "limit=x", "page=2", "cursor=zzz"] {
            assert!(paging(Some(bad)).is_err(), "{bad}");
        }
    }
}
