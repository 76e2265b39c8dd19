//! `/todos`: the signed-in user's list. The list is an island: with JavaScript each change
//! shows at once and settles on the server's answer; without it the same forms post and the
//! page comes back with the outcome.

use super::{
    actions::{list_todos, AddTodo, DeleteTodo, ListTodos, RenameTodo, SetTodoDone},
    model::Todo,
};
use crate::shell::set_status;
use formwork::Title;
use formwork::{
    flash::FormSnapshot, ActionError, ActionForm, Fields, FormError, FormState, Live, Optimistic,
    SubmitButton, TextInput,
};
use leptos::{either::EitherOf3, prelude::*};
use serde::{Deserialize, Serialize};

#[component]
pub fn TodosPage() -> impl IntoView {
    view! {
        <Title text="Todos"/>
        <h1>"Your todos"</h1>
        <Suspense fallback=|| view! { <p>"Loading your todos…"</p> }>
            {move || Suspend::new(async move {
                match list_todos().await {
                    Ok(todos) => {
                        let owner = formwork::identity::current().map_or(0, |me| me.user_id);
                        EitherOf3::A(view! {
                            <TodoList todos=todos tag=super::model::tag(owner) flash=TodoFlash::taken()/>
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

/// What a plain post to one of the list's actions brought back, handed to the island so that
/// server and browser render the same.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TodoFlash {
    add: FormSnapshot<Vec<Todo>>,
    done: FormSnapshot<Vec<Todo>>,
    rename: FormSnapshot<Vec<Todo>>,
    delete: FormSnapshot<Vec<Todo>>,
}

impl TodoFlash {
    fn taken() -> Self {
        use formwork::form::snapshot;
        Self {
            add: snapshot::<AddTodo>(),
            done: snapshot::<SetTodoDone>(),
            rename: snapshot::<RenameTodo>(),
            delete: snapshot::<DeleteTodo>(),
        }
    }
}

/// Ids for todos shown before the server named them (negative: never a real id).
static PROVISIONAL: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

fn id_of(fields: &Fields) -> Option<i64> {
    fields.get("id")?.parse().ok()
}

fn title_of(fields: &Fields) -> Option<String> {
    Some(fields.get("title")?.trim().to_owned()).filter(|t| !t.is_empty())
}

fn added(fields: &Fields, todos: &mut Vec<Todo>) {
    if let Some(title) = title_of(fields) {
        let id = PROVISIONAL.fetch_sub(1, std::sync::atomic::Ordering::Relaxed) - 1;
        todos.push(Todo {
            id,
            title,
            done: false,
        });
    }
}

// The changes share one signature (the list they change), so they all take the `Vec`.
#[allow(clippy::ptr_arg)]
fn ticked(fields: &Fields, todos: &mut Vec<Todo>) {
    let done = fields.get("done").and_then(|d| d.parse().ok());
    if let (Some(id), Some(done)) = (id_of(fields), done) {
        todos
            .iter_mut()
            .filter(|t| t.id == id)
            .for_each(|t| t.done = done);
    }
}

#[allow(clippy::ptr_arg)]
fn renamed(fields: &Fields, todos: &mut Vec<Todo>) {
    if let (Some(id), Some(title)) = (id_of(fields), title_of(fields)) {
        todos
            .iter_mut()
            .filter(|t| t.id == id)
            .for_each(|t| t.title = title.clone());
    }
}

fn deleted(fields: &Fields, todos: &mut Vec<Todo>) {
    if let Some(id) = id_of(fields) {
        todos.retain(|t| t.id != id);
    }
}

/// The list and its forms. `tag` is the list's private tag: the island refetches it whenever
/// it changes, here or in another tab.
#[island(lazy)]
fn TodoList(todos: Vec<Todo>, tag: String, flash: TodoFlash) -> impl IntoView {
    let shown = Optimistic::new(Live::new::<ListTodos>(todos, vec![tag]));
    let add = FormState::<AddTodo>::restore(flash.add.clone()).optimistic(shown, added);
    let flash = StoredValue::new(flash);
    let remaining = move || shown.with(|todos| todos.iter().filter(|t| !t.done).count());

    view! {
        <ActionForm state=add class="add-todo">
            <TextInput field=add.fields().title id="new-todo" label="New todo" autocomplete="off"/>
            <FormError state=add/>
            <SubmitButton label="Add"/>
        </ActionForm>
        <p class="todo-count" role="status">
            {move || match remaining() {
                1 => "1 to do".to_owned(),
                n => format!("{n} to do"),
            }}
        </p>
        <ul class="todo-list" aria-label="Todos">
            <For each=move || shown.get() key=|todo| todo.id let:todo>
                <TodoItem id=todo.id shown=shown flash=flash/>
            </For>
        </ul>
        <Show when=move || shown.with(Vec::is_empty)>
            <p class="empty">"Nothing to do. Add something above."</p>
        </Show>
    }
}

/// One row: its tick box, its title with a rename form, and its delete button. It reads its
/// todo from the list, so it follows every change to it without being rebuilt.
#[component]
fn TodoItem(id: i64, shown: Optimistic<Vec<Todo>>, flash: StoredValue<TodoFlash>) -> impl IntoView {
    let key = id.to_string();
    let state =
        |pick: fn(&TodoFlash) -> &FormSnapshot<Vec<Todo>>| flash.with_value(|f| pick(f).clone());
    let done_form = FormState::<SetTodoDone>::restore_item(state(|f| &f.done), "id", &key)
        .optimistic(shown, ticked);
    let rename = FormState::<RenameTodo>::restore_item(state(|f| &f.rename), "id", &key)
        .optimistic(shown, renamed);
    let delete = FormState::<DeleteTodo>::restore_item(state(|f| &f.delete), "id", &key)
        .optimistic(shown, deleted);

    let todo = Memo::new(move |_| shown.with(|todos| todos.iter().find(|t| t.id == id).cloned()));
    let done = move || todo.with(|t| t.as_ref().is_some_and(|t| t.done));
    let title = move || todo.with(|t| t.as_ref().map(|t| t.title.clone()).unwrap_or_default());
    // A todo the server has not named yet cannot be changed yet.
    let provisional = id < 0;
    let title_field = rename.fields().title;

    view! {
        <li class="todo" class:done=done aria-busy=provisional.then_some("true")>
            <ActionForm state=done_form class="todo-done">
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="done" value=move || (!done()).to_string()/>
                <button
                    type="submit"
                    class="tick"
                    role="checkbox"
                    aria-checked=move || done().to_string()
                    aria-label=move || format!("Done: {}", title())
                    disabled=provisional
                >
                    {move || if done() { "✓" } else { "" }}
                </button>
                <FormError state=done_form/>
            </ActionForm>
            <span class="todo-title">{title}</span>
            <ActionForm state=rename class="todo-rename" keep_values=true>
                <input type="hidden" name="id" value=id/>
                <input
                    name="title"
                    aria-label=move || format!("New title for {}", title())
                    required=true
                    maxlength=title_field.maxlength()
                    value=move || title_field.value().unwrap_or_else(title)
                    aria-invalid=title_field.invalid()
                    autocomplete="off"
                />
                {title_field.messages()}
                <button type="submit" class="secondary" disabled=provisional
                    aria-label=move || format!("Rename {}", title())>"Rename"</button>
                <FormError state=rename/>
            </ActionForm>
            <ActionForm state=delete class="todo-delete">
                <input type="hidden" name="id" value=id/>
                <button type="submit" class="danger link" disabled=provisional
                    aria-label=move || format!("Delete {}", title())>"Delete"</button>
                <FormError state=delete/>
            </ActionForm>
        </li>
    }
}
