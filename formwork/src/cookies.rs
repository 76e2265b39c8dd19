//! Cookies: how formwork writes every one (`CookiePolicy`, server build), and the ones an
//! action sets and a page reads: preferences, not secrets (sessions have their own, in
//! [`crate::identity`]).
//!
//! [`set`] from inside an action puts `Set-Cookie` on its answer; after a plain form post it
//! goes out with the redirect, so the page the browser lands on already has it. [`get`]
//! reads the request being served, so the server renders the page as the cookie says the
//! first time (a theme shows without a flash of the wrong one).

/// How every cookie formwork writes is made: the session's, the flash's and an app's
/// preferences ([`set`]), by one builder (the `cookie` crate's).
///
/// Each is site-wide (`Path=/`), `HttpOnly` and `SameSite=Lax`. On a site served over https
/// each is also `Secure` and named with the `__Host-` prefix (`__Host-fw_session`): a browser
/// keeps such a cookie only if it came from a secure page of this very host, for the whole
/// site and without `Domain`, so neither a sibling subdomain nor a plain-http page can plant
/// or overwrite it. Reading asks for the same name, so a cookie without the prefix is not
/// taken for one on https.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CookiePolicy {
    https: bool,
}

#[cfg(feature = "ssr")]
impl CookiePolicy {
    /// The policy of a site served over https (`true`) or plain http.
    pub const fn new(https: bool) -> Self {
        Self { https }
    }

    /// Whether the site is served over https (its cookies `Secure` and `__Host-` named).
    pub const fn https(self) -> bool {
        self.https
    }

    /// `name` as the browser stores it: `__Host-name` on https.
    pub fn name(self, name: &str) -> String {
        if self.https {
            format!("__Host-{name}")
        } else {
            name.to_owned()
        }
    }

    /// The `Set-Cookie` value that sets cookie `name` to `value` for `max_age`. `None` when
    /// the value cannot be a header (a control character).
    pub fn set(
        self,
        name: &str,
        value: &str,
        max_age: std::time::Duration,
    ) -> Option<http::HeaderValue> {
        let seconds = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
        let cookie = cookie::Cookie::build((self.name(name), value.to_owned()))
            .path("/")
            .http_only(true)
            .same_site(cookie::SameSite::Lax)
            .secure(self.https)
            .max_age(cookie::time::Duration::seconds(seconds))
            .build();
        http::HeaderValue::from_str(&cookie.to_string()).ok()
    }

    /// The `Set-Cookie` value that removes cookie `name` (empty, `Max-Age=0`, with the
    /// attributes it was set with, or a browser would keep it).
    pub fn clear(self, name: &str) -> Option<http::HeaderValue> {
        self.set(name, "", std::time::Duration::ZERO)
    }

    /// The value of cookie `name` among `headers`' `Cookie`s: the exact name, prefixed on
    /// https (`fw_flash` is not `fw_flash_x`, and on https not `fw_flash` either).
    pub fn get(self, headers: &http::HeaderMap, name: &str) -> Option<String> {
        let name = self.name(name);
        headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(cookie::Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|cookie| cookie.name() == name)
            .map(|cookie| cookie.value().to_owned())
    }

    /// The policy of the request being served (plain http when formwork is not set up).
    fn current() -> Self {
        // Borrowed, not cloned: a page reads a preference on every render.
        leptos::prelude::with_context(crate::identity::Sessions::cookies)
            .unwrap_or(Self::new(false))
    }
}

/// The value of cookie `name` on the request being served (a page or an action).
pub fn get(name: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        crate::request::with(|parts| CookiePolicy::current().get(&parts.headers, name)).flatten()
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = name;
        None
    }
}

/// Sets cookie `name` to `value` (letters, digits, `-` and `_` only) for `max_age`, as every
/// formwork cookie is made (see [`CookiePolicy`]).
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
    let cookie = CookiePolicy::current()
        .set(name, value, max_age)
        .ok_or_else(|| crate::ActionError::internal("a cookie that is no header"))?;
    let response = use_context::<leptos_axum::ResponseOptions>()
        .ok_or_else(|| crate::ActionError::internal("cookies::set outside a request"))?;
    response.append_header(http::header::SET_COOKIE, cookie);
    Ok(())
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::protocol::FLASH_COOKIE;
    use http::{header, HeaderMap, HeaderValue};
    use std::time::Duration;

    fn cookies(line: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static(line));
        headers
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let headers = cookies("a=1; fw_flash_x=2; fw_flash=3");
        let http = CookiePolicy::new(false);
        assert_eq!(http.get(&headers, FLASH_COOKIE).as_deref(), Some("3"));
    }

    #[test]
    fn on_https_only_the_host_prefixed_cookie_counts() {
        let https = CookiePolicy::new(true);
        // Planted by a sibling subdomain or a plain-http page: not this site's.
        assert_eq!(https.get(&cookies("fw_flash=planted"), FLASH_COOKIE), None);
        let headers = cookies("fw_flash=planted; __Host-fw_flash=own");
        assert_eq!(https.get(&headers, FLASH_COOKIE).as_deref(), Some("own"));
    }

    #[test]
    fn every_cookie_is_site_wide_http_only_and_lax_and_secure_on_https() {
        let attributes = |cookie: HeaderValue| {
            let text = cookie.to_str().unwrap_or_default().to_owned();
            let mut parts: Vec<String> = text.split("; ").map(str::to_owned).collect();
            let pair = parts.remove(0);
            parts.sort();
            (pair, parts)
        };
        let set = CookiePolicy::new(false).set("fw_theme", "dark", Duration::from_secs(60));
        assert_eq!(
            set.map(attributes),
            Some((
                "fw_theme=dark".to_owned(),
                vec![
                    "HttpOnly".to_owned(),
                    "Max-Age=60".to_owned(),
                    "Path=/".to_owned(),
                    "SameSite=Lax".to_owned()
                ]
            ))
        );
        let cleared = CookiePolicy::new(true).clear("fw_session");
        assert_eq!(
            cleared.map(attributes),
            Some((
                "__Host-fw_session=".to_owned(),
                vec![
                    "HttpOnly".to_owned(),
                    "Max-Age=0".to_owned(),
                    "Path=/".to_owned(),
                    "SameSite=Lax".to_owned(),
                    "Secure".to_owned()
                ]
            ))
        );
    }
}
