//! What the account forms send, with the rules both sides check.

use formwork::Rule;
use serde::{Deserialize, Serialize};

/// A username: letters, digits, `.`, `-` and `_`, starting with a letter or digit (so names
/// read the same everywhere they are shown, and never pass for something else). Checked on
/// both sides, after the length.
pub fn username(value: &str) -> Result<(), &'static str> {
    let starts_well = value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if starts_well
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        Ok(())
    } else {
        Err("A username may use letters, digits, dots, dashes and underscores, and starts with a letter or digit.")
    }
}

formwork::schema! {
    /// A new account.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Registration {
        pub username: String = Rule::text("Username").chars(3, 30).check_with(username),
        pub email: String = Rule::email("Email"),
        pub password: String = Rule::password("Password").chars(12, 128),
    }
}

formwork::schema! {
    /// A sign-in attempt. No length rules beyond the bounds: the form must not teach an
    /// attacker what a valid password looks like.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Credentials {
        pub username: String = Rule::text("Username").chars(1, 30),
        pub password: String = Rule::password("Password").chars(1, 128),
    }
}
