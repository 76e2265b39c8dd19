//! Origin (CSRF) protection for every state-changing request to an action.
//!
//! A browser tells the server where a request comes from; a request another site makes the
//! browser send carries the user's cookies, so it must be refused:
//!
//! 1. `Sec-Fetch-Site: same-origin` (every current browser sends it): allowed.
//! 2. Otherwise the `Origin` must be one of the site's own origins (its public origin and an
//!    allow-list); anything else, `null` included, is refused with 403.
//! 3. With neither header (old browsers, some privacy tools), a request that carries cookies
//!    must carry the signed token every rendered form includes; one without cookies has no
//!    ambient authority to abuse and is allowed (API clients, scripts).
//!
//! The allowed origins are configuration. Behind a load balancer that serves the site under
//! more names than those, the origin the balancer says the request was addressed to
//! (`X-Forwarded-Proto` and `X-Forwarded-Host`) counts too, but only when the request comes
//! from a configured trusted proxy (see [`forwarded_origin`]); from anyone else those headers
//! are the client's own writing and are ignored.

use crate::signing::SigningKey;
use http::{header, HeaderMap};

/// A rendered form's token, signed: `<32 hex digits>.<signature>`. The digits alone are the
/// form's one-time submission id (see the pipeline); the signature shows the server made it.
pub fn sign_form_token(key: &SigningKey, id: &str) -> String {
    format!("{id}.{}", key.tag(&[b"form", id.as_bytes()]))
}

/// A fresh form token: a new submission id (the millisecond it was made, then 80 random
/// bits), signed.
pub fn new_form_token(key: &SigningKey) -> String {
    sign_form_token(key, &crate::ordered_id())
}

/// The form tokens of one rendered page: a new page id (the millisecond it was made, then 80
/// random bits), signed once, and for each form that id with the form's number,
/// `<32 hex digits>-<n>.<signature>`. Id and number are the form's one-time submission id; the
/// signature, the page's, shows the server made it. A page with twenty forms signs once, not
/// twenty times.
///
/// What a token vouches for is unchanged: that the server rendered a form (any visitor can
/// have the server render one, so a token is never a credential), and which rendering a
/// repeated submission repeats.
pub struct PageTokens {
    page: String,
    tag: String,
    next: std::sync::atomic::AtomicU32,
}

impl PageTokens {
    /// The tokens of a new page.
    pub fn new(key: &SigningKey) -> Self {
        let page = crate::ordered_id();
        Self {
            tag: key.tag(&[b"form", page.as_bytes()]),
            page,
            next: Default::default(),
        }
    }

    /// The next form's token.
    pub fn issue(&self) -> String {
        use std::fmt::Write;
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // One allocation of the final size (`format!` grows its buffer twice for a token): a
        // page with a list of forms issues one per row.
        let mut token = String::with_capacity(self.page.len() + 12 + self.tag.len());
        token.push_str(&self.page);
        let _ = write!(token, "-{n}.");
        token.push_str(&self.tag);
        token
    }
}

/// The submission id a form token names (what comes before its signature), if it has the
/// shape of one of ours: 32 hex digits, perhaps with a page's form number.
pub fn submission_id(token: &str) -> Option<&str> {
    let id = token.split('.').next().unwrap_or_default();
    let (random, number) = match id.split_once('-') {
        Some((random, number)) => (random, Some(number)),
        None => (id, None),
    };
    let random_ok = random.len() == 32 && random.bytes().all(|b| b.is_ascii_hexdigit());
    let number_ok =
        number.is_none_or(|n| (1..=10).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()));
    (random_ok && number_ok).then_some(id)
}

/// Whether `token` is a form token this server signed (one form's, or one of a page's).
pub fn check_form_token(key: &SigningKey, token: &str) -> bool {
    let Some((id, tag)) = token.split_once('.') else {
        return false;
    };
    let Some(id) = submission_id(id) else {
        return false;
    };
    // A page's token signs the page's id; the form's number is its own.
    let signed = id.split_once('-').map_or(id, |(page, _)| page);
    key.check(&[b"form", signed.as_bytes()], tag)
}

/// Which origins may post to the site's actions.
#[derive(Clone, Debug)]
pub struct OriginPolicy {
    /// `scheme://host[:port]`, lowercase, as browsers write the `Origin` header.
    allowed: Vec<String>,
}

/// What the headers say about a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// From the site itself.
    Allowed,
    /// From somewhere else: refuse with 403.
    Foreign(String),
    /// No provenance headers but cookies: allowed only with a valid signed form token.
    NeedsFormToken,
}

impl OriginPolicy {
    /// The site's public origin and any further allowed origins, each `scheme://host[:port]`.
    pub fn new<'a>(origins: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let allowed = origins
            .into_iter()
            .map(|origin| {
                normalize(origin).ok_or_else(|| {
                    format!("`{origin}` is not an origin: use scheme://host[:port], no path")
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { allowed })
    }

    /// Only the site's own pages (`Sec-Fetch-Site: same-origin`) may call actions.
    pub fn same_origin_only() -> Self {
        Self {
            allowed: Vec::new(),
        }
    }

    /// Judges a state-changing request by its headers. `forwarded` is the origin a trusted
    /// proxy says the request was addressed to ([`forwarded_origin`]), if any.
    pub fn judge(&self, headers: &HeaderMap, forwarded: Option<&str>) -> Verdict {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if text("sec-fetch-site").is_some_and(|site| site.eq_ignore_ascii_case("same-origin")) {
            return Verdict::Allowed;
        }
        match text(header::ORIGIN.as_str()) {
            Some(origin) => match normalize(origin) {
                Some(origin)
                    if self.allowed.contains(&origin)
                        || forwarded.and_then(normalize).as_deref() == Some(origin.as_str()) =>
                {
                    Verdict::Allowed
                }
                _ => Verdict::Foreign(origin.chars().take(100).collect()),
            },
            // A header that is there but unreadable is not "no header".
            None if headers.contains_key(header::ORIGIN) => Verdict::Foreign("?".into()),
            None if headers.contains_key("sec-fetch-site") => {
                Verdict::Foreign(text("sec-fetch-site").unwrap_or("?").to_owned())
            }
            None if headers.contains_key(header::COOKIE) => Verdict::NeedsFormToken,
            None => Verdict::Allowed,
        }
    }
}

/// The origin a trusted proxy says the request was addressed to: `X-Forwarded-Proto` and
/// `X-Forwarded-Host`, each the value the nearest proxy added (the last one). `None` unless
/// the socket peer is one of the `trusted` proxies and both headers are there.
pub fn forwarded_origin(
    trusted: &crate::client_ip::TrustedProxies,
    peer: Option<std::net::IpAddr>,
    headers: &HeaderMap,
) -> Option<String> {
    if !peer.is_some_and(|peer| trusted.contains(peer)) {
        return None;
    }
    let last = |name: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty())
    };
    let origin = format!(
        "{}://{}",
        last("x-forwarded-proto")?,
        last("x-forwarded-host")?
    );
    normalize(&origin)
}

/// `scheme://host[:port]` in lowercase without a trailing slash, or `None` when `origin` is
/// not one (`null`, a path, another scheme).
fn normalize(origin: &str) -> Option<String> {
    let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    let (scheme, rest) = origin.split_once("://")?;
    let valid_host = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    (matches!(scheme, "http" | "https") && valid_host).then_some(origin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn policy() -> OriginPolicy {
        OriginPolicy::new(["https://site.example", "https://app.site.example/"])
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_site_itself_is_allowed() {
        let p = policy();
        assert_eq!(
            p.judge(&headers(&[("sec-fetch-site", "same-origin")]), None),
            Verdict::Allowed
        );
        assert_eq!(
            p.judge(&headers(&[("origin", "https://site.example")]), None),
            Verdict::Allowed
        );
        assert_eq!(
            p.judge(&headers(&[("origin", "HTTPS://App.Site.Example")]), None),
            Verdict::Allowed
        );
        // No provenance and no cookies: nothing ambient to abuse (an API client).
        assert_eq!(p.judge(&HeaderMap::new(), None), Verdict::Allowed);
    }

    #[test]
    fn other_sites_are_refused() {
        let p = policy();
        for case in [
            headers(&[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://evil.example"),
            ]),
            headers(&[
                ("sec-fetch-site", "same-site"),
                ("origin", "https://blog.site.example"),
            ]),
            headers(&[("origin", "https://evil.example")]),
            headers(&[("origin", "null")]),
            headers(&[("origin", "https://site.example.evil.example")]),
            headers(&[("origin", "http://site.example")]), // another scheme is another origin
            headers(&[("sec-fetch-site", "cross-site")]),
            headers(&[
                ("origin", "https://evil.example"),
                ("x-forwarded-host", "site.example"),
            ]),
        ] {
            assert!(
                matches!(p.judge(&case, None), Verdict::Foreign(_)),
                "{case:?}"
            );
        }
    }

    #[test]
    fn cookies_without_provenance_need_the_form_token() {
        assert_eq!(
            policy().judge(&headers(&[("cookie", "session=1")]), None),
            Verdict::NeedsFormToken
        );
    }

    #[test]
    fn a_forwarded_host_counts_only_from_a_trusted_proxy() {
        use crate::client_ip::TrustedProxies;
        let trusted = TrustedProxies::parse(["10.0.0.0/8"]).unwrap_or_else(|e| panic!("{e}"));
        let forwarded = headers(&[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "evil.example, www.site.example"),
        ]);
        let from = |ip: &str| forwarded_origin(&trusted, ip.parse().ok(), &forwarded);
        assert_eq!(
            from("10.1.2.3").as_deref(),
            Some("https://www.site.example")
        );
        assert_eq!(from("203.0.113.9"), None, "a client's own header");
        assert_eq!(forwarded_origin(&trusted, None, &forwarded), None);
        assert_eq!(
            forwarded_origin(
                &trusted,
                "10.1.2.3".parse().ok(),
                &headers(&[("x-forwarded-host", "www.site.example")])
            ),
            None,
            "no scheme, no origin"
        );

        let p = policy();
        let own = from("10.1.2.3");
        let origin = |o: &'static str| headers(&[("origin", o), ("cookie", "session=1")]);
        assert_eq!(
            p.judge(&origin("https://www.site.example"), own.as_deref()),
            Verdict::Allowed
        );
        assert!(matches!(
            p.judge(&origin("https://evil.example"), own.as_deref()),
            Verdict::Foreign(_)
        ));
        assert!(matches!(
            p.judge(&origin("https://www.site.example"), None),
            Verdict::Foreign(_)
        ));
    }

    #[test]
    fn form_tokens_are_checked_against_the_key() {
        let key = SigningKey::random();
        let token = sign_form_token(&key, "0123456789abcdef0123456789abcdef");
        assert!(check_form_token(&key, &token));
        assert!(!check_form_token(&SigningKey::random(), &token));
        assert!(!check_form_token(&key, "0123456789abcdef0123456789abcdef"));
        assert!(!check_form_token(&key, &token.replacen('0', "1", 1)));
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn a_pages_tokens_share_one_signature_and_each_names_its_own_submission() {
        let key = SigningKey::random();
        let page = PageTokens::new(&key);
        let (first, second) = (page.issue(), page.issue());
        assert_ne!(first, second);
        for token in [&first, &second] {
            assert!(check_form_token(&key, token), "{token}");
            assert!(!check_form_token(&SigningKey::random(), token));
        }
        let (id, tag) = first.split_once('.').unwrap();
        assert_eq!(submission_id(&first), Some(id));
        assert!(id.ends_with("-0"), "{id}");
        assert_eq!(
            second.split_once('.').unwrap().1,
            tag,
            "one signature for the page"
        );
        // Another page's signature, a changed page id, or a number that is not one: refused.
        let other = PageTokens::new(&key).issue();
        let other_tag = other.split_once('.').unwrap().1;
        assert!(!check_form_token(&key, &format!("{id}.{other_tag}")));
        let page_id = id.split_once('-').unwrap().0;
        // The page id's first digit changed (not just any '0': the id may have none, and the
        // form's own number, which is not signed, is one).
        let changed = if page_id.starts_with('0') { "1" } else { "0" };
        assert!(!check_form_token(
            &key,
            &format!("{changed}{}", &first[1..])
        ));
        for number in ["", "x", "-1", "12345678901"] {
            let forged = format!("{page_id}-{number}.{tag}");
            assert!(!check_form_token(&key, &forged), "{forged}");
            assert_eq!(submission_id(&forged), None, "{forged}");
        }
        assert_eq!(submission_id("../../x"), None);
    }

    #[test]
    fn configured_origins_must_be_origins() {
        assert!(OriginPolicy::new(["https://site.example/path"]).is_err());
        assert!(OriginPolicy::new(["site.example"]).is_err());
        assert!(OriginPolicy::new(["ftp://site.example"]).is_err());
        assert!(OriginPolicy::new(["http://127.0.0.1:3000", "https://[::1]:8443"]).is_ok());
    }
}
