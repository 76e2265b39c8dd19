//! The feedback page at `/feedback`: a short note about the site, limited to ten a minute
//! from one address. Its form is an island (no reload with JavaScript).

pub mod send_feedback;
#[cfg(feature = "ssr")]
pub mod store;

use formwork::Title;
use leptos::prelude::*;
use send_feedback::{FeedbackForm, SendFeedback};

/// `/feedback`: tell the team how the site works for you.
#[component]
pub fn FeedbackPage() -> impl IntoView {
    let snapshot = formwork::form::snapshot::<SendFeedback>();
    view! {
        <Title text="Feedback"/>
        <h1>"Feedback"</h1>
        <p>"What works, what does not? A line is enough."</p>
        <FeedbackForm snapshot=snapshot/>
    }
}
