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
            .and_then(|parts| cookie_value(&parts.headers, name))
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

/// The value of cookie `name` among `headers`' `Cookie`s (the exact name: `fw_flash` is not
/// `fw_flash_x`).
#[cfg(feature = "ssr")]
pub(crate) fn cookie_value(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::protocol::FLASH_COOKIE;
    use http::{header, HeaderMap, HeaderValue};

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; fw_flash_x=2; fw_flash=3"),
        );
        assert_eq!(cookie_value(&headers, FLASH_COOKIE).as_deref(), Some("3"));
    }
}
