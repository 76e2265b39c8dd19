//! Cookies: how formwork writes every one (`CookiePolicy`, server build), and the ones an
//! action sets and a page reads: preferences, not secrets (sessions have their own, in
//! [`crate::identity`]). The analogue of Next.js' `cookies()`:
//!
//! | Next.js | Formwork |
//! |---|---|
//! | `(await cookies()).get('theme')?.value` | `formwork::cookies::get("theme")` |
//! | `(await cookies()).has('theme')` | `formwork::cookies::get("theme").is_some()` |
//! | `(await cookies()).set('theme', 'dark', { maxAge: 31536000 })` | `formwork::cookies::set("theme", "dark", Duration::from_secs(31_536_000))` |
//! | `(await cookies()).set(name, value, { httpOnly: false, path: '/docs' })` | `set_with(name, value, &CookieOptions::new().http_only(false).path("/docs"))` |
//! | `(await cookies()).delete('theme')` | `formwork::cookies::delete("theme")` |
//!
//! [`set`] from inside an action puts `Set-Cookie` on its answer; after a plain form post it
//! goes out with the redirect, so the page the browser lands on already has it. [`get`]
//! reads the request being served, so the server renders the page as the cookie says the
//! first time (a theme shows without a flash of the wrong one). A value may be any text: it
//! is percent-encoded where a cookie cannot carry it, and [`get`] decodes it.
//!
//! Every cookie is `SameSite=Lax` (or `Strict`), `HttpOnly` unless said otherwise, and on a
//! site served over https `Secure` with a name prefix the browser enforces: `__Host-` for a
//! site-wide cookie, `__Secure-` for one limited to a path. [`get`] reads either.

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
        self.name_for(name, "/")
    }

    /// `name` as the browser stores it when set for `path`: on https `__Host-` for the whole
    /// site, `__Secure-` for a path (a `__Host-` cookie must be site-wide).
    fn name_for(self, name: &str, path: &str) -> String {
        match (self.https, path == "/") {
            (false, _) => name.to_owned(),
            (true, true) => format!("__Host-{name}"),
            (true, false) => format!("__Secure-{name}"),
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
        self.set_with(name, value, &CookieOptions::new().max_age(max_age))
    }

    /// The `Set-Cookie` value that sets cookie `name` to `value` as `options` say. `None`
    /// when the value cannot be a header (a control character).
    pub fn set_with(
        self,
        name: &str,
        value: &str,
        options: &CookieOptions,
    ) -> Option<http::HeaderValue> {
        let mut cookie =
            cookie::Cookie::build((self.name_for(name, &options.path), value.to_owned()))
                .path(options.path.clone())
                .http_only(options.http_only)
                .same_site(match options.same_site {
                    SameSite::Lax => cookie::SameSite::Lax,
                    SameSite::Strict => cookie::SameSite::Strict,
                })
                .secure(self.https);
        if let Some(max_age) = options.max_age {
            let seconds = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
            cookie = cookie.max_age(cookie::time::Duration::seconds(seconds));
        }
        http::HeaderValue::from_str(&cookie.build().to_string()).ok()
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

    /// Like [`get`](Self::get), also finding a cookie set for a path (`__Secure-` on https).
    fn get_any(self, headers: &http::HeaderMap, name: &str) -> Option<String> {
        let exact = |wanted: &str| {
            headers
                .get_all(http::header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(cookie::Cookie::split_parse)
                .filter_map(Result::ok)
                .find(|cookie| cookie.name() == wanted)
                .map(|cookie| cookie.value().to_owned())
        };
        exact(&self.name_for(name, "/")).or_else(|| {
            self.https
                .then(|| exact(&self.name_for(name, "/path")))
                .flatten()
        })
    }

    /// The policy of the request being served (plain http when formwork is not set up).
    fn current() -> Self {
        // Borrowed, not cloned: a page reads a preference on every render.
        leptos::prelude::with_context(crate::identity::Sessions::cookies)
            .unwrap_or(Self::new(false))
    }
}

/// Whether a cookie is sent on requests that come from another site's page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SameSite {
    /// Sent on top-level navigations from elsewhere (a followed link), not on their posts or
    /// embedded requests: the default.
    #[default]
    Lax,
    /// Sent only on requests from the site's own pages.
    Strict,
}

/// How a cookie is made beyond its name and value ([`set_with`], [`delete_with`]). The
/// defaults: a browser-session cookie (no `Max-Age`), `HttpOnly`, `Path=/`, `SameSite=Lax`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookieOptions {
    max_age: Option<std::time::Duration>,
    http_only: bool,
    path: String,
    same_site: SameSite,
}

impl Default for CookieOptions {
    fn default() -> Self {
        Self {
            max_age: None,
            http_only: true,
            path: "/".to_owned(),
            same_site: SameSite::Lax,
        }
    }
}

impl CookieOptions {
    /// The defaults (see the type).
    pub fn new() -> Self {
        Self::default()
    }

    /// Kept for `max_age`, also across browser restarts (`Max-Age`); without it the cookie
    /// ends with the browser session.
    pub fn max_age(mut self, max_age: std::time::Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Whether the page's scripts may not read it (`true` by default): set `false` only for a
    /// value the browser's own code needs.
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// Sent only with requests under `path` (`/` by default: the whole site). A path that does
    /// not start with `/`, or holds a `;` or a control character, is refused when set.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Whether it goes with requests from other sites' pages.
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }
}

/// A cookie's value as a cookie can carry it: every byte outside RFC 6265's cookie octets
/// (spaces, quotes, commas, semicolons, backslashes, anything not ASCII), and `%` itself, as
/// `%XX`. [`decode`] reverses it.
pub fn encode(value: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        let plain = matches!(byte, 0x21 | 0x23..=0x24 | 0x26..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E);
        if plain {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// A value [`encode`] made, as it was; a value that is not such (set by something else) as it
/// is.
pub fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| {
            bytes
                .get(at)
                .and_then(|b| char::from(*b).to_digit(16))
                .and_then(|d| u8::try_from(d).ok())
        };
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(high), Some(low)) => {
                out.push(high * 16 + low);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| value.to_owned())
}

/// The value of cookie `name` on the request being served (a page or an action), decoded
/// (see [`encode`]); a cookie set for a path is found too.
pub fn get(name: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        crate::request::with(|parts| CookiePolicy::current().get_any(&parts.headers, name))
            .flatten()
            .map(|value| decode(&value))
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = name;
        None
    }
}

/// Sets cookie `name` (letters, digits, `-` and `_`) to `value` (any text) for `max_age`, as
/// every formwork cookie is made (see [`CookiePolicy`]): site-wide and `HttpOnly`.
#[cfg(feature = "ssr")]
pub fn set(
    name: &str,
    value: &str,
    max_age: std::time::Duration,
) -> Result<(), crate::ActionError> {
    set_with(name, value, &CookieOptions::new().max_age(max_age))
}

/// Sets cookie `name` (letters, digits, `-` and `_`) to `value` (any text) as `options` say.
/// From an action, it goes out with the answer (after a plain form post, with the redirect);
/// from a page's render, with the page.
#[cfg(feature = "ssr")]
pub fn set_with(
    name: &str,
    value: &str,
    options: &CookieOptions,
) -> Result<(), crate::ActionError> {
    use leptos::prelude::use_context;
    let plain_name = !name.is_empty()
        && !name.starts_with("__")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !plain_name {
        return Err(crate::ActionError::internal(format!(
            "{name:?} is not a cookie name formwork sets: letters, digits, - and _, not starting with __"
        )));
    }
    let plain_path =
        options.path.starts_with('/') && !options.path.chars().any(|c| c == ';' || c.is_control());
    if !plain_path {
        return Err(crate::ActionError::internal(format!(
            "cookie {name:?} given the path {:?}: a path starts with / and holds no ; or control character",
            options.path
        )));
    }
    let cookie = CookiePolicy::current()
        .set_with(name, &encode(value), options)
        .ok_or_else(|| crate::ActionError::internal("a cookie that is no header"))?;
    let response = use_context::<leptos_axum::ResponseOptions>()
        .ok_or_else(|| crate::ActionError::internal("cookies::set outside a request"))?;
    response.append_header(http::header::SET_COOKIE, cookie);
    Ok(())
}

/// Removes cookie `name` from the browser (a site-wide one: for one set with a path, use
/// [`delete_with`] and the same path).
#[cfg(feature = "ssr")]
pub fn delete(name: &str) -> Result<(), crate::ActionError> {
    delete_with(name, &CookieOptions::new())
}

/// Removes cookie `name`, set with `options` (the browser matches it by name and path): an
/// empty value that expires at once.
#[cfg(feature = "ssr")]
pub fn delete_with(name: &str, options: &CookieOptions) -> Result<(), crate::ActionError> {
    set_with(
        name,
        "",
        &options.clone().max_age(std::time::Duration::ZERO),
    )
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

    #[test]
    fn options_say_how_long_who_reads_it_where_it_goes_and_from_where() {
        let attributes = |cookie: Option<HeaderValue>| {
            let text = cookie.map(|c| c.to_str().unwrap_or_default().to_owned());
            let mut parts: Vec<String> = text
                .unwrap_or_default()
                .split("; ")
                .map(str::to_owned)
                .collect();
            parts.sort();
            parts
        };
        let options = CookieOptions::new()
            .http_only(false)
            .path("/docs")
            .same_site(SameSite::Strict);
        // No max-age: the cookie ends with the browser session.
        assert_eq!(
            attributes(CookiePolicy::new(false).set_with("lang", "de", &options)),
            ["Path=/docs", "SameSite=Strict", "lang=de"]
        );
        // On https a cookie for a path cannot be `__Host-`: it is `__Secure-`, and read back.
        let https = CookiePolicy::new(true);
        assert_eq!(
            attributes(https.set_with(
                "lang",
                "de",
                &options.clone().max_age(Duration::from_secs(9))
            )),
            [
                "Max-Age=9",
                "Path=/docs",
                "SameSite=Strict",
                "Secure",
                "__Secure-lang=de"
            ]
        );
        assert_eq!(
            https
                .get_any(&cookies("__Secure-lang=de"), "lang")
                .as_deref(),
            Some("de")
        );
        // The site-wide one wins, and formwork's own cookies are never read that way.
        assert_eq!(
            https
                .get_any(&cookies("__Secure-lang=de; __Host-lang=fr"), "lang")
                .as_deref(),
            Some("fr")
        );
        assert_eq!(
            https.get(&cookies("__Secure-fw_session=planted"), "fw_session"),
            None
        );
    }

    #[test]
    fn any_text_is_carried_and_read_back_as_it_was() {
        for value in ["dark", "a b;c,d\"e\\f", "100% ünïcode ✓", "%zz", ""] {
            let encoded = encode(value);
            assert!(
                encoded
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && !b";,\"\\ ".contains(&b)),
                "{encoded}"
            );
            assert_eq!(decode(&encoded), value);
        }
        // Set by something else: a stray `%` or bytes that are no text stay as they are.
        assert_eq!(decode("50%"), "50%");
        assert_eq!(decode("%FF"), "%FF");
    }
}
