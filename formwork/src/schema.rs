//! One schema for both sides: the input struct of an action, its garde rules, and what the
//! browser gets from them.
//!
//! An input struct is declared with [`schema!`](crate::schema!). Each text field names one
//! [`Rule`]. From that single declaration:
//!
//! - the struct derives `garde::Validate`, each field checked by its rule (garde `custom`);
//!   the server validates every submission with it ([`Validated::validated`]) and answers 422
//!   with the field messages;
//! - the form renders the rule as HTML constraint attributes (`required`, `minlength`,
//!   `maxlength`, `type=email`), so a browser checks even without JavaScript;
//! - in an island, the WASM checks each field on blur and the whole form on submit with the
//!   same rule, so the messages are the server's own, word for word.
//!
//! The rules are small hand-written checks ([`crate::rules`]): no regex engine reaches the
//! WASM, where it would cost more than the rest of the page.

use crate::{rules, ActionError, FieldErrors};

/// What kind of text a field holds; decides the input type and any format check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Free text.
    Text,
    /// An email address, checked by [`rules::email`].
    Email,
    /// A password: never trimmed, never echoed back to the form.
    Password,
}

/// An app's own check of a field's value, run on both sides after formwork's (the value is
/// trimmed unless it is a password). `Err` is the message shown at the field.
pub type Check = fn(&str) -> Result<(), &'static str>;

/// The rule one form field must meet, on the server and in the browser.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    /// The field's name in messages ("Title needs at least 2 characters.").
    pub label: &'static str,
    /// What kind of text the field holds (its input type and format check).
    pub kind: Kind,
    /// An empty (or blank) value is refused.
    pub required: bool,
    /// Fewest characters, counted after trimming (passwords are not trimmed).
    pub min_chars: usize,
    /// Most characters, counted the same way.
    pub max_chars: usize,
    /// The app's own check, if any (see [`Rule::check_with`]).
    pub check: Option<Check>,
}

impl Rule {
    /// Required free text of at most 1,000 characters.
    pub const fn text(label: &'static str) -> Self {
        Self {
            label,
            kind: Kind::Text,
            required: true,
            min_chars: 1,
            max_chars: 1_000,
            check: None,
        }
    }

    /// A required email address (at most 254 characters).
    pub const fn email(label: &'static str) -> Self {
        Self {
            kind: Kind::Email,
            max_chars: 254,
            ..Self::text(label)
        }
    }

    /// A required password of 8 to 128 characters.
    pub const fn password(label: &'static str) -> Self {
        Self {
            kind: Kind::Password,
            min_chars: 8,
            max_chars: 128,
            ..Self::text(label)
        }
    }

    /// Adds the app's own `check` (a format, a character set, …), run after formwork's
    /// checks on the server and in the browser:
    /// `Rule::text("Username").chars(3, 30).check_with(username)`.
    pub const fn check_with(self, check: Check) -> Self {
        Self {
            check: Some(check),
            ..self
        }
    }

    /// Between `min` and `max` characters.
    pub const fn chars(self, min: usize, max: usize) -> Self {
        Self {
            min_chars: min,
            max_chars: max,
            ..self
        }
    }

    /// May be left empty; when filled in, the other limits apply.
    pub const fn optional(self) -> Self {
        Self {
            required: false,
            min_chars: 0,
            ..self
        }
    }

    /// The `type` of the `<input>` for this field.
    pub const fn input_type(&self) -> &'static str {
        match self.kind {
            Kind::Text => "text",
            Kind::Email => "email",
            Kind::Password => "password",
        }
    }

    /// Whether the value is trimmed before it is checked and kept.
    pub const fn trims(&self) -> bool {
        !matches!(self.kind, Kind::Password)
    }

    /// Checks one value; the message says what to change.
    pub fn check(&self, value: &str) -> Result<(), String> {
        let value = if self.trims() { value.trim() } else { value };
        if value.is_empty() {
            return if self.required {
                Err(crate::messages::say(
                    crate::messages::Message::Empty,
                    &[("label", &self.label)],
                ))
            } else {
                Ok(())
            };
        }
        if self.kind != Kind::Password {
            rules::plain_text(self.label, value)?;
        }
        rules::length(self.label, value, self.min_chars.max(1), self.max_chars)?;
        match self.kind {
            Kind::Email => rules::email(value)?,
            Kind::Text | Kind::Password => {}
        }
        match self.check {
            Some(check) => check(value).map_err(str::to_owned),
            None => Ok(()),
        }
    }
}

/// An action's input struct, declared with [`schema!`](crate::schema!): its fields and their
/// rules, in form order.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a formwork schema",
    label = "declared without formwork::schema!",
    note = "an action's flattened argument is its form's fields: declare its type with formwork::schema!"
)]
pub trait Schema: garde::Validate<Context = ()> {
    /// `(field name, rule)` for every field.
    const FIELDS: &'static [(&'static str, Rule)];

    /// One typed [`Field`](crate::Field) handle per field (`state.fields().title`).
    type Fields: Copy;

    /// The handles, each made by `field` from its name.
    fn fields(field: impl Fn(&'static str) -> crate::Field) -> Self::Fields;

    /// The rule of one field.
    fn rule(name: &str) -> Option<Rule> {
        rule_of(Self::FIELDS, name)
    }

    /// Trims the fields whose rules trim, so what is checked is what is kept.
    fn normalize(&mut self);
}

/// The schema of an action whose form has no fields of its own to check (a delete button, an
/// upload): no rules, and no handles.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFields;

impl garde::Validate for NoFields {
    type Context = ();

    fn validate_into(&self, _: &(), _: &mut dyn FnMut() -> garde::Path, _: &mut garde::Report) {}
}

impl Schema for NoFields {
    const FIELDS: &'static [(&'static str, Rule)] = &[];
    type Fields = ();

    fn fields(_: impl Fn(&'static str) -> crate::Field) {}

    fn normalize(&mut self) {}
}

/// The rule of field `name` among a schema's `fields`.
pub fn rule_of(fields: &[(&'static str, Rule)], name: &str) -> Option<Rule> {
    fields
        .iter()
        .find(|(field, _)| *field == name)
        .map(|(_, rule)| *rule)
}

/// Checks a whole form's values (by field name) against a schema's rules, as the browser does
/// on submit. An absent field counts as empty.
pub fn check_fields<'a>(
    fields: &[(&'static str, Rule)],
    mut value_of: impl FnMut(&str) -> Option<String> + 'a,
) -> FieldErrors {
    let mut errors = FieldErrors::new();
    for (name, rule) in fields {
        if let Err(message) = rule.check(&value_of(name).unwrap_or_default()) {
            errors.insert((*name).to_owned(), vec![message]);
        }
    }
    errors
}

/// A form field's value as a rule sees it.
pub trait FieldValue {
    /// The text to check (empty when there is no value).
    fn text(&self) -> &str;
    /// Removes leading and trailing whitespace; an optional value left empty becomes `None`.
    fn trim_in_place(&mut self);
}

impl FieldValue for String {
    fn text(&self) -> &str {
        self
    }

    fn trim_in_place(&mut self) {
        let trimmed = self.trim();
        if trimmed.len() != self.len() {
            *self = trimmed.to_owned();
        }
    }
}

impl FieldValue for Option<String> {
    fn text(&self) -> &str {
        self.as_deref().unwrap_or_default()
    }

    fn trim_in_place(&mut self) {
        if let Some(value) = self {
            value.trim_in_place();
            if value.is_empty() {
                *self = None;
            }
        }
    }
}

/// The garde `custom` check for one rule (used by [`schema!`](crate::schema!)).
pub fn enforce<V: FieldValue + ?Sized>(rule: Rule) -> impl Fn(&V, &()) -> garde::Result {
    move |value, _| rule.check(value.text()).map_err(garde::Error::new)
}

/// Server-side validation of an action's input.
pub trait Validated: Schema + Sized {
    /// Trims the input and checks it against its schema: the input, ready to keep, or a 422
    /// carrying every field's messages.
    fn validated(mut self) -> Result<Self, ActionError> {
        self.normalize();
        garde::Validate::validate(&self).map_err(ActionError::from)?;
        Ok(self)
    }
}

impl<S: Schema> Validated for S {}

impl From<garde::Report> for ActionError {
    fn from(report: garde::Report) -> Self {
        let mut fields = FieldErrors::new();
        let mut form = Vec::new();
        for (path, error) in report.iter() {
            let path = path.to_string();
            if path.is_empty() {
                form.push(error.message().to_owned());
            } else {
                fields
                    .entry(path)
                    .or_default()
                    .push(error.message().to_owned());
            }
        }
        Self::Validation { fields, form }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::schema! {
        #[derive(Debug, Clone, PartialEq)]
        struct Signup {
            name: String = Rule::text("Name").chars(2, 10),
            email: String = Rule::email("Email"),
            password: String = Rule::password("Password").chars(12, 64),
            bio: Option<String> = Rule::text("Bio").optional().chars(0, 5),
        }
    }

    fn signup(name: &str, email: &str, password: &str, bio: Option<&str>) -> Signup {
        Signup {
            name: name.into(),
            email: email.into(),
            password: password.into(),
            bio: bio.map(Into::into),
        }
    }

    #[test]
    fn the_server_and_the_browser_give_the_same_messages() {
        let input = signup(" a ", "a@b", "short", Some("too long"));
        let Err(ActionError::Validation { fields, form }) = input.clone().validated() else {
            panic!("expected a 422");
        };
        assert!(form.is_empty());
        let browser = check_fields(Signup::FIELDS, |name| {
            Some(match name {
                "name" => input.name.clone(),
                "email" => input.email.clone(),
                "password" => input.password.clone(),
                _ => input.bio.clone().unwrap_or_default(),
            })
        });
        assert_eq!(fields, browser);
        assert_eq!(fields["name"], ["Name needs at least 2 characters."]);
        assert_eq!(
            fields["email"],
            ["Enter an email address like name@example.org."]
        );
        assert_eq!(
            fields["password"],
            ["Password needs at least 12 characters."]
        );
        assert_eq!(
            fields["bio"],
            ["Bio can be at most 5 characters (it has 8)."]
        );
    }

    #[test]
    fn valid_input_is_trimmed_but_passwords_are_not() {
        let input = signup(" Ada ", " ada@example.org ", " twelve chars ", Some("  "));
        let valid = input.validated().unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            valid,
            signup("Ada", "ada@example.org", " twelve chars ", None)
        );
    }

    #[test]
    fn rules_render_as_constraints() {
        let name = Signup::rule("name").unwrap_or_else(|| panic!("no rule"));
        assert_eq!(
            (name.required, name.min_chars, name.max_chars),
            (true, 2, 10)
        );
        assert_eq!(Signup::rule("email").map(|r| r.input_type()), Some("email"));
        assert_eq!(
            Signup::rule("password").map(|r| r.input_type()),
            Some("password")
        );
        assert_eq!(Signup::rule("bio").map(|r| r.required), Some(false));
        assert!(Signup::rule("nope").is_none());
    }

    #[test]
    fn blank_required_fields_say_so() {
        assert_eq!(
            Rule::text("Title").check("   "),
            Err("Title cannot be empty.".into())
        );
        assert_eq!(Rule::text("Title").optional().check(""), Ok(()));
    }
}
