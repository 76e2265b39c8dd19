use formwork::prelude::*;

formwork::schema! {
    #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
    pub struct NewNote {
        pub text: String = Rule::text("Note").chars(1, 500),
    }
}

#[formwork::action(access = Public)]
pub async fn add_note(#[server(flatten)] note: NewNote) -> Result<(), ActionError> {
    let _ = note;
    Ok(())
}

#[component]
fn NoteForm() -> impl IntoView {
    let state = FormState::<AddNote>::new();
    view! {
        <ActionForm state=state>
            <TextInput field=state.fields().txet id="note"/>
        </ActionForm>
    }
}

fn main() {}
