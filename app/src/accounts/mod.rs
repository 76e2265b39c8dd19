//! Accounts: register, sign in and sign out, at `/register` and `/login`.
//!
//! Forms are server-rendered: signing in changes the whole page (the header, what may be
//! done), so a navigation is the right answer, with or without JavaScript.

pub mod log_in;
pub mod log_out;
pub mod model;
#[cfg(feature = "ssr")]
pub mod password;
pub mod register;
#[cfg(feature = "ssr")]
pub mod store;

use formwork::Title;
use leptos::prelude::*;

/// `/register`: make an account.
#[component]
pub fn RegisterPage() -> impl IntoView {
    crate::shell::shared();
    view! {
        <Title text="Register"/>
        <h1>"Create an account"</h1>
        <register::RegisterForm/>
        <p>"Have an account? " <a href="/login">"Sign in"</a></p>
    }
}

/// `/login`: sign in.
#[component]
pub fn LoginPage() -> impl IntoView {
    crate::shell::shared();
    view! {
        <Title text="Sign in"/>
        <h1>"Sign in"</h1>
        <log_in::LoginForm/>
        <p>"New here? " <a href="/register">"Create an account"</a></p>
    }
}

/// The header's account corner: who is signed in and a sign-out button, or the links to sign
/// in and register.
#[component]
pub fn AccountNav() -> impl IntoView {
    match formwork::identity::current() {
        Some(user) => view! {
            <span class="account">
                {user.is_at_least(crate::roles::Role::Admin).then(|| view! { <a href="/admin">"Admin"</a> })}
                "Signed in as " <strong>{user.username}</strong>
                <log_out::LogOutButton/>
            </span>
        }
        .into_any(),
        None => view! {
            <span class="account">
                <a href="/login">"Sign in"</a>
                <a href="/register">"Register"</a>
            </span>
        }
        .into_any(),
    }
}
