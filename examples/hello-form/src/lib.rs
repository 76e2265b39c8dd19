//! One page: a validated action that greets, and the list of names it revalidates.
use formwork::prelude::*;
use leptos_router::{components::*, path, SsrMode};

formwork::schema! {
    #[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
    pub struct Greeting { pub name: String = Rule::text("Name").chars(2, 40) }
}

#[formwork::action(access = Public, rate_limit = per_ip(20).per_minute(), revalidates = ["names"])]
pub async fn greet(#[server(flatten)] greeting: Greeting) -> Result<String, ActionError> {
    let name = greeting.name;
    let db = expect_context::<sqlx::SqlitePool>();
    sqlx::query("INSERT INTO names (name) VALUES ($1)").bind(&name).execute(&db).await?;
    revalidate_tag("names");
    Ok(format!("Hello, {name}!"))
}

#[formwork::action(access = Public, method = GET)]
pub async fn names() -> Result<Vec<String>, ActionError> {
    let db = expect_context::<sqlx::SqlitePool>();
    Ok(sqlx::query_scalar("SELECT name FROM names ORDER BY id DESC").fetch_all(&db).await?)
}

#[component]
fn GreetForm() -> impl IntoView {
    let state = FormState::<Greet>::new();
    view! {
        <ActionForm state=state>
            <TextInput field=state.fields().name id="name"/>
            {state.success(|hello| view! { <p role="status">{hello}</p> })}
            <SubmitButton label="Say hello" pending_label="Saying hello…"/>
        </ActionForm>
    }
}

#[component]
fn Home() -> impl IntoView {
    let list = || {
        Suspend::new(async {
            names().await.map(|all| all.into_iter().map(|n| view! { <li>{n}</li> }).collect_view())
        })
    };
    view! {
        <h1>"Hello, form"</h1>
        <GreetForm/>
        <Region name="names" tags=vec!["names".into()]><ul><Suspense>{list}</Suspense></ul></Region>
    }
}

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router><Routes fallback=|| "Not found.">
            <Route path=path!("") view=Home ssr=SsrMode::Async/>
        </Routes></Router>
    }
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! { <Document options title="Hello, form"><App/></Document> }
}
