//! What must not compile: an action without an access policy, a signed-in user received by a
//! public action, a setting the attribute does not know, and a form field that its action's
//! schema does not have. Each case's compiler output is kept next to it (`ui/*.stderr`), so
//! the messages people read are reviewed like code; `TRYBUILD=overwrite` rewrites them.

#[test]
fn mistakes_in_declarations_do_not_compile() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
