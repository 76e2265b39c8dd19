//! The site's actions, as `server actions` prints them, against the golden file beside this
//! test. Any change to the attack surface (a new action, another access policy, a larger body
//! limit, a dropped rate limit) fails here until the golden file is updated in the same
//! commit: `UPDATE_GOLDEN=1 cargo test -p server --test manifest`.

use server::config::DEFAULT_ACTION_BODY_LIMIT;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/actions.golden");

#[test]
fn the_action_manifest_matches_its_golden_file() {
    let actual = server::ops::actions(DEFAULT_ACTION_BODY_LIMIT);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        if let Err(error) = std::fs::write(GOLDEN, &actual) {
            panic!("could not write {GOLDEN}: {error}");
        }
        return;
    }
    let expected = std::fs::read_to_string(GOLDEN).unwrap_or_default();
    if actual != expected {
        let changed: Vec<String> = expected
            .lines()
            .filter(|line| !actual.lines().any(|l| l == *line))
            .map(|line| format!("- {line}"))
            .chain(
                actual
                    .lines()
                    .filter(|line| !expected.lines().any(|l| l == *line))
                    .map(|line| format!("+ {line}")),
            )
            .collect();
        panic!(
            "the site's actions changed; review the lines below, then update the golden file \
             in the same commit (UPDATE_GOLDEN=1 cargo test -p server --test manifest):\n{}",
            changed.join("\n")
        );
    }
}

#[test]
fn every_action_is_declared_and_listed() {
    let manifest = server::ops::actions(DEFAULT_ACTION_BODY_LIMIT);
    assert!(!manifest.contains("UNDECLARED"), "{manifest}");
    // The header and one line per server function linked into the site.
    let mut paths: Vec<&str> = server_fn::axum::server_fn_paths().map(|(p, _)| p).collect();
    paths.sort_unstable();
    paths.dedup();
    assert_eq!(manifest.lines().count(), paths.len() + 1, "{manifest}");
    for path in paths {
        assert!(
            manifest.lines().any(|l| l.starts_with(&format!("{path} "))),
            "{path} is missing from:\n{manifest}"
        );
    }
}
