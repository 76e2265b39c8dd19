//! `/notes`: an action and its form, the form's state and status, an optimistic preview, a
//! tagged read it revalidates, the schema both sides check, and a bound argument.
use formwork::prelude::*;
use formwork::{bound, use_form_status, Preview};

// ANCHOR: schema
formwork::schema! {
    /// A note, as its form sends it: one rule, checked in the browser and on the server.
    #[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
    pub struct NewNote {
        pub text: String = Rule::text("Note").chars(3, 200),
    }
}
// ANCHOR_END: schema

/// A note as the pages show it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Note {
    pub id: i64,
    pub text: String,
    pub starred: bool,
}

// ANCHOR: action
/// Adds a note. The body runs only on the server; the form posts to it.
#[formwork::action(access = Public, rate_limit = per_ip(60).per_minute(), body_limit = 4 KiB, revalidates = ["notes"])]
pub async fn add_note(#[server(flatten)] note: NewNote) -> Result<Note, ActionError> {
    let db = crate::db()?;
    let id: i64 = sqlx::query_scalar("INSERT INTO notes (text) VALUES ($1) RETURNING id")
        .bind(&note.text)
        .fetch_one(&db)
        .await?;
    revalidate_tag("notes"); // every read tagged "notes", here and in every open tab
    Ok(Note { id, text: note.text, starred: false })
}
// ANCHOR_END: action

// ANCHOR: read
/// The notes, newest first: cached under the tag `notes` until an action revalidates it.
#[formwork::action(access = Public, method = GET)]
pub async fn list_notes() -> Result<Vec<Note>, ActionError> {
    let db = crate::db()?;
    formwork::cache::query("notes")
        .tag("notes")
        .load(move || async move {
            let rows: Vec<(i64, String, bool)> =
                sqlx::query_as("SELECT id, text, starred FROM notes ORDER BY id DESC")
                    .fetch_all(&db)
                    .await?;
            Ok(rows.into_iter().map(|(id, text, starred)| Note { id, text, starred }).collect())
        })
        .await
}
// ANCHOR_END: read

// ANCHOR: form
/// The form: its state is the action's last outcome (`useActionState`).
#[component]
fn AddNoteForm() -> impl IntoView {
    let state = FormState::<AddNote>::new();
    // With JavaScript the note shows at once, from the template below, until the page
    // the server answers with replaces it (`useOptimistic`).
    let preview = Preview::new().prepend("#notes", "note-provisional");
    view! {
        <ActionForm state=state preview=preview>
            <TextInput field=state.fields().text id="note-text"/>
            <Saving/>
            {state.success(|note| view! { <p role="status">{format!("Added “{}”.", note.text)}</p> })}
            <SubmitButton label="Add" pending_label="Adding…"/>
        </ActionForm>
    }
}
// ANCHOR_END: form

// ANCHOR: status
/// Any component inside a form can read the form's status (`useFormStatus`).
#[component]
fn Saving() -> impl IntoView {
    let status = use_form_status();
    view! {
        <p class="saving" {..status.shown_while_pending()}>"Saving “" {status.sent("text")} "”…"</p>
    }
}
// ANCHOR_END: status

// ANCHOR: bind
/// Deletes the note whose id the server put in its form (`deleteNote.bind(null, id)`).
#[formwork::action(access = Public, body_limit = 1 KiB, revalidates = ["notes"])]
pub async fn delete_note(id: Bound<i64>) -> Result<(), ActionError> {
    let db = crate::db()?;
    sqlx::query("DELETE FROM notes WHERE id = $1").bind(id.into_inner()).execute(&db).await?;
    revalidate_tag("notes");
    Ok(())
}

#[component]
fn DeleteButton(note: Note) -> impl IntoView {
    // Signed for `delete_note`: a changed id is refused (400) before the action runs.
    let id = bound::sign::<DeleteNote>(&note.id);
    let state = FormState::<DeleteNote>::for_item("id", &id);
    view! {
        <ActionForm state=state class="inline">
            <input type="hidden" name="id" value=id/>
            <button type="submit" aria-label=format!("Delete “{}”", note.text)>"Delete"</button>
        </ActionForm>
    }
}
// ANCHOR_END: bind

// ANCHOR: page
/// `/notes`: the form, and the list in a region tagged `notes`.
#[component]
pub fn NotesPage() -> impl IntoView {
    let list = move || {
        Suspend::new(async move {
            list_notes().await.map(|notes| {
                notes
                    .into_iter()
                    .map(|note| view! { <li><span>{note.text.clone()}</span> <DeleteButton note/></li> })
                    .collect_view()
            })
        })
    };
    view! {
        <h1>"Notes"</h1>
        <AddNoteForm/>
        <Region name="notes" tags=vec!["notes".into()]>
            <ul id="notes"><Suspense>{list}</Suspense></ul>
            <template id="note-provisional"><li aria-busy="true">"{text}"</li></template>
        </Region>
    }
}
// ANCHOR_END: page
