//! `/search?q=`: reads stay reads. A plain GET form, no action: the server renders the
//! results, so the page works without JavaScript and its URL can be shared. With JavaScript
//! the results follow the typing (debounced) and the URL keeps up.
//!
//! - [`query`]: what a query is (its words, its limits) and how a hit is marked up;
//! - the read ([`search_posts`]), the page and its search box (an island).

pub mod query;

use crate::{shell::set_status, tags};
use formwork::Title;
use formwork::{ActionError, QueryForm, Region};
use leptos::{either::EitherOf3, prelude::*};
use leptos_router::hooks::use_query_map;
use query::{marked, words, MAX_QUERY_CHARS};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Most results shown.
pub const RESULTS: u32 = 20;

/// One post that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub slug: String,
    pub title: String,
    /// The content around the first match.
    pub snippet: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub author: Option<String>,
}

#[cfg(feature = "ssr")]
impl SearchHit {
    fn of(post: crate::posts::model::Post, words: &[String]) -> Self {
        use query::snippet;
        Self {
            snippet: snippet(&post.content, words),
            slug: post.slug,
            title: post.title,
            created_at: post.created_at,
            author: post.author.map(|a| a.username),
        }
    }
}

/// The newest posts whose title or content holds every word of `q` (case aside; `%` and `_`
/// are just characters). An empty query finds nothing; a query too long is a 400.
#[formwork::action(access = Public, method = GET)]
pub async fn search_posts(q: String) -> Result<Vec<SearchHit>, ActionError> {
    let words = words(&q)?;
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let posts = crate::state::store()?.search_posts(&words, RESULTS).await?;
    Ok(posts
        .into_iter()
        .map(|post| SearchHit::of(post, &words))
        .collect())
}

/// `/search?q=…`
#[component]
pub fn SearchPage() -> impl IntoView {
    crate::shell::shared();
    let q = use_query_map()
        .read_untracked()
        .get("q")
        .unwrap_or_default();
    let shown = q.clone();
    view! {
        <Title text="Search"/>
        <h1>"Search posts"</h1>
        <SearchBox q=q.chars().take(MAX_QUERY_CHARS).collect()/>
        // Tagged like the list: a post published meanwhile that matches shows up here too.
        <Region name="results" tags=vec![tags::POSTS.to_owned()]>
            <Suspense fallback=|| view! { <p>"Searching…"</p> }>
                {Suspend::new(async move {
                    let q = shown;
                    let words = words(&q).unwrap_or_default();
                    match search_posts(q.clone()).await {
                        Ok(_) if words.is_empty() => EitherOf3::A(view! {
                            <p class="notice">"Type a word or two from a post's title or text."</p>
                        }),
                        Ok(hits) => EitherOf3::B(view! { <Hits hits=hits words=words q=q/> }),
                        Err(error) => {
                            set_status(error.status().as_u16());
                            EitherOf3::C(view! { <p class="form-error" role="alert">{error.to_string()}</p> })
                        }
                    }
                })}
            </Suspense>
        </Region>
    }
}

#[component]
fn Hits(hits: Vec<SearchHit>, words: Vec<String>, q: String) -> impl IntoView {
    let count = match hits.len() {
        0 => format!("No posts match “{}”.", q.trim()),
        1 => format!("1 post matches “{}”.", q.trim()),
        n => format!("{n} posts match “{}”.", q.trim()),
    };
    view! {
        <p class="result-count" role="status">{count}</p>
        <ol class="post-list search-results" aria-label="Results">
            {hits
                .into_iter()
                .map(|hit| {
                    view! {
                        <li class="post-summary">
                            <h2><a href=format!("/posts/{}", hit.slug)><Marked text=hit.title words=words.clone()/></a></h2>
                            {hit.author.map(|author| view! { <p class="byline">"by " <span class="author">{author}</span></p> })}
                            <p class="excerpt"><Marked text=hit.snippet words=words.clone()/></p>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}

/// `text` with every match of `words` in `<mark>`; escaped like any text.
#[component]
fn Marked(text: String, words: Vec<String>) -> impl IntoView {
    marked(&text, &words)
        .into_iter()
        .map(|(part, hit)| {
            if hit {
                leptos::either::Either::Left(view! { <mark>{part}</mark> })
            } else {
                leptos::either::Either::Right(part)
            }
        })
        .collect_view()
}

/// The search form: a plain GET form. With JavaScript the results follow the typing and the
/// address bar keeps the query (see `formwork::QueryForm`).
#[component]
fn SearchBox(q: String) -> impl IntoView {
    view! {
        <QueryForm action="/search" regions=&["results"] class="search">
            <label for="q">"Words to look for"</label>
            <input id="q" type="search" name="q" value=q maxlength=MAX_QUERY_CHARS autocomplete="off"/>
            <button type="submit">"Search"</button>
        </QueryForm>
    }
}
