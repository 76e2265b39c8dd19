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

/// The served script: the catalog's sentences, then the source's code, each line trimmed,
/// without its comments and blank lines. Whole lines only: `//` lines, and `/* … */` blocks
/// that start a line and end one. This holds because the source keeps every comment on lines
/// of its own, and no string or template literal of it spans lines (see its header).
fn script(messages: &Messages) -> String {
    let sentences = BROWSER_MESSAGES
        .iter()
        .map(|message| (message.name(), messages.text(*message)))
        .collect::<std::collections::BTreeMap<_, _>>();
    let json = serde_json::to_string(&sentences).unwrap_or_else(|_| "{}".to_owned());
    let mut out = format!("const MESSAGES = {json};\n");
    out.push_str(&code_lines(SOURCE));
    out
}

/// `source` without its comment lines, comment blocks and blank lines, each line trimmed.
fn code_lines(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut in_block = false;
    for line in source.lines() {
        let code = line.trim();
        if in_block || code.starts_with("/*") {
            // A block ends on the line that ends with its `*/`: its opening line may be it.
            in_block = !code.ends_with("*/");
            continue;
        }
        if !code.is_empty() && !code.starts_with("//") {
            out.push_str(code);
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
            .filter(|l| {
                let l = l.trim();
                l.starts_with("//") || l.starts_with("/*") || l.starts_with('*')
            })
            .count();
        assert_eq!(comment_lines, 0, "comments are left out");
        assert!(english.1.len() < SOURCE.len(), "comments are left out");
    }

    #[test]
    fn comments_blank_lines_and_indentation_go_and_code_stays_in_order() {
        let source = "// a note\n\
            /** One line. */\n\
            const a = 1; // kept: it shares its line with code\n\
            \n\
            /**\n\
             * A block,\n\
             * over lines.\n\
             */\n\
            function f(x) {\n\
            \x20   return x * 2; /* inline */\n\
            }\n\
            /* another\n\
            block */\n\
            const b = \"/* not a comment */\";\n";
        assert_eq!(
            code_lines(source),
            "const a = 1; // kept: it shares its line with code\n\
             function f(x) {\n\
             return x * 2; /* inline */\n\
             }\n\
             const b = \"/* not a comment */\";\n"
        );
    }

    /// Every line the served script leaves out of the real source is a comment (its blocks'
    /// inner lines start with `*`) or blank, and every other line is there, trimmed, in order.
    #[test]
    fn the_served_source_is_the_source_less_its_comments() {
        let kept = code_lines(SOURCE);
        let mut kept = kept.lines().peekable();
        for line in SOURCE.lines() {
            let code = line.trim();
            if !code.is_empty() && kept.peek() == Some(&code) {
                kept.next();
                continue;
            }
            let comment = code.is_empty() || ["//", "/*", "*"].iter().any(|c| code.starts_with(c));
            assert!(comment, "a line of code was left out: {line}");
        }
        assert_eq!(kept.next(), None, "every kept line is the source's");
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
            SUMMARY_FOR_ATTRIBUTE,
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
