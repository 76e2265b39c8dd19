//! The feedback page at `/feedback`: a short note about the site, limited to ten a minute
//! from one address. With JavaScript its form sends without a reload.

pub mod send_feedback;
#[cfg(feature = "ssr")]
pub mod store;

use formwork::Title;
use leptos::prelude::*;
use send_feedback::FeedbackForm;

/// `/feedback`: tell the team how the site works for you.
#[component]
pub fn FeedbackPage() -> impl IntoView {
    crate::shell::shared();
    view! {
        <Title text="Feedback"/>
        <h1>"Feedback"</h1>
        <p>"What works, what does not? A line is enough."</p>
        <FeedbackForm/>
    }
}
