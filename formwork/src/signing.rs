//! The server's signing key: what it hands the browser and must get back unchanged (a flash's
//! id or the flash itself, a form's token, a bound argument) carries its HMAC-SHA256.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;

/// How a flash cookie that carries its flash whole begins (see [`SigningKey::seal`]).
const INLINE_PREFIX: &str = "i.";

/// The server's secret for what it hands the browser and must get back unchanged: flash
/// ids and bound arguments ([`crate::bound`]).
///
/// Kept as HMAC's state with the key already absorbed: a signature costs the hashing of its
/// own bytes only (pages sign a token per form).
#[derive(Clone)]
pub struct SigningKey(Arc<Hmac<Sha256>>);

impl SigningKey {
    /// A key from configured secret bytes (at least 32).
    pub fn new(secret: &[u8]) -> Result<Self, String> {
        if secret.len() < 32 {
            return Err("the signing secret must be at least 32 bytes".into());
        }
        Ok(Self::keyed(secret))
    }

    fn keyed(secret: &[u8]) -> Self {
        // HMAC takes keys of any length; this cannot fail.
        #[allow(clippy::expect_used)]
        let mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts any key length");
        Self(Arc::new(mac))
    }

    /// A random key for this process only: flashes then do not survive a restart or reach
    /// another instance.
    pub fn random() -> Self {
        let bytes: Vec<u8> = (0..2)
            .flat_map(|_| uuid::Uuid::new_v4().into_bytes())
            .collect();
        Self::keyed(&bytes)
    }

    /// The signature of `parts` (joined unambiguously), base64url.
    pub fn tag(&self, parts: &[&[u8]]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(self.mac_of(parts).finalize().into_bytes())
    }

    /// Whether `tag` is the signature of `parts` (checked in constant time).
    pub fn check(&self, parts: &[&[u8]], tag: &str) -> bool {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(tag)
            .is_ok_and(|tag| self.mac_of(parts).verify_slice(&tag).is_ok())
    }

    fn mac_of(&self, parts: &[&[u8]]) -> Hmac<Sha256> {
        let mut mac = (*self.0).clone();
        for part in parts {
            // Length-prefixed, so that no two different lists of parts sign alike.
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac
    }

    /// `id.signature`, for the flash cookie.
    pub fn sign(&self, id: &str) -> String {
        format!("{id}.{}", self.tag(&[b"flash", id.as_bytes()]))
    }

    /// The id, if `cookie` carries a valid signature.
    pub fn verify<'a>(&self, cookie: &'a str) -> Option<&'a str> {
        let (id, tag) = cookie.split_once('.')?;
        self.check(&[b"flash", id.as_bytes()], tag).then_some(id)
    }

    /// `i.<payload, base64url>.<signature>`: a flash carried whole in its cookie, for when
    /// the flash store cannot be written (its database is down).
    pub fn seal(&self, payload: &str) -> String {
        use base64::Engine;
        let sealed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload);
        let tag = self.tag(&[b"flash-inline", sealed.as_bytes()]);
        format!("{INLINE_PREFIX}{sealed}.{tag}")
    }

    /// The payload of a cookie made by [`SigningKey::seal`], if its signature holds.
    pub fn open(&self, cookie: &str) -> Option<String> {
        use base64::Engine;
        let (sealed, tag) = cookie.strip_prefix(INLINE_PREFIX)?.split_once('.')?;
        if !self.check(&[b"flash-inline", sealed.as_bytes()], tag) {
            return None;
        }
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sealed)
            .ok()?;
        String::from_utf8(payload).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_id_verifies_and_a_forged_one_does_not() {
        let key = SigningKey::random();
        let cookie = key.sign("abc123");
        assert_eq!(key.verify(&cookie), Some("abc123"));
        assert_eq!(key.verify("abc123"), None);
        assert_eq!(key.verify("abc124.AAAA"), None);
        let (_, tag) = cookie.split_once('.').unwrap_or_default();
        assert_eq!(
            key.verify(&format!("other.{tag}")),
            None,
            "a signature is bound to its id"
        );
        assert_eq!(
            SigningKey::random().verify(&cookie),
            None,
            "another key rejects it"
        );
    }

    #[test]
    fn a_sealed_flash_opens_only_unchanged_and_never_as_an_id() {
        let key = SigningKey::random();
        let payload = r#"{"action":"/api/x","ok":false,"inputs":{"title":"</script> ✓"}}"#;
        let cookie = key.seal(payload);
        assert_eq!(key.open(&cookie).as_deref(), Some(payload));
        assert_eq!(key.verify(&cookie), None, "a sealed flash is not an id");
        assert_eq!(
            key.open(&key.sign("abc123")),
            None,
            "an id is not a sealed flash"
        );
        let (sealed, tag) = cookie.rsplit_once('.').unwrap_or_default();
        let changed = format!("{}A.{tag}", sealed);
        assert_eq!(key.open(&changed), None, "a changed payload is refused");
        assert_eq!(
            SigningKey::random().open(&cookie),
            None,
            "another key rejects it"
        );
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(SigningKey::new(b"short").is_err());
        assert!(SigningKey::new(&[7u8; 32]).is_ok());
    }
}
