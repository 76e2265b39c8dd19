//! `server create-admin`: makes an account an admin, creating it first when it does not exist.
//! The one way to get the first admin; after that, admins change roles at `/admin`.

use app::roles::Role;
use app::{accounts::model::Registration, store::Store};
use formwork::{ActionError, Validated};

/// What `create-admin` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Created { user_id: i64 },
    Promoted { user_id: i64 },
    AlreadyAdmin { user_id: i64 },
}

/// Promotes `username` to admin, or creates it as an admin with `email` and `password` (held
/// to the same rules as the registration form).
pub async fn create_admin(
    store: &dyn Store,
    username: &str,
    email: Option<&str>,
    password: Option<&str>,
) -> anyhow::Result<Outcome> {
    if let Some(account) = store.account_by_username(username).await? {
        if account.role == Role::Admin {
            return Ok(Outcome::AlreadyAdmin {
                user_id: account.id,
            });
        }
        store.set_role(account.id, Role::Admin).await?;
        return Ok(Outcome::Promoted {
            user_id: account.id,
        });
    }
    let (Some(email), Some(password)) = (email, password) else {
        anyhow::bail!(
            "there is no account named {username}: to create it, give --email and the password \
             (ADMIN_PASSWORD)"
        );
    };
    let registration = Registration {
        username: username.to_owned(),
        email: email.to_owned(),
        password: password.to_owned(),
    }
    .validated()
    .map_err(|error| match error {
        ActionError::Validation { fields, .. } => anyhow::anyhow!(
            "{}",
            fields
                .into_iter()
                .map(|(field, messages)| format!("{field}: {}", messages.join(" ")))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::anyhow!("{other}"),
    })?;
    let hash = app::accounts::password::hash(registration.password)
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    let user_id = store
        .create_account(
            &registration.username,
            &registration.email.to_lowercase(),
            &hash,
            Role::Admin,
        )
        .await?;
    Ok(Outcome::Created { user_id })
}
