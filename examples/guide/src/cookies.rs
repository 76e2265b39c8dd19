//! `/cookies`: an action that sets and deletes a cookie (`cookies().set()`), and a page that
//! reads it and a request header (`cookies().get()`, `headers()`).
use formwork::cookies;
use formwork::prelude::*;

formwork::schema! {
    /// The name to greet.
    #[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
    pub struct Name {
        pub name: String = Rule::text("Name").chars(1, 40),
    }
}

/// The cookie that holds the name.
pub const NAME_COOKIE: &str = "guide_name";

// ANCHOR: set
/// Remembers the name for a month, for this site's pages only, out of scripts' reach.
#[formwork::action(access = Public, body_limit = 1 KiB, revalidates = [])]
pub async fn remember(#[server(flatten)] name: Name) -> Result<String, ActionError> {
    let options = cookies::CookieOptions::new()
        .max_age(std::time::Duration::from_secs(30 * 24 * 60 * 60))
        .http_only(true)
        .path("/");
    cookies::set_with(NAME_COOKIE, &name.name, &options)?; // any text: it is encoded
    Ok(name.name)
}

/// Forgets it.
#[formwork::action(access = Public, body_limit = 1 KiB, revalidates = [])]
pub async fn forget() -> Result<(), ActionError> {
    cookies::delete(NAME_COOKIE)
}
// ANCHOR_END: set

// ANCHOR: read
/// `/cookies`: read as the page renders, on the server, so the first paint is right.
#[component]
pub fn CookiesPage() -> impl IntoView {
    let name = cookies::get(NAME_COOKIE);
    let agent = formwork::headers()
        .get("user-agent")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_default();
    let remember_state = FormState::<Remember>::new();
    let forget_state = FormState::<Forget>::new();
    view! {
        <h1>"Cookies and headers"</h1>
        <p class="greeting">{match name {
            Some(name) => format!("Hello, {name}!"),
            None => "Hello, stranger!".to_owned(),
        }}</p>
        <p class="agent">"Your browser says it is: " <code>{agent}</code></p>
        <ActionForm state=remember_state>
            <TextInput field=remember_state.fields().name id="name"/>
            <SubmitButton label="Remember me"/>
        </ActionForm>
        <ActionForm state=forget_state><SubmitButton label="Forget me"/></ActionForm>
    }
}
// ANCHOR_END: read
