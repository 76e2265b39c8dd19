//! `/settings`: preferences kept in cookies, for everyone (signed in or not). The theme is set
//! by an action and read by every page as it renders, so it is right from the first paint,
//! with or without JavaScript. A signed-in user also sees where they are signed in, and can
//! sign out everywhere else ([`sessions`]).

pub mod avatar;
pub mod profile;
pub mod sessions;

use formwork::Title;
use formwork::{use_form_status, ActionError, ActionForm, FormState, Preview, Rule, SubmitButton};
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
    view! {
        <Title text="Settings"/>
        <h1>"Settings"</h1>
        {formwork::identity::current().map(|_| view! {
            <p><a href="/settings/profile">"Your profile: the name shown next to your posts and comments"</a></p>
        })}
        <ThemePicker current=Theme::current()/>
        <sessions::SessionList/>
    }
}

/// The theme picker, a server component like every form of the app. Without JavaScript it is
/// a form with a Save button. With it the choice is the control: picking a theme sends the
/// form (`submit_on_change`) and shows the theme at once (a preview of the page's
/// `data-theme`); the page the server answers with is the truth, so a refused theme goes
/// back to the one the page had, with the reason. The button is then not needed and is hidden.
#[component]
fn ThemePicker(current: Theme) -> impl IntoView {
    let state = FormState::<SetTheme>::new();
    view! {
        <ActionForm state=state class="settings" submit_on_change=true
            preview=Preview::new().attr("html", "data-theme", "theme")>
            <ThemeFields current state/>
        </ActionForm>
    }
}

/// The picker's fields, inside its form (they follow its status).
#[component]
fn ThemeFields(current: Theme, state: FormState<SetTheme>) -> impl IntoView {
    let status = use_form_status();
    view! {
        <fieldset>
            <legend>"Theme"</legend>
            {Theme::ALL
                .into_iter()
                .map(|theme| {
                    let id = format!("theme-{}", theme.as_str());
                    let target = id.clone();
                    view! {
                        <label class="choice" for=target>
                            <input type="radio" id=id name="theme" value=theme.as_str()
                                checked=theme == current/>
                            {theme.label()}
                        </label>
                    }
                })
                .collect_view()}
            {state.success(|theme| view! {
                <p class="form-success" role="status">{format!("Saved: {}.", theme.label())}</p>
            })}
            <p class="sending" role="status" {..status.shown_while_pending()}>"Saving…"</p>
            <div class="actions" {..status.hidden_with_js()}>
                <SubmitButton label="Save" pending_label="Saving…"/>
            </div>
        </fieldset>
    }
}
