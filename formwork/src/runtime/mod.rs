//! The browser runtime: one small script every page loads (`formwork.js`, beside this file).
//!
//! It enhances every [`ActionForm`](crate::ActionForm) outside an island (the schema's checks
//! before sending, a pending state, the post sent with `fetch`, the page it comes back to shown
//! in place with the islands, other forms' input, focus and scroll kept, a redirect followed),
//! makes a [`QueryForm`](crate::query_form::QueryForm)'s results follow the typing, and keeps
//! the page's [`Region`](crate::Region)s live: it owns the page's live stream, and islands
//! watch and revalidate through it (`window.formwork`). No Leptos and no WASM: a page without
//! islands loads this file and nothing else.
//!
//! The server writes the catalog's sentences the script says ([`BROWSER_MESSAGES`], with the
//! app's overrides) in front of it, and serves the whole from memory under a name hashed from
//! its content, compressed once and cached for a year.

use crate::messages::{Message, Messages};
use std::sync::Arc;

/// The script's source, as written.
pub const SOURCE: &str = include_str!("formwork.js");

/// The sentences the browser runtime says itself: a rule's message before sending, the form's
/// summary, a server it could not reach, and an upload's progress or cancellation.
pub const BROWSER_MESSAGES: &[Message] = &[
    Message::Empty,
    Message::ControlCharacters,
    Message::TooShort,
    Message::TooLong,
    Message::Email,
    Message::EmailTooLong,
    Message::NotWholeNumber,
    Message::NotNumber,
    Message::TooManyPlaces,
    Message::NumberTooSmall,
    Message::NumberTooLarge,
    Message::MustTick,
    Message::NotTickable,
    Message::ChooseOne,
    Message::NotAChoice,
    Message::NotSame,
    Message::FixFields,
    Message::Unreachable,
    Message::UploadSent,
    Message::UploadCancelled,
];

/// Where this app's pages load the runtime from (`/_formwork/runtime-<hash>.js`). Provided to
/// every render by [`Formwork::provide_context`](crate::Formwork::provide_context); read by
/// [`Scripts`](crate::Scripts).
#[derive(Clone, Debug)]
pub struct Runtime {
    path: Arc<str>,
    /// What the pages' `<head>` takes from the site's files, made once for this app.
    pub(crate) head: Arc<crate::meta::Head>,
}

impl Runtime {
    /// The runtime as `messages` make it: its address, and its bytes.
    pub fn build(messages: &Messages) -> (Self, String) {
        use sha2::{Digest, Sha256};
        let text = script(messages);
        let hash = crate::hex(&Sha256::digest(text.as_bytes())[..8]);
        let path = format!("{}{hash}.js", crate::protocol::RUNTIME_PREFIX);
        let runtime = Self {
            path: path.into(),
            head: Arc::default(),
        };
        (runtime, text)
    }

    /// The address pages load it from.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The same address, shared: what a page's `<script src>` holds, with no copy per render.
    pub(crate) fn src(&self) -> Arc<str> {
        self.path.clone()
    }
}

/// The served script: the catalog's sentences, then the source without its comment lines
/// (whole lines only: `//` ones and one-line `/** … */` ones; the source keeps every comment
/// that shares a line with code on its own line, so nothing else changes).
fn script(messages: &Messages) -> String {
    let sentences = BROWSER_MESSAGES
        .iter()
        .map(|message| (message.name(), messages.text(*message)))
        .collect::<std::collections::BTreeMap<_, _>>();
    let json = serde_json::to_string(&sentences).unwrap_or_else(|_| "{}".to_owned());
    let mut out = format!("const MESSAGES = {json};\n");
    for line in SOURCE.lines() {
        let code = line.trim();
        let comment = code.starts_with("//") || (code.starts_with("/**") && code.ends_with("*/"));
        if !code.is_empty() && !comment {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_says_the_apps_sentences_and_its_name_follows_them() {
        let english = Runtime::build(&Messages::english());
        let french = Runtime::build(
            &Messages::english().set(Message::FixFields, "Corrigez les champs \"signalés\"."),
        );
        assert!(
            english.1.starts_with("const MESSAGES = {"),
            "{}",
            &english.1[..80]
        );
        assert!(english
            .1
            .contains(r#""FixFields":"Please correct the highlighted fields.""#));
        assert!(french
            .1
            .contains(r#""FixFields":"Corrigez les champs \"signalés\".""#));
        assert_ne!(english.0.path(), french.0.path());
        assert!(english.0.path().starts_with("/_formwork/runtime-"));
        assert!(english.0.path().ends_with(".js"));
        assert_eq!(
            Runtime::build(&Messages::english()).0.path(),
            english.0.path()
        );
        let comment_lines = english
            .1
            .lines()
            .filter(|l| l.trim().starts_with("//"))
            .count();
        assert_eq!(comment_lines, 0, "comment lines are left out");
        assert!(english.1.len() < SOURCE.len(), "comment lines are left out");
    }

    /// The script names what crosses to the server as `protocol` does.
    #[test]
    fn the_script_speaks_the_protocol() {
        use crate::protocol::*;
        let names = [
            FORM_ATTRIBUTE,
            READY_ATTRIBUTE,
            RULE_ATTRIBUTE,
            LABEL_ATTRIBUTE,
            PENDING_ATTRIBUTE,
            CANCEL_ATTRIBUTE,
            PROGRESS_ATTRIBUTE,
            MAX_BYTES_ATTRIBUTE,
            TOO_LARGE_ATTRIBUTE,
            REGIONS_ATTRIBUTE,
            DEBOUNCE_ATTRIBUTE,
            REGION_ATTRIBUTE,
            TAGS_ATTRIBUTE,
            LIVE_ATTRIBUTE,
            POSITION_META,
            ITEM_FIELD,
            ENHANCED_HEADER,
            LOCATION_HEADER,
            REVALIDATED_HEADER,
            REVALIDATION_ID_HEADER,
            REFRESH_HEADER,
            LIVE_PATH,
            ISLANDS_TEMPLATE_ID,
            crate::live::EVENT,
            crate::live::EVERYTHING,
        ];
        for name in names {
            assert!(
                SOURCE.contains(&format!("\"{name}")) || SOURCE.contains(&format!("[{name}")),
                "formwork.js does not use {name}"
            );
        }
    }
}
