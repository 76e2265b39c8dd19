//! Small validation rules shared by the browser and the server.
//!
//! Hand-written on purpose: they compile to a few hundred bytes of WASM, where a regex engine
//! would cost the page more than everything else on it. Their messages are the catalog's
//! ([`crate::messages`]).

use crate::messages::{say, text, Message};

/// A practical email address check: `local@domain.tld`, at most 254 characters.
///
/// It accepts what people type (`first.last+tag@mail.example.org`) and refuses what is
/// certainly a mistake (no `@`, no dot in the domain, spaces, empty parts).
pub fn email(value: &str) -> Result<(), String> {
    let invalid = || text(Message::Email).into_owned();
    if value.len() > 254 {
        return Err(text(Message::EmailTooLong).into_owned());
    }
    let Some((local, domain)) = value.rsplit_once('@') else {
        return Err(invalid());
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    if local_ok && domain_ok {
        Ok(())
    } else {
        Err(invalid())
    }
}

/// Text a person typed: no control characters but tabs and line breaks (a NUL, which
/// PostgreSQL cannot store, or a terminal escape), and something visible, not only
/// zero-width characters.
pub fn plain_text(label: &str, value: &str) -> Result<(), String> {
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(say(Message::ControlCharacters, &[("label", &label)]));
    }
    if value.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
        return Err(say(Message::Empty, &[("label", &label)]));
    }
    Ok(())
}

/// Characters that take no space on screen.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

/// A trimmed length check in characters (not bytes), with a message naming the field.
pub fn length(label: &str, value: &str, min: usize, max: usize) -> Result<(), String> {
    let chars = value.trim().chars().count();
    if chars == 0 && min > 0 {
        Err(say(Message::Empty, &[("label", &label)]))
    } else if chars < min {
        Err(say(Message::TooShort, &[("label", &label), ("min", &min)]))
    } else if chars > max {
        Err(say(
            Message::TooLong,
            &[("label", &label), ("max", &max), ("count", &chars)],
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_people_type_are_accepted() {
        for ok in [
            "a@example.org",
            "first.last+tag@mail.example.org",
            "o'brien@example.ie",
            "x_y-z@sub-domain.example.co",
        ] {
            assert_eq!(email(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn certain_mistakes_are_refused() {
        for bad in [
            "",
            "plain",
            "a@b",
            "@example.org",
            "a@.org",
            "a@example.",
            "a b@example.org",
            "a@exa mple.org",
            "a..b@example.org",
            ".a@example.org",
            "a@-example.org",
            "a@example.1",
            "a@@example.org",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
        assert!(email(&format!("{}@example.org", "a".repeat(65))).is_err());
        assert!(email(&format!("a@{}.org", "b".repeat(260))).is_err());
    }

    #[test]
    fn text_has_no_control_characters_and_something_to_see() {
        assert_eq!(plain_text("Title", "Hello\n\tworld ✓ 👩‍👩‍👧"), Ok(()));
        assert_eq!(plain_text("Title", "x' OR '1'='1"), Ok(()));
        for bad in ["a\u{0}b", "\u{1b}[31mred", "bell\u{7}", "c1\u{85}"] {
            assert_eq!(
                plain_text("Title", bad),
                Err("Title cannot contain control characters.".into()),
                "{bad:?}"
            );
        }
        assert_eq!(
            plain_text("Title", "\u{200B}\u{2060} \u{FEFF}"),
            Err("Title cannot be empty.".into())
        );
    }

    #[test]
    fn lengths_count_trimmed_characters() {
        assert_eq!(
            length("Name", " é ", 2, 10),
            Err("Name needs at least 2 characters.".into())
        );
        assert_eq!(
            length("Name", "   ", 2, 10),
            Err("Name cannot be empty.".into())
        );
        assert_eq!(length("Name", "éé", 2, 10), Ok(()));
        assert!(length("Name", &"x".repeat(11), 2, 10).is_err());
    }
}
