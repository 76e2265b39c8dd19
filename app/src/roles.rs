//! The site's roles, lowest first: each may do what the ones below it may. formwork compares
//! their ranks (`formwork::identity::Rank`); the names are the site's own.

use formwork::identity::Rank;
use serde::{Deserialize, Serialize};

/// What a user may do on this site.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Writes posts and comments, keeps todos.
    User,
    /// Also deletes anyone's posts and comments.
    Moderator,
    /// Also changes roles and reads the outbox.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::User, Role::Moderator, Role::Admin];

    /// The stored and submitted form: `user`, `moderator`, `admin`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == text)
    }

    /// Its rank, for formwork's access checks (`access: AtLeast(Role::Admin.rank())`).
    pub const fn rank(self) -> Rank {
        Rank(self as u8)
    }
}

impl From<Role> for Rank {
    fn from(role: Role) -> Self {
        role.rank()
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
