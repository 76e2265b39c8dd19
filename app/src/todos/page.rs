//! `/todos`: the signed-in user's list, server-rendered forms in a region. With JavaScript each
//! change shows at once (its form's [`Preview`]) and settles on the page the server answers
//! with; every other tab of the user follows through the live stream. Without JavaScript the
//! same forms post and the page comes back with the outcome. The page loads no WASM.

use super::{
    actions::{list_todos, AddTodo, DeleteTodo, RenameTodo, SetTodoDone},
    model::Todo,
};
use crate::shell::set_status;
use formwork::{
    ActionError, ActionForm, Count, FormState, Preview, Region, SubmitButton, TextInput, Title,
};
use leptos::{either::EitherOf3, prelude::*};

#[component]
pub fn TodosPage() -> impl IntoView {
    view! {
        <Title text="Todos"/>
        <h1>"Your todos"</h1>
        <Suspense fallback=|| view! { <p>"Loading your todos…"</p> }>
            {Suspend::new(async move {
                match list_todos().await {
                    Ok(todos) => {
                        let owner = formwork::identity::current().map_or(0, |me| me.user_id);
                        EitherOf3::A(view! {
                            <TodoList todos=todos tag=super::model::tag(owner)/>
                        })
                    }
                    Err(ActionError::Unauthenticated) => {
                        set_status(401);
                        EitherOf3::B(view! {
                            <p class="notice">"Please " <a href="/login">"sign in"</a> " to keep a todo list."</p>
                        })
                    }
                    Err(error) => {
                        set_status(error.status().as_u16());
                        EitherOf3::C(view! { <p class="form-error" role="alert">{error.to_string()}</p> })
                    }
                }
            })}
        </Suspense>
    }
}

/// The id of the template a new todo is shown from until the server has named it.
const PROVISIONAL: &str = "todo-provisional";

/// The list and its forms, in a region under the list's private tag: it is rendered again
/// whenever the list changes, here or in another tab.
#[component]
fn TodoList(todos: Vec<Todo>, tag: String) -> impl IntoView {
    let add = FormState::<AddTodo>::new();
    let remaining = todos.iter().filter(|t| !t.done).count();
    let empty = todos.is_empty();
    let rows = todos
        .into_iter()
        .map(|todo| view! { <TodoItem todo=todo/> })
        .collect_view();

    view! {
        <Region name="todos" tags=vec![tag]>
            <ActionForm state=add class="add-todo"
                preview=Preview::new().append(".todo-list", PROVISIONAL)>
                <TextInput field=add.fields().title id="new-todo" label="New todo" autocomplete="off"/>
                <SubmitButton label="Add"/>
            </ActionForm>
            <Count class="todo-count" of=".todo-list > li:not(.done)" n=remaining
                one="1 to do" other="{n} to do"/>
            <ul class="todo-list" aria-label="Todos">{rows}</ul>
            {empty.then(|| view! { <p class="empty">"Nothing to do. Add something above."</p> })}
            // A todo the server has not named yet: shown at once, with nothing to press.
            <template id=PROVISIONAL>
                <li class="todo" aria-busy="true">
                    <button type="button" class="tick" role="checkbox" aria-checked="false"
                        aria-label="Done: {title}" disabled=true></button>
                    <span class="todo-title">"{title}"</span>
                </li>
            </template>
        </Region>
    }
}

/// One row: its tick box, its title with a rename form, and its delete button. Each form says
/// what the row looks like while it is on its way; a refusal is explained at the row.
#[component]
fn TodoItem(todo: Todo) -> impl IntoView {
    let Todo { id, title, done } = todo;
    let key = id.to_string();
    let done_form = FormState::<SetTodoDone>::for_item("id", &key);
    let rename = FormState::<RenameTodo>::for_item("id", &key);
    let delete = FormState::<DeleteTodo>::for_item("id", &key);
    let title_field = rename.fields().title;
    let (done_label, rename_label, delete_label, new_title) = (
        format!("Done: {title}"),
        format!("Rename {title}"),
        format!("Delete {title}"),
        format!("New title for {title}"),
    );
    let value = title_field.value().unwrap_or_else(|| title.clone());
    let tick = Preview::new()
        .class("", "done", "done")
        .attr(".tick", "aria-checked", "done");

    view! {
        <li class="todo" class:done=done data-fw-item="">
            <ActionForm state=done_form class="todo-done" preview=tick>
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="done" value=(!done).to_string()/>
                <button
                    type="submit"
                    class="tick"
                    role="checkbox"
                    aria-checked=done.to_string()
                    aria-label=done_label
                ></button>
            </ActionForm>
            <span class="todo-title">{title}</span>
            <ActionForm state=rename class="todo-rename" keep_values=true
                preview=Preview::new().text(".todo-title", "title")>
                <input type="hidden" name="id" value=id/>
                <input
                    id=title_field.anchor(format!("todo-{id}-title"))
                    name="title"
                    aria-label=new_title
                    required=true
                    maxlength=title_field.maxlength()
                    value=value
                    aria-invalid=title_field.invalid()
                    aria-describedby=title_field.described_by()
                    autocomplete="off"
                />
                {title_field.messages()}
                <button type="submit" class="secondary"
                    aria-label=rename_label>"Rename"</button>
            </ActionForm>
            <ActionForm state=delete class="todo-delete" preview=Preview::new().hide()>
                <input type="hidden" name="id" value=id/>
                <button type="submit" class="danger link"
                    aria-label=delete_label>"Delete"</button>
            </ActionForm>
        </li>
    }
}
