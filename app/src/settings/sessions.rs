//! Where you are signed in: the signed-in user's sessions, each with the browser it was
//! started from (the `User-Agent` header read when signing in), and a form that signs out
//! every session but this one. Server-rendered: the same with and without JavaScript.

use formwork::identity::Principal;
use formwork::{identity::SessionInfo, ActionError, ActionForm, FormState, SubmitButton};
use leptos::{either::EitherOf3, prelude::*};

/// The signed-in user's live sessions, the current one first, then newest first.
#[formwork::action(access = SignedIn, method = GET)]
pub async fn list_sessions(user: Principal) -> Result<Vec<SessionInfo>, ActionError> {
    let (sessions, request) = formwork::identity::sessions_and_request()?;
    sessions.list(user.user_id, &request).await
}

/// Signs out every session of the signed-in user but the one making the request. Returns how
/// many ended.
#[formwork::action(access = SignedIn, rate_limit = per_user(10).per_minute(), body_limit = 1 KiB, revalidates = [])]
pub async fn sign_out_other_sessions(user: Principal) -> Result<u64, ActionError> {
    let (sessions, request) = formwork::identity::sessions_and_request()?;
    let ended = sessions.end_others(user.user_id, &request).await?;
    tracing::info!(ended, "other sessions signed out");
    Ok(ended)
}

/// A `User-Agent` as a person would name it: "Firefox on Linux". What it does not recognise it
/// calls "An unknown browser" (the full text is shown next to it).
pub fn describe_agent(agent: &str) -> String {
    // Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari", Android "Linux".
    const BROWSERS: [(&str, &str); 6] = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ];
    const SYSTEMS: [(&str, &str); 7] = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ];
    let browser = BROWSERS
        .iter()
        .find(|(mark, _)| agent.contains(mark))
        .map(|(_, name)| *name);
    let system = SYSTEMS
        .iter()
        .find(|(mark, _)| agent.contains(mark))
        .map(|(_, name)| *name);
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser.to_owned(),
        (None, Some(system)) => format!("A browser on {system}"),
        (None, None) => "An unknown browser".to_owned(),
    }
}

/// A Unix time as a date and time in UTC, e.g. `2026-12-01 14:05 UTC`.
fn when(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|at| {
            at.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .ok()
        })
        .unwrap_or_default()
}

/// The section of `/settings` for a signed-in user; nothing for anyone else.
#[component]
pub fn SessionList() -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <p>"Loading your sessions…"</p> }>
            {Suspend::new(async move {
                match list_sessions().await {
                    Ok(sessions) => EitherOf3::A(view! { <SessionTable sessions=sessions/> }),
                    Err(ActionError::Unauthenticated) => EitherOf3::B(()),
                    Err(error) => EitherOf3::C(view! {
                        <p class="form-error" role="alert">{error.to_string()}</p>
                    }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SessionTable(sessions: Vec<SessionInfo>) -> impl IntoView {
    let others = sessions.iter().filter(|s| !s.current).count();
    let state = FormState::<SignOutOtherSessions>::new();
    view! {
        <section class="sessions" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Where you are signed in"</h2>
            <table>
                <thead>
                    <tr><th scope="col">"Browser"</th><th scope="col">"Signed in"</th><th scope="col">"Until"</th></tr>
                </thead>
                <tbody>
                    {sessions
                        .into_iter()
                        .map(|session| {
                            let name = describe_agent(&session.user_agent);
                            view! {
                                <tr class:current=session.current>
                                    <td>
                                        <span class="agent" title=session.user_agent.clone()>{name}</span>
                                        {session.current.then(|| view! { " " <strong>"(this session)"</strong> })}
                                    </td>
                                    <td>{when(session.created_at)}</td>
                                    <td>{when(session.expires_at)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <ActionForm state=state class="sign-out-others">
                {state.success(|ended| view! {
                    <p class="form-success" role="status">
                        {match ended {
                            0 => "There were no other sessions.".to_owned(),
                            1 => "Signed out of 1 other session.".to_owned(),
                            n => format!("Signed out of {n} other sessions."),
                        }}
                    </p>
                })}
                {(others > 0).then(|| view! {
                    <SubmitButton label="Sign out everywhere else" pending_label="Signing out…"/>
                })}
            </ActionForm>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_are_named_as_people_would() {
        let cases = [
            ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux"),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                "Safari on macOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                "Safari on iOS",
            ),
            ("curl/8.11.0", "curl"),
            ("", "An unknown browser"),
            ("<script>alert(1)</script>", "An unknown browser"),
        ];
        for (agent, name) in cases {
            assert_eq!(describe_agent(agent), name, "{agent}");
        }
    }

    #[test]
    fn times_read_in_utc() {
        assert_eq!(when(1_800_000_000), "2027-01-15 08:00 UTC");
        assert_eq!(
            when(i64::MAX),
            "",
            "out of range shows nothing, not a panic"
        );
    }
}
