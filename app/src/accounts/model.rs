//! What the account forms send, with the rules both sides check.

use formwork::Rule;
use serde::{Deserialize, Serialize};

formwork::schema! {
    /// A new account.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Registration {
        pub username: String = Rule::username("Username"),
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
