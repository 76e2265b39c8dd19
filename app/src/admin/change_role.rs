//! The `change_role` action and the per-account form that calls it.

use crate::roles::Role;
use formwork::identity::Principal;
use formwork::{bound, ActionError, ActionForm, Bound, FormState};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What a role change returns, for the row's message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleChanged {
    pub username: String,
    pub role: Role,
}

/// Gives an account another role. Admins only (the pipeline checks it before the arguments
/// are read, and the role is read from the session, never from the request). The last admin
/// keeps the role: the site would have nobody left to change roles.
#[formwork::action(access = AtLeast(Role::Admin.rank()), body_limit = 1 KiB, revalidates = [])]
pub async fn change_role(
    admin: Principal,
    user: Bound<i64>,
    role: Role,
) -> Result<RoleChanged, ActionError> {
    use crate::admin::store::RoleChange;

    let user_id = user.into_inner();
    match crate::state::store()?.change_role(user_id, role).await? {
        RoleChange::Changed { username } => {
            // Every instance reads the user's sessions afresh: the new role counts at once.
            formwork::identity::refresh_user(user_id).await?;
            tracing::info!(by = admin.user_id, user_id, %role, "role changed");
            Ok(RoleChanged { username, role })
        }
        RoleChange::NoSuchAccount => Err(ActionError::not_found("That account")),
        RoleChange::LastAdmin { username } => Err(ActionError::Conflict {
            message: format!(
                "{username} is the last admin and stays one: make another account an admin first."
            ),
        }),
    }
}

/// The role picker of one account on `/admin`.
#[component]
pub fn RoleForm(user_id: i64, username: String, role: Role) -> impl IntoView {
    let user = bound::sign::<ChangeRole>(&user_id);
    // Every account on the page has this form; an outcome belongs to the one submitted.
    let state = FormState::<ChangeRole>::for_item("user", &user);
    let select_id = format!("role-{user_id}");
    view! {
        <ActionForm state=state class="role-form">
            <input type="hidden" name="user" value=user/>
            <label for=select_id.clone() class="visually-hidden">{format!("Role of {username}")}</label>
            <select id=select_id name="role">
                {Role::ALL
                    .into_iter()
                    .map(|option| view! {
                        <option value=option.as_str() selected=option == role>{option.as_str()}</option>
                    })
                    .collect_view()}
            </select>
            <button type="submit" aria-label=format!("Save the role of {username}")>"Save"</button>
            {state.success(|done| view! {
                <p class="form-success" role="status">
                    {format!("{} is now {} {}.", done.username, article(done.role), done.role)}
                </p>
            })}
        </ActionForm>
    }
}

fn article(role: Role) -> &'static str {
    match role {
        Role::Admin => "an",
        Role::User | Role::Moderator => "a",
    }
}
