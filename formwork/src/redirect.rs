//! Redirects after an action: `303 See Other` for a plain form post, client navigation for a
//! script caller, and never to another origin.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A path on this site (`/posts/hello?page=2`), never a URL that leaves it.
///
/// Anything a client sends that will become a `Location` goes through [`LocalPath::parse`]
/// first, so a redirect can never be turned into an open redirect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LocalPath(String);

impl LocalPath {
    /// Accepts an absolute path on this origin. Rejects scheme-relative (`//evil`), backslash
    /// (`/\evil`, which browsers read as `//`), and anything with control characters.
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = raw.starts_with('/')
            && !raw.starts_with("//")
            && !raw.contains('\\')
            && raw.len() <= 2048
            && !raw.chars().any(|c| c.is_control() || c == ' ');
        ok.then(|| Self(raw.to_owned()))
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LocalPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for LocalPath {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).ok_or_else(|| format!("`{value}` is not a path on this site"))
    }
}

impl From<LocalPath> for String {
    fn from(value: LocalPath) -> Self {
        value.0
    }
}

/// Ends the current action with a redirect to `to`.
///
/// It records where to go (`Location`, with server_fn's redirect header) and nothing about
/// how: what the caller gets is the pipeline's decision, made from the request it answers.
/// A plain HTML form post gets `303 See Other` to `to`, so reloading the next page never
/// re-submits; a script caller gets the answer with the target, and navigates there (the
/// browser runtime shows the page there in place of the form's, without a document load).
///
/// An action that calls it and then returns an error goes nowhere: the caller stays at the
/// form, which shows the error, with and without JavaScript.
#[cfg(feature = "ssr")]
pub fn redirect(to: &LocalPath) {
    use http::{header, HeaderName, HeaderValue};
    use leptos::prelude::use_context;
    use leptos_axum::ResponseOptions;

    let Some(response) = use_context::<ResponseOptions>() else {
        tracing::error!(to = %to, "redirect() called outside of an action");
        return;
    };
    // LocalPath admits only visible ASCII-compatible characters, but stay total anyway.
    let Ok(location) = HeaderValue::from_str(to.as_str()) else {
        tracing::error!(to = %to, "redirect target is not a valid header value");
        return;
    };
    response.insert_header(header::LOCATION, location);
    response.insert_header(
        HeaderName::from_static(server_fn::redirect::REDIRECT_HEADER),
        HeaderValue::from_static(""),
    );
}

#[cfg(test)]
mod tests {
    use super::LocalPath;

    #[test]
    fn accepts_paths_on_this_site() {
        for ok in ["/", "/posts", "/posts/hello-2?page=3#top"] {
            assert!(LocalPath::parse(ok).is_some(), "{ok}");
        }
    }

    #[test]
    fn refuses_anything_that_leaves_the_site() {
        for bad in [
            "",
            "posts",
            "//evil.example/x",
            "/\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "/a\r\nSet-Cookie: x=1",
            "/a b",
        ] {
            assert!(LocalPath::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn deserializing_checks_the_path() {
        let ok: Result<LocalPath, _> = serde_json::from_str("\"/posts\"");
        assert!(ok.is_ok());
        let bad: Result<LocalPath, _> = serde_json::from_str("\"//evil\"");
        assert!(bad.is_err());
    }
}
