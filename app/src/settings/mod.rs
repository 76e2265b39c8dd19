//! `/settings`: preferences kept in cookies, for everyone (signed in or not). The theme is set
//! by an action and read by every page as it renders, so it is right from the first paint,
//! with or without JavaScript. A signed-in user also sees where they are signed in, and can
//! sign out everywhere else ([`sessions`]).

pub mod avatar;
pub mod profile;
pub mod sessions;

use formwork::Title;
use formwork::{use_action, ActionError, ActionForm, FormSnapshot, FormState, Rule, SubmitButton};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The cookie that holds the theme.
pub const THEME_COOKIE: &str = "fw_theme";
/// How long the theme is remembered.
pub const THEME_LIFETIME: std::time::Duration = std::time::Duration::from_secs(365 * 24 * 60 * 60);

/// Light, dark, or whatever the system prefers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    Light,
    Dark,
    #[default]
    System,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::Light, Theme::Dark, Theme::System];

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::System => "system",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Theme::Light => "Light",
            Theme::Dark => "Dark",
            Theme::System => "Same as my system",
        }
    }

    /// The theme the request's cookie names; anything else is the default.
    pub fn current() -> Self {
        match formwork::cookies::get(THEME_COOKIE).as_deref() {
            Some("light") => Theme::Light,
            Some("dark") => Theme::Dark,
            _ => Theme::System,
        }
    }
}

formwork::schema! {
    /// The theme picker's one field: one of the themes, or a 422 at the field.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ThemeChoice {
        pub theme: Theme = Rule::choice("Theme", &["light", "dark", "system"]),
    }
}

/// Keeps the theme in a cookie for a year; the system's theme is the default, kept by no
/// cookie at all (and a visitor without cookies gets the shared pages).
#[formwork::action(access = Public, body_limit = 1 KiB, revalidates = [])]
pub async fn set_theme(#[server(flatten)] choice: ThemeChoice) -> Result<Theme, ActionError> {
    let theme = choice.theme;
    match theme {
        Theme::System => formwork::cookies::delete(THEME_COOKIE)?,
        Theme::Light | Theme::Dark => {
            formwork::cookies::set(THEME_COOKIE, theme.as_str(), THEME_LIFETIME)?
        }
    }
    Ok(theme)
}

/// `/settings`
#[component]
pub fn SettingsPage() -> impl IntoView {
    let (current, snapshot) = (Theme::current(), formwork::form::snapshot::<SetTheme>());
    view! {
        <Title text="Settings"/>
        <h1>"Settings"</h1>
        {formwork::identity::current().map(|_| view! {
            <p><a href="/settings/profile">"Your profile: the name shown next to your posts and comments"</a></p>
        })}
        <ThemePicker current snapshot/>
        <sessions::SessionList/>
    }
}

/// The theme picker. Without JavaScript it is a form with a Save button. With JavaScript the
/// choice is the control: picking a theme shows it at once and saves it from the radio's
/// change handler ([`use_action`]), and the page goes back to the theme it had if the server
/// refuses. The button is then not needed and is hidden.
#[island]
fn ThemePicker(current: Theme, snapshot: FormSnapshot<Theme>) -> impl IntoView {
    let state = FormState::<SetTheme>::restore(snapshot);
    let save = use_action::<SetTheme>().optimistic_with(move |call: &SetTheme| {
        let before = page_theme().unwrap_or(current);
        show_theme(call.choice.theme);
        Box::new(move || show_theme(before))
    });
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <ActionForm state=state class="settings">
            <fieldset aria-busy=move || save.pending().then_some("true")>
                <legend>"Theme"</legend>
                {Theme::ALL
                    .into_iter()
                    .map(|theme| {
                        let id = format!("theme-{}", theme.as_str());
                        let target = id.clone();
                        view! {
                            <label class="choice" for=target>
                                <input type="radio" id=id name="theme" value=theme.as_str()
                                    checked=theme == current
                                    on:change=move |_| save.call(SetTheme { choice: ThemeChoice { theme } })/>
                                {theme.label()}
                            </label>
                        }
                    })
                    .collect_view()}
                {state.success(|theme| view! {
                    <p class="form-success" role="status">{format!("Saved: {}.", theme.label())}</p>
                })}
                {move || {
                    if save.pending() {
                        Some(view! { <p class="sending" role="status">"Saving…"</p> }.into_any())
                    } else {
                        save.value().map(|theme| view! {
                            <p class="form-success" role="status">{format!("Saved: {}.", theme.label())}</p>
                        }.into_any())
                    }
                }}
                {move || save.error().map(|error| {
                    // A refused theme is the field's problem: its own words, not the form's.
                    let text = error
                        .field_messages("theme")
                        .first()
                        .cloned()
                        .unwrap_or_else(|| error.to_string());
                    view! { <p class="form-error" role="alert">{text}</p> }
                })}
                <div class="actions" hidden=move || hydrated.get()>
                    <SubmitButton label="Save" pending_label="Saving…"/>
                </div>
            </fieldset>
        </ActionForm>
    }
}

/// The theme the page shows now (`<html data-theme>`); none on the server.
fn page_theme() -> Option<Theme> {
    #[cfg(feature = "hydrate")]
    return match document()
        .document_element()?
        .get_attribute("data-theme")?
        .as_str()
    {
        "light" => Some(Theme::Light),
        "dark" => Some(Theme::Dark),
        "system" => Some(Theme::System),
        _ => None,
    };
    #[cfg(not(feature = "hydrate"))]
    None
}

/// Shows `theme` on the page, and as the picker's choice.
fn show_theme(theme: Theme) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let page = document();
        if let Some(root) = page.document_element() {
            let _ = root.set_attribute("data-theme", theme.as_str());
        }
        if let Some(input) = page
            .get_element_by_id(&format!("theme-{}", theme.as_str()))
            .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlInputElement>().ok())
        {
            input.set_checked(true);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = theme;
}
