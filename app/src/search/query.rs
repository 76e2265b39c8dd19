//! What a search query is: its words, within limits; and how a hit is marked up.

use formwork::ActionError;

/// Most characters in a query.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most words a query is searched for (the rest are not looked at).
pub const MAX_WORDS: usize = 8;
/// Characters of content shown before and after the first match.
const BEFORE: usize = 60;
const AFTER: usize = 180;

/// `text` as search compares it: Unicode's full case folding over the canonical form, so
/// "STRASSE" and "straße" are one word, "ÉLAN" and "élan" another, and an `é` typed as one
/// character or as `e` with a combining accent the same letter. The store keeps every post's
/// title and content folded this way and looks for the folded [`words`] in it, so both
/// backends give the same answers whatever their collation.
pub fn fold(text: &str) -> String {
    // ASCII text is its own canonical form, and the only ASCII characters case folding maps
    // are A to Z: folded, it is its lowercase (most posts and queries; a post's text is folded
    // on every write).
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    unicode_fold(text)
}

fn unicode_fold(text: &str) -> String {
    use caseless::Caseless;
    use unicode_normalization::UnicodeNormalization;
    text.chars().nfd().default_case_fold().nfc().collect()
}

/// The distinct words of `q`, [folded](fold), at most [`MAX_WORDS`]; empty for a blank query.
/// A query longer than [`MAX_QUERY_CHARS`] or with control characters is refused (400).
pub fn words(q: &str) -> Result<Vec<String>, ActionError> {
    let length = q.chars().count();
    if length > MAX_QUERY_CHARS {
        return Err(ActionError::BadRequest {
            message: format!(
                "That search is {length} characters long; use at most {MAX_QUERY_CHARS}."
            ),
        });
    }
    if q.chars().any(char::is_control) {
        return Err(ActionError::BadRequest {
            message: "A search cannot contain control characters.".into(),
        });
    }
    let mut words: Vec<String> = Vec::new();
    for word in q.split_whitespace().map(fold) {
        if !words.contains(&word) && words.len() < MAX_WORDS {
            words.push(word);
        }
    }
    Ok(words)
}

/// Whether `text` holds `word` ([folded](fold)) at character `start`, case aside; the length
/// of the match in characters.
fn match_at(text: &[char], start: usize, word: &str) -> Option<usize> {
    use caseless::Caseless;
    let mut taken = 0;
    let mut wanted = word.chars().peekable();
    while wanted.peek().is_some() {
        let c = text.get(start + taken)?;
        for folded in std::iter::once(*c).default_case_fold() {
            if wanted.next() != Some(folded) {
                return None;
            }
        }
        taken += 1;
    }
    Some(taken)
}

/// `text` cut into parts, each marked whether it is a match of one of `words`.
pub fn marked(text: &str, words: &[String]) -> Vec<(String, bool)> {
    let chars: Vec<char> = text.chars().collect();
    let mut parts: Vec<(String, bool)> = Vec::new();
    let mut plain = String::new();
    let mut i = 0;
    while i < chars.len() {
        let found = words
            .iter()
            .filter(|w| !w.is_empty())
            .filter_map(|w| match_at(&chars, i, w))
            .max();
        match found {
            Some(len) => {
                if !plain.is_empty() {
                    parts.push((std::mem::take(&mut plain), false));
                }
                parts.push((chars[i..i + len].iter().collect(), true));
                i += len;
            }
            None => {
                plain.push(chars[i]);
                i += 1;
            }
        }
    }
    if !plain.is_empty() {
        parts.push((plain, false));
    }
    parts
}

/// The part of `content` around its first match of `words`, with "…" where it was cut.
pub fn snippet(content: &str, words: &[String]) -> String {
    let chars: Vec<char> = content.chars().collect();
    let first = (0..chars.len())
        .find(|&i| words.iter().any(|w| match_at(&chars, i, w).is_some()))
        .unwrap_or(0);
    let start = first.saturating_sub(BEFORE);
    let end = (first + AFTER).min(chars.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(&chars[start..end]);
    if end < chars.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn w(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ascii_folds_as_unicode_folding_does() {
        // Every ASCII character alone, then all of them in one text.
        let every: String = (0u8..128).map(char::from).collect();
        for c in every.chars() {
            assert_eq!(
                fold(&c.to_string()),
                unicode_fold(&c.to_string()),
                "{:?}",
                c
            );
        }
        assert_eq!(fold(&every), unicode_fold(&every));
        assert_eq!(fold("Hello, World! 42"), "hello, world! 42");
        // One character outside ASCII takes the whole text the Unicode way.
        assert_eq!(fold("KELVIN \u{212A}"), "kelvin k");
        assert_eq!(fold("Stra\u{DF}e"), "strasse");
    }

    #[test]
    fn a_query_is_its_distinct_lowercase_words_within_limits() {
        assert_eq!(
            words("  Rust  rust LEPTOS ").unwrap(),
            w(&["rust", "leptos"])
        );
        assert!(words("   ").unwrap().is_empty());
        assert_eq!(words(&"a ".repeat(100)).unwrap(), w(&["a"]));
        assert_eq!(words("1 2 3 4 5 6 7 8 9 10").unwrap().len(), MAX_WORDS);
        let long = "x".repeat(MAX_QUERY_CHARS + 1);
        assert_eq!(words(&long).unwrap_err().status().as_u16(), 400);
        assert!(
            words(&"é".repeat(MAX_QUERY_CHARS)).is_ok(),
            "characters, not bytes"
        );
        assert!(words("a\u{0}b").is_err());
        assert_eq!(
            words("STRASSE straße ÉLAN e\u{301}lan").unwrap(),
            w(&["strasse", "élan"]),
            "full case folding, canonical composition"
        );
    }

    #[test]
    fn matches_are_marked_whatever_their_case_and_the_rest_is_kept_as_is() {
        assert_eq!(
            marked("Rust and rUST, not rusty", &w(&["rust"])),
            vec![
                ("Rust".to_owned(), true),
                (" and ".to_owned(), false),
                ("rUST".to_owned(), true),
                (", not ".to_owned(), false),
                ("rust".to_owned(), true),
                ("y".to_owned(), false),
            ]
        );
        assert_eq!(
            marked("Ärger über Öl", &w(&["über"]))[1],
            ("über".to_owned(), true)
        );
        assert_eq!(
            marked("<b>", &w(&["b"])).len(),
            3,
            "markup is text like any other"
        );
        assert_eq!(marked("abc", &[]), vec![("abc".to_owned(), false)]);
        assert_eq!(
            marked("Die Straße", &words("STRASSE").unwrap())[1],
            ("Straße".to_owned(), true),
            "a match folds like the search"
        );
    }

    #[test]
    fn the_snippet_is_cut_around_the_first_match() {
        let content = format!("{}needle{}", "a".repeat(100), "b".repeat(300));
        let cut = snippet(&content, &w(&["needle"]));
        assert!(cut.starts_with('…') && cut.ends_with('…'), "{cut}");
        assert!(cut.contains("needle"));
        assert_eq!(snippet("short text", &w(&["text"])), "short text");
    }
}
