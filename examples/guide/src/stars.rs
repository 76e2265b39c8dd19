//! `/stars`: an action called from an event handler (`startTransition(() => action())`).
use formwork::prelude::*;
use formwork::use_action;

/// How many notes may be starred at once.
pub const MOST_STARS: i64 = 3;

// ANCHOR: action
/// Stars or unstars a note: it sets the state it is given, so a repeat does no harm.
#[formwork::action(access = Public, body_limit = 1 KiB, revalidates = ["notes"])]
pub async fn set_starred(id: i64, starred: bool) -> Result<bool, ActionError> {
    let db = crate::db()?;
    let starred_now: i64 =
        sqlx::query_scalar("SELECT count(*) FROM notes WHERE starred = 1 AND id <> $1")
            .bind(id)
            .fetch_one(&db)
            .await?;
    if starred && starred_now >= MOST_STARS {
        return Err(ActionError::Conflict {
            message: format!("You can star at most {MOST_STARS} notes: unstar one first."),
        });
    }
    let changed = sqlx::query("UPDATE notes SET starred = $1 WHERE id = $2")
        .bind(starred)
        .bind(id)
        .execute(&db)
        .await?
        .rows_affected();
    if changed == 0 {
        return Err(ActionError::not_found("That note"));
    }
    revalidate_tag("notes");
    Ok(starred)
}
// ANCHOR_END: action

// ANCHOR: island
/// A star button. Without JavaScript it is a one-button form. With it, the click handler calls
/// the action: the star changes at once, the button is busy while the call is in flight,
/// and the star goes back, with the reason, if the action refuses.
#[island]
fn Star(id: i64, text: String, starred: bool, snapshot: FormSnapshot<bool>) -> impl IntoView {
    let shown = RwSignal::new(starred);
    let star = use_action::<SetStarred>().optimistic_with(move |call: &SetStarred| {
        let before = shown.get_untracked();
        shown.set(call.starred);
        Box::new(move || shown.set(before))
    });
    let form = FormState::<SetStarred>::restore_item(snapshot, "id", &id.to_string());
    let click = move |event: leptos::ev::MouseEvent| {
        event.prevent_default(); // the call replaces the form's post
        star.call(SetStarred { id, starred: !shown.get_untracked() });
    };
    view! {
        <ActionForm state=form class="inline">
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="starred" value=move || (!shown.get()).to_string()/>
            <button type="submit" on:click=click aria-label=format!("Star “{text}”")
                aria-pressed=move || shown.get().to_string()
                aria-busy=move || star.pending().then_some("true")>
                {move || if shown.get() { "★" } else { "☆" }}
            </button>
        </ActionForm>
        {move || star.error().map(|error| view! { <p class="form-error" role="alert">{error.to_string()}</p> })}
    }
}
// ANCHOR_END: island

/// `/stars`: every note with its star.
#[component]
pub fn StarsPage() -> impl IntoView {
    let list = move || {
        Suspend::new(async move {
            crate::notes::list_notes().await.map(|notes| {
                notes
                    .into_iter()
                    .map(|note| {
                        let snapshot = formwork::form::snapshot::<SetStarred>();
                        view! {
                            <li>
                                <span>{note.text.clone()}</span>
                                <Star id=note.id text=note.text starred=note.starred snapshot/>
                            </li>
                        }
                    })
                    .collect_view()
            })
        })
    };
    view! {
        <h1>"Stars"</h1>
        <p>{format!("Star up to {MOST_STARS} notes.")}</p>
        <ul id="stars"><Suspense>{list}</Suspense></ul>
    }
}
