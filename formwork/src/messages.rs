//! Every sentence formwork shows a person, in one catalog an app can override, with English
//! defaults.
//!
//! Each sentence has a [`Message`] key. Its English text names its placeholders in braces
//! (`{seconds}`, `{label}`); an override may use them in any order, or leave them out, and
//! may use no others. The app hands its catalog to the builder
//! (`Formwork::builder(&options).messages(…)`); the server then speaks it, and
//! [`Scripts`](crate::meta::Scripts) carries the overrides to the page, where formwork's
//! browser side reads them before it hydrates, so a message made in the browser (a field's
//! rule checked in WASM, a server that cannot be reached) reads the same as one made on the
//! server.
//!
//! ```
//! use formwork::messages::{Message, Messages};
//!
//! let messages = Messages::english()
//!     .set(Message::FixFields, "Some fields need attention: see the notes beside them.")
//!     .set(Message::RateLimited, "Slow down: try again in {seconds} s.");
//! assert!(messages.check().is_ok());
//! assert_eq!(
//!     messages.fill(Message::RateLimited, &[("seconds", &7)]),
//!     "Slow down: try again in 7 s."
//! );
//!
//! // A placeholder the sentence is not given is refused before the app starts.
//! let wrong = Messages::english().set(Message::RateLimited, "Wait {secs} s.");
//! assert!(wrong.check().unwrap_err().contains("{secs}"));
//! ```
//!
//! There is one catalog per process (the server's, or the page's in the browser).

use std::{borrow::Cow, fmt::Display, sync::RwLock};

macro_rules! catalog {
    ($($(#[doc = $doc:literal])* $key:ident = $text:literal;)*) => {
        /// One sentence formwork can show a person. Its English text is its documentation.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Message {
            $($(#[doc = $doc])* #[doc = concat!("\n\nEnglish: “", $text, "”")] $key,)*
        }

        impl Message {
            /// Every message, in catalog order.
            pub const ALL: &'static [Message] = &[$(Message::$key),*];

            /// The English text, with its placeholders.
            pub const fn english(self) -> &'static str {
                match self {
                    $(Message::$key => $text,)*
                }
            }

            /// The key's name, as the page's catalog names it (`"FixFields"`).
            pub const fn name(self) -> &'static str {
                match self {
                    $(Message::$key => stringify!($key),)*
                }
            }
        }
    };
}

catalog! {
    // Answers to an action (ActionError).
    /// 401: the action needs a signed-in user.
    SignIn = "Please sign in to do this.";
    /// 403: the caller is signed in, but their rank is too low for the action.
    NotAllowed = "Your account is not allowed to do this.";
    /// 404: `{what}` is the missing thing as the start of a sentence (“That action”).
    NotFound = "{what} was not found.";
    /// What an action that does not exist is called in [`Message::NotFound`].
    ThatAction = "That action";
    /// 413: `{limit}` is the largest body, like “4 KB”.
    TooLarge = "This is too large to send: the limit is {limit}. Make it smaller and try again.";
    /// 422 with several messages: the form's summary.
    FixFields = "Please correct the highlighted fields.";
    /// 429.
    RateLimited = "Too many requests. Please try again in {seconds} seconds.";
    /// 500: `{reference}` is the correlation id the server logged the cause under.
    Internal = "Something went wrong on our side. If it keeps happening, quote reference {reference}.";
    /// 503 made in the browser: no answer, or one it could not read.
    Unreachable = "The server could not be reached. Check your connection and try again.";
    /// 503 from the server: its database is down; nothing was saved.
    TemporarilyUnavailable = "This could not be done just now: the site is temporarily unavailable and nothing was saved. Your input is still here; try again in {seconds} seconds.";
    /// The page a page view gets while the database cannot say who is asking: its title.
    UnavailableTitle = "Temporarily unavailable";
    /// The same page's text.
    UnavailablePage = "The site cannot reach its data just now. You are still signed in; reload this page in a few seconds.";

    // Requests the pipeline refuses.
    /// 403: a post from another site's page.
    CrossSite = "This request came from another site, so it was refused. Use the form on this site's own page.";
    /// 403: a post with cookies but no sign of the page it came from.
    NoProvenance = "This request did not show which page it came from, so it was refused. Reload the page and send the form again.";
    /// 403: an action nobody declared.
    NotAvailable = "This action is not available.";
    /// 405: `{allow}` lists the methods, like “POST”.
    MethodNotAllowed = "This action accepts only {allow} requests.";
    /// 400: a method the server function layer does not accept.
    MethodNotAccepted = "This action does not accept {method} requests.";
    /// 415: `{sent}` is the request's content type, `{expected}` what the action reads.
    ContentType = "The request was sent as {sent}, which this action does not read. Send it as {expected}.";
    /// 415: a post without a content type.
    NoContentType = "The request was sent without a content type. Send it as {expected}.";
    /// 415: a form action's expected type, said to a person.
    FormEncoding = "application/x-www-form-urlencoded, as an HTML form does";
    /// 400: a multipart body without a boundary.
    NoBoundary = "The upload is malformed: a multipart/form-data body needs a boundary.";
    /// 400: the body could not be read; `{detail}` says where.
    BodyUnreadable = "The request body could not be read: {detail}";
    /// 400: the arguments could not be decoded; `{detail}` says which.
    DataUnreadable = "The submitted data could not be read: {detail}";
    /// 400 made in the browser: the form could not be encoded.
    NotSent = "The form could not be sent: {detail}";
    /// 400: a form field that is not UTF-8.
    FieldNotUtf8 = "The form data is malformed: field {field} is not valid UTF-8.";
    /// 400: a `%` in form data that is not followed by two hex digits.
    FieldBadEscape = "The form data is malformed: field {field} has a `%` that is not followed by two hex digits.";
    /// 400: a form field with a NUL character.
    FieldNul = "The form data is malformed: field {field} contains a NUL character.";
    /// 400: a bound argument (a hidden field the server signed) was changed.
    StaleForm = "This form was changed after the server made it. Reload the page and try again.";
    /// 409: the same form was posted again while its first post still runs.
    StillRunning = "This form was already sent and is still being handled. Reload the page in a moment to see the result.";
    /// 408: the body stopped arriving.
    BodyStopped = "The request stopped arriving before it was complete, so nothing was done. Send it again.";

    // Uploads.
    /// 400: more fields than an upload form has.
    TooManyFields = "The form has more than {count} fields; send only the form's own.";
    /// 400: the file field the action reads is missing.
    NoFileField = "The form has no file field named “{field}”.";
    /// 400: a text field of an upload is not UTF-8.
    FieldNotText = "The form field “{field}” is not valid UTF-8 text.";
    /// 400: the upload broke off; `{detail}` says how.
    UploadUnreadable = "The upload could not be read ({detail}). Send the form again.";
    /// The person cancelled an upload.
    UploadCancelled = "The upload was cancelled; nothing was changed.";
    /// The accessible name of an upload's progress bar.
    UploadProgress = "Upload progress";
    /// The progress in words; `{sent}` and `{total}` are sizes like “1.2 MB”.
    UploadSent = "{sent} of {total} sent";

    // Rules (checked in the browser and on the server); `{label}` is the field's label.
    /// A required field left empty.
    Empty = "{label} cannot be empty.";
    /// Control characters (a NUL, a terminal escape) in text.
    ControlCharacters = "{label} cannot contain control characters.";
    /// Text shorter than the rule's minimum.
    TooShort = "{label} needs at least {min} characters.";
    /// Text longer than the rule's maximum; `{count}` is its length.
    TooLong = "{label} can be at most {max} characters (it has {count}).";
    /// Not an email address.
    Email = "Enter an email address like name@example.org.";
    /// An email address over 254 characters.
    EmailTooLong = "An email address can be at most 254 characters.";
    /// Not a whole number.
    NotWholeNumber = "{label} must be a whole number, like 42.";
    /// Not a number.
    NotNumber = "{label} must be a number, like 4.25.";
    /// More digits after the point than the rule allows.
    TooManyPlaces = "{label} can have at most {places} digits after the point.";
    /// A number under the rule's minimum.
    NumberTooSmall = "{label} must be at least {min}.";
    /// A number over the rule's maximum.
    NumberTooLarge = "{label} must be at most {max}.";
    /// A box that must be ticked, left empty.
    MustTick = "Tick “{label}” to go on.";
    /// A checkbox sent with a value that is neither ticked nor not.
    NotTickable = "{label} is either ticked or not.";
    /// A required choice left empty.
    ChooseOne = "Choose an option for {label}.";
    /// A value that is not one of the choices.
    NotAChoice = "Choose one of the options for {label}.";
    /// A confirmation that differs from the field it confirms; `{other}` is that field's label.
    NotSame = "{label} does not match {other}.";

    // The live stream's route (a page asking for updates).
    /// 400: the path a page listens for is not one of this site's.
    LivePath = "The path to listen for must be a path on this site, like /about.";
    /// 400: too many tags.
    LiveTooManyTags = "A page may listen for at most {max} tags.";
    /// 400: a tag too long or not printable.
    LiveTag = "A tag is at most {max} bytes of printable text.";
}

/// A catalog: English, with the app's overrides.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Messages {
    overrides: Vec<(Message, Cow<'static, str>)>,
}

impl Messages {
    /// The English defaults, nothing overridden.
    pub fn english() -> Self {
        Self::default()
    }

    /// The catalog with `message` saying `text` instead.
    pub fn set(mut self, message: Message, text: impl Into<Cow<'static, str>>) -> Self {
        let text = text.into();
        match self.overrides.iter_mut().find(|(key, _)| *key == message) {
            Some(slot) => slot.1 = text,
            None => self.overrides.push((message, text)),
        }
        self
    }

    /// What `message` says, placeholders unfilled.
    pub fn text(&self, message: Message) -> &str {
        self.overrides
            .iter()
            .find(|(key, _)| *key == message)
            .map_or(message.english(), |(_, text)| text)
    }

    /// What `message` says with its placeholders filled from `values` (`("seconds", &7)`);
    /// a placeholder without a value stays as written.
    pub fn fill(&self, message: Message, values: &[(&str, &dyn Display)]) -> String {
        fill(self.text(message), values)
    }

    /// Refuses an override that uses a placeholder its English text does not have (it
    /// would reach people as `{secs}`). The builder calls it before the app starts.
    pub fn check(&self) -> Result<(), String> {
        for (message, text) in &self.overrides {
            let known = placeholders(message.english()).collect::<Vec<_>>();
            if let Some(unknown) = placeholders(text).find(|name| !known.contains(name)) {
                let known = match known.as_slice() {
                    [] => "none".to_owned(),
                    names => names
                        .iter()
                        .map(|name| format!("{{{name}}}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                };
                return Err(format!(
                    "the message {} uses {{{unknown}}}, which it is not given (it is given: {known})",
                    message.name()
                ));
            }
        }
        Ok(())
    }

    /// The overrides as the page carries them: a JSON object from key names to texts, safe
    /// inside a `<script>` element (every `<` is written `\u003c`); `None` when nothing is
    /// overridden.
    pub fn page_json(&self) -> Option<String> {
        if self.overrides.is_empty() {
            return None;
        }
        let map = self
            .overrides
            .iter()
            .map(|(message, text)| (message.name(), text.as_ref()))
            .collect::<std::collections::BTreeMap<_, _>>();
        let json = serde_json::to_string(&map).ok()?;
        Some(json.replace('<', "\\u003c"))
    }

    /// The catalog a page carried ([`page_json`](Self::page_json)); unknown keys are
    /// skipped, and text that is not a JSON object gives the English catalog.
    pub fn from_page_json(json: &str) -> Self {
        let map: std::collections::BTreeMap<String, String> =
            serde_json::from_str(json).unwrap_or_default();
        map.into_iter()
            .fold(Self::english(), |messages, (name, text)| match Message::ALL
                .iter()
                .find(|message| message.name() == name)
            {
                Some(&message) => messages.set(message, text),
                None => messages,
            })
    }
}

/// The `{name}`s in `text`.
fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .filter(|name| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

fn fill(text: &str, values: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            values
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (close, value))
        });
        match value {
            Some((close, value)) => {
                out.push_str(&value.to_string());
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The process's catalog, with the JSON its pages carry made once; `None` is English.
static CATALOG: RwLock<Option<Installed>> = RwLock::new(None);

struct Installed {
    messages: Messages,
    page_json: Option<String>,
}

/// Makes `messages` this process's catalog (the builder does, after
/// [`check`](Messages::check); formwork's browser side does with the page's).
pub fn install(messages: Messages) {
    let installed = (!messages.overrides.is_empty()).then(|| Installed {
        page_json: messages.page_json(),
        messages,
    });
    match CATALOG.write() {
        Ok(mut catalog) => *catalog = installed,
        Err(poisoned) => *poisoned.into_inner() = installed,
    }
}

fn read<T>(f: impl FnOnce(Option<&Installed>) -> T) -> T {
    match CATALOG.read() {
        Ok(catalog) => f(catalog.as_ref()),
        Err(poisoned) => f(poisoned.into_inner().as_ref()),
    }
}

/// This process's overrides as every page carries them ([`Messages::page_json`], made once
/// when the catalog was installed).
pub fn page_json() -> Option<String> {
    read(|installed| installed.and_then(|i| i.page_json.clone()))
}

/// What `message` says in this process's catalog, placeholders unfilled.
pub fn text(message: Message) -> Cow<'static, str> {
    read(|installed| match installed {
        Some(installed) => Cow::Owned(installed.messages.text(message).to_owned()),
        None => Cow::Borrowed(message.english()),
    })
}

/// What `message` says in this process's catalog with its placeholders filled from `values`.
pub fn say(message: Message, values: &[(&str, &dyn Display)]) -> String {
    read(|installed| {
        fill(
            installed.map_or(message.english(), |i| i.messages.text(message)),
            values,
        )
    })
}

/// Reads the catalog the page carries (see [`Scripts`](crate::meta::Scripts)), if it carries
/// one, and installs it.
#[cfg(feature = "hydrate")]
pub(crate) fn install_from_page() {
    let json = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.get_element_by_id(crate::protocol::MESSAGES_ELEMENT_ID))
        .and_then(|element| element.text_content());
    if let Some(json) = json {
        install(Messages::from_page_json(&json));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_english_text_fills_its_own_placeholders() {
        for &message in Message::ALL {
            let names = placeholders(message.english()).collect::<Vec<_>>();
            let values = names
                .iter()
                .map(|name| (*name, &"x" as &dyn Display))
                .collect::<Vec<_>>();
            let filled = Messages::english().fill(message, &values);
            assert!(!filled.contains('{'), "{message:?}: {filled}");
        }
    }

    #[test]
    fn names_are_unique_and_overrides_round_trip_through_the_page() {
        for (i, a) in Message::ALL.iter().enumerate() {
            assert!(Message::ALL[i + 1..].iter().all(|b| a.name() != b.name()));
        }
        let messages = Messages::english()
            .set(
                Message::Empty,
                "{label} is required </script><script>alert(1)</script>",
            )
            .set(Message::SignIn, "Sign in first.");
        let json = messages.page_json().expect("overrides");
        assert!(!json.contains('<'), "{json}");
        let read = Messages::from_page_json(&json);
        assert_eq!(read.text(Message::SignIn), "Sign in first.");
        assert_eq!(
            read.text(Message::Empty),
            "{label} is required </script><script>alert(1)</script>"
        );
        assert_eq!(read.text(Message::Email), Message::Email.english());
        assert_eq!(Messages::english().page_json(), None);
        assert_eq!(Messages::from_page_json("not json"), Messages::english());
        assert_eq!(
            Messages::from_page_json(r#"{"NoSuchKey":"x"}"#),
            Messages::english()
        );
    }

    #[test]
    fn fill_leaves_unknown_braces_and_fills_repeats() {
        assert_eq!(fill("{a} and {a}, {b} {", &[("a", &1)]), "1 and 1, {b} {");
        assert_eq!(fill("no placeholders", &[("a", &1)]), "no placeholders");
        assert_eq!(fill("{a}{a}", &[("a", &"é")]), "éé");
    }

    #[test]
    fn check_names_the_unknown_placeholder_and_what_is_given() {
        let error = Messages::english()
            .set(Message::TooLong, "{label}: {max} at most, not {length}.")
            .check()
            .unwrap_err();
        assert!(error.contains("TooLong"), "{error}");
        assert!(error.contains("{length}"), "{error}");
        assert!(error.contains("{label}, {max}, {count}"), "{error}");
        // Leaving placeholders out, or reordering them, is fine.
        assert!(Messages::english()
            .set(Message::TooLong, "At most {max}.")
            .set(Message::TooShort, "{min}+ characters for {label}.")
            .check()
            .is_ok());
    }

    #[test]
    fn a_later_set_replaces_an_earlier_one() {
        let messages = Messages::english()
            .set(Message::SignIn, "one")
            .set(Message::SignIn, "two");
        assert_eq!(messages.text(Message::SignIn), "two");
        assert_eq!(messages.overrides.len(), 1);
    }
}
