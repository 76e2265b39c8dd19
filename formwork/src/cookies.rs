//! Cookies an action sets and a page reads: preferences, not secrets (sessions have their
//! own, in [`crate::identity`]).
//!
//! [`set`] from inside an action puts `Set-Cookie` on its answer; after a plain form post it
//! goes out with the redirect, so the page the browser lands on already has it. [`get`]
//! reads the request being served, so the server renders the page as the cookie says the
//! first time (a theme shows without a flash of the wrong one).

/// The value of cookie `name` on the request being served (a page or an action).
pub fn get(name: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| crate::pipeline::cookie_value(&parts.headers, name))
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = name;
        None
    }
}

/// Sets cookie `name` to `value` (letters, digits, `-` and `_` only) for `max_age`, site-wide,
/// `HttpOnly`, `SameSite=Lax`, and `Secure` when the site is served over https.
#[cfg(feature = "ssr")]
pub fn set(
    name: &str,
    value: &str,
    max_age: std::time::Duration,
) -> Result<(), crate::ActionError> {
    use leptos::prelude::use_context;
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if !plain(name) || !plain(value) {
        return Err(crate::ActionError::internal(format!(
            "cookie {name:?} given a value that is not plain text"
        )));
    }
    let secure = use_context::<crate::identity::Sessions>().is_some_and(|s| s.secure_cookies());
    let cookie = format!(
        "{name}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{}",
        max_age.as_secs(),
        if secure { "; Secure" } else { "" }
    );
    let response = use_context::<leptos_axum::ResponseOptions>()
        .ok_or_else(|| crate::ActionError::internal("cookies::set outside a request"))?;
    let value = http::HeaderValue::from_str(&cookie).map_err(crate::ActionError::internal)?;
    response.append_header(http::header::SET_COOKIE, value);
    Ok(())
}
