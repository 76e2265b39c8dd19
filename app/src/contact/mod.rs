//! The contact form at `/contact`, and its thank-you page.

pub mod send_message;
#[cfg(feature = "ssr")]
pub mod store;

use formwork::Title;
use leptos::prelude::*;
use send_message::ContactForm;

/// `/contact`: write to the site's team. Server-rendered; works the same with and without
/// JavaScript.
#[component]
pub fn ContactPage() -> impl IntoView {
    crate::shell::shared();
    view! {
        <Title text="Contact"/>
        <h1>"Contact us"</h1>
        <ContactForm/>
    }
}

/// `/contact/thanks`: where a sent message lands.
#[component]
pub fn ContactThanksPage() -> impl IntoView {
    crate::shell::shared();
    view! {
        <Title text="Thank you"/>
        <h1>"Thank you"</h1>
        <p>"Your message has reached us. We answer within two working days."</p>
        <p><a href="/posts">"Back to the posts"</a></p>
    }
}
