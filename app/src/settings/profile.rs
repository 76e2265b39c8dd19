//! `/settings/profile`: the name a signed-in user shows next to their posts and comments.
//! Server-rendered: the same form with and without JavaScript, the user's input kept when it
//! is refused.

use super::avatar::AvatarSection;
use formwork::identity::Principal;
use formwork::Title;
use formwork::{ActionError, ActionForm, FormState, Rule, SubmitButton, TextInput};
use leptos::{either::EitherOf3, prelude::*};
use serde::{Deserialize, Serialize};

formwork::schema! {
    /// What a person is called on the site; their username stays what they sign in with.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Profile {
        pub display_name: String = Rule::text("Display name").chars(1, 50),
    }
}

/// A signed-in user's profile as the form shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnProfile {
    pub user_id: i64,
    pub username: String,
    pub display_name: Option<String>,
    /// The object key of their picture.
    pub avatar: Option<String>,
    /// An upload is being prepared.
    pub avatar_pending: bool,
    /// Why the last upload could not be used.
    pub avatar_error: Option<String>,
}

/// The signed-in user's profile.
#[formwork::action(access = SignedIn, method = GET)]
pub async fn my_profile(user: Principal) -> Result<OwnProfile, ActionError> {
    let store = crate::state::store()?;
    let display_name = store.display_name(user.user_id).await?;
    let avatar = store.avatar(user.user_id).await?;
    Ok(OwnProfile {
        user_id: user.user_id,
        username: user.username,
        display_name,
        avatar: avatar.key,
        avatar_pending: avatar.pending.is_some(),
        avatar_error: avatar.error,
    })
}

/// Sets the signed-in user's display name. Every list and page that shows their name shows
/// the new one at once (they are revalidated).
#[formwork::action(access = SignedIn, rate_limit = per_user(20).per_hour(), body_limit = 4 KiB, revalidates = ["people"])]
pub async fn update_profile(
    user: Principal,
    #[server(flatten)] profile: Profile,
) -> Result<String, ActionError> {
    if !crate::state::store()?
        .set_display_name(user.user_id, &profile.display_name)
        .await?
    {
        return Err(ActionError::not_found("Your account"));
    }
    tracing::info!(user = user.user_id, "display name changed");
    formwork::revalidate_tag(crate::tags::PEOPLE);
    Ok(profile.display_name)
}

/// `/settings/profile`
#[component]
pub fn ProfilePage() -> impl IntoView {
    view! {
        <Title text="Your profile"/>
        <h1>"Your profile"</h1>
        <Suspense fallback=|| view! { <p>"Loading your profile…"</p> }>
            {Suspend::new(async move {
                match my_profile().await {
                    Ok(profile) => EitherOf3::A(view! {
                        <AvatarSection
                            tag=super::avatar::tag(profile.user_id)
                            current=profile.avatar.clone()
                            pending=profile.avatar_pending
                            error=profile.avatar_error.clone()
                        />
                        <ProfileForm profile=profile/>
                    }),
                    Err(ActionError::Unauthenticated) => {
                        crate::shell::set_status(401);
                        EitherOf3::B(view! {
                            <p class="notice">"Please " <a href="/login">"sign in"</a> " to change your profile."</p>
                        })
                    }
                    Err(error) => {
                        crate::shell::set_status(error.status().as_u16());
                        EitherOf3::C(view! { <p class="form-error" role="alert">{error.to_string()}</p> })
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProfileForm(profile: OwnProfile) -> impl IntoView {
    let current = profile.display_name.unwrap_or_default();
    let state = FormState::<UpdateProfile>::new().defaults([("display_name", current)]);
    view! {
        <ActionForm state=state class="profile" keep_values=true>
            <fieldset>
                <legend>"Shown next to your posts and comments"</legend>
                <p class="hint">{format!("You sign in as {}; that stays the same.", profile.username)}</p>
                <TextInput field=state.fields().display_name id="display-name" autocomplete="nickname"/>
                {state.success(|name| view! {
                    <p class="form-success" role="status">{format!("Saved. You are shown as {name}.")}</p>
                })}
                <div class="actions">
                    <SubmitButton label="Save" pending_label="Saving…"/>
                </div>
            </fieldset>
        </ActionForm>
    }
}
