//! Password hashing: Argon2id (PHC strings), always on the blocking pool, never on the
//! threads that serve requests.

use formwork::ActionError;

/// The PHC hash of `password`.
pub async fn hash(password: String) -> Result<String, ActionError> {
    tokio::task::spawn_blocking(move || password_auth::generate_hash(password))
        .await
        .map_err(ActionError::internal)
}

/// Whether `password` matches `hash`. With no account (`hash` is `None`), a dummy hash is
/// checked all the same, so an unknown name takes as long as a wrong password.
pub async fn verify(password: String, hash: Option<String>) -> Result<bool, ActionError> {
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(dummy_hash);
        password_auth::verify_password(password, &hash).is_ok() && known
    })
    .await
    .map_err(ActionError::internal)
}

/// A hash with the same parameters as real ones, of a password nobody has.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn dummy_hash() -> String {
    DUMMY_HASH
        .get_or_init(|| password_auth::generate_hash("no account has this password"))
        .clone()
}
