//! `/admin`: the accounts and their roles, and the email outbox, for admins. Server-rendered: each role form works
//! the same with and without JavaScript.

pub mod change_role;
pub mod outbox;
#[cfg(feature = "ssr")]
pub mod store;

use crate::roles::Role;
use crate::shell::set_status;
use change_role::RoleForm;
use formwork::ActionError;
use formwork::Title;
use leptos::{either::EitherOf3, prelude::*};
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Accounts on one page of `/admin`.
pub const ACCOUNTS_PAGE_SIZE: u32 = 50;

/// An account as the admin page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub role: Role,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// One page of accounts, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountListing {
    pub accounts: Vec<AccountSummary>,
    pub page: u32,
    pub has_more: bool,
    /// The username prefix the list was narrowed to (empty: every account).
    pub query: String,
}

/// One page of accounts whose username starts with `query` (without regard to case). Admins
/// only: a page rendering calls this directly, so it checks the caller itself as well as
/// through its declaration.
#[formwork::action(access = AtLeast(Role::Admin.rank()), method = GET)]
pub async fn list_accounts(page: u32, query: String) -> Result<AccountListing, ActionError> {
    let paging = crate::paging::Paging::new(page, ACCOUNTS_PAGE_SIZE);
    let query: String = query
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(30)
        .collect();
    let rows = crate::state::store()?
        .accounts(&query, paging.offset(), paging.fetch())
        .await?;
    let (accounts, has_more) = paging.split(rows);
    Ok(AccountListing {
        accounts,
        page: paging.page,
        has_more,
        query,
    })
}

/// `/admin?q=…&page=N`: the accounts, newest first, with their roles, narrowed to usernames
/// that start with `q`. Signed out it asks to sign in (401); for anyone but an admin it is a
/// 403.
#[component]
pub fn AdminPage() -> impl IntoView {
    let query = use_query_map();
    let page = crate::paging::page_number(query.read_untracked().get("page").as_deref());
    let q = query.read_untracked().get("q").unwrap_or_default();
    view! {
        <Title text="Admin"/>
        <h1>"Accounts and roles"</h1>
        <Suspense fallback=|| view! { <p>"Loading accounts…"</p> }>
            {Suspend::new(async move {
                match list_accounts(page, q).await {
                    Ok(listing) => EitherOf3::A(view! { <AccountTable listing=listing/> <outbox::Outbox/> }),
                    Err(ActionError::Unauthenticated) => {
                        set_status(401);
                        EitherOf3::B(view! {
                            <p class="notice">"Please " <a href="/login">"sign in"</a> " as an admin to see this page."</p>
                        })
                    }
                    Err(error) => {
                        set_status(error.status().as_u16());
                        let text = match error {
                            ActionError::Forbidden { .. } => "Only admins can see this page.".to_owned(),
                            other => other.to_string(),
                        };
                        EitherOf3::C(view! { <p class="form-error" role="alert">{text}</p> })
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn AccountTable(listing: AccountListing) -> impl IntoView {
    let AccountListing {
        accounts,
        page,
        has_more,
        query,
    } = listing;
    let empty = accounts.is_empty();
    let page_link = {
        let query = query.clone();
        move |page: u32| {
            if query.is_empty() {
                format!("/admin?page={page}")
            } else {
                format!(
                    "/admin?q={}&page={page}",
                    form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>()
                )
            }
        }
    };
    view! {
        <form method="get" action="/admin" class="account-search" role="search">
            <label for="account-query">"Find accounts by username"</label>
            <input id="account-query" type="search" name="q" value=query maxlength=30/>
            <button type="submit" class="secondary">"Find"</button>
        </form>
        <table class="accounts">
            <thead>
                <tr><th scope="col">"Username"</th><th scope="col">"Email"</th><th scope="col">"Joined"</th><th scope="col">"Role"</th></tr>
            </thead>
            <tbody>
                {accounts
                    .into_iter()
                    .map(|account| {
                        let joined = account.created_at.date().to_string();
                        view! {
                            <tr>
                                <th scope="row">{account.username.clone()}</th>
                                <td>{account.email}</td>
                                <td><time>{joined}</time></td>
                                <td><RoleForm user_id=account.id username=account.username role=account.role/></td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        {empty.then(|| view! { <p class="empty">"No accounts match."</p> })}
        <nav class="pagination" aria-label="Pages">
            {(page > 1).then(|| view! { <a rel="prev" href=page_link(page - 1)>"← Newer"</a> })}
            <span class="page-number">{format!("Page {page}")}</span>
            {has_more.then(|| view! { <a rel="next" href=page_link(page + 1)>"Older →"</a> })}
        </nav>
    }
}
