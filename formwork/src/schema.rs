//! One schema for both sides: the input struct of an action, its garde rules, and what the
//! browser gets from them.
//!
//! An input struct is declared with [`schema!`](crate::schema!). Each field names one
//! [`Rule`]: text, an email, a password, a whole number or a decimal (with a range), a
//! checkbox, a choice among fixed values, optional or required, and a confirmation of
//! another field. From that single declaration:
//!
//! - the struct reads itself from a form by its rules (formwork's `decode`): a wrong value is a
//!   message at its field, every field at once, and the action answers 422 (never a 400
//!   because a number did not parse);
//! - the struct derives `garde::Validate`, each text field checked by its rule; the server
//!   validates every submission with it ([`Validated::validated`]) and answers 422 with the
//!   field messages;
//! - the form renders the rule as HTML constraint attributes (`required`, `minlength`,
//!   `maxlength`, `type=email`), so a browser checks even without JavaScript;
//! - in an island, the WASM checks each field on blur and the whole form on submit with the
//!   same rule, so the messages are the server's own, word for word.
//!
//! The rules are small hand-written checks ([`crate::rules`]): no regex engine reaches the
//! WASM, where it would cost more than the rest of the page.

use crate::{rules, ActionError, FieldErrors};

/// What kind of value a field holds; decides the input type and any format check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Free text.
    Text,
    /// An email address, checked by [`rules::email`].
    Email,
    /// A password: never trimmed, never echoed back to the form.
    Password,
    /// A whole number (`i64`, `u32`, …), optionally within a range.
    Integer,
    /// A number with a fractional part (`f64`), optionally within a range and with at most
    /// some digits after the point.
    Decimal,
    /// A checkbox (`bool`): ticked or not; a required one must be ticked.
    Checkbox,
    /// One of a fixed list of values (an enum, from a `<select>` or radio buttons).
    Choice,
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
    /// For numbers: the smallest and the largest value allowed.
    pub range: Option<(f64, f64)>,
    /// For decimals: the most digits after the point.
    pub places: u8,
    /// For a choice: the values it may take, as the form sends them.
    pub choices: &'static [&'static str],
    /// The field whose value this one must repeat (an email or password confirmation).
    pub same_as: Option<&'static str>,
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
            range: None,
            places: 0,
            choices: &[],
            same_as: None,
        }
    }

    /// A required whole number (limit it with [`range`](Self::range)).
    pub const fn integer(label: &'static str) -> Self {
        Self {
            kind: Kind::Integer,
            max_chars: 32,
            ..Self::text(label)
        }
    }

    /// A required number with at most two digits after the point (see
    /// [`places`](Self::places) and [`range_f64`](Self::range_f64)).
    pub const fn decimal(label: &'static str) -> Self {
        Self {
            kind: Kind::Decimal,
            max_chars: 32,
            places: 2,
            ..Self::text(label)
        }
    }

    /// A checkbox: ticked or not. Add [`required`](Self::required) for one that must be
    /// ticked ("I accept the terms").
    pub const fn checkbox(label: &'static str) -> Self {
        Self {
            kind: Kind::Checkbox,
            required: false,
            min_chars: 0,
            max_chars: 8,
            ..Self::text(label)
        }
    }

    /// A required choice of one of `values`, as the form sends them (an enum's serde names).
    pub const fn choice(label: &'static str, values: &'static [&'static str]) -> Self {
        Self {
            kind: Kind::Choice,
            max_chars: 200,
            choices: values,
            ..Self::text(label)
        }
    }

    /// Must be filled in (ticked, for a checkbox).
    pub const fn required(self) -> Self {
        Self {
            required: true,
            ..self
        }
    }

    /// For a number: between `min` and `max`, both included.
    pub const fn range(self, min: i64, max: i64) -> Self {
        Self {
            range: Some((min as f64, max as f64)),
            ..self
        }
    }

    /// For a decimal: between `min` and `max`, both included.
    pub const fn range_f64(self, min: f64, max: f64) -> Self {
        Self {
            range: Some((min, max)),
            ..self
        }
    }

    /// For a decimal: at most `places` digits after the point.
    pub const fn places(self, places: u8) -> Self {
        Self { places, ..self }
    }

    /// Must repeat the value of field `other` (a confirmation); checked in the browser and on
    /// the server, and reported at this field.
    pub const fn same_as(self, other: &'static str) -> Self {
        Self {
            same_as: Some(other),
            ..self
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

    /// The `type` of the `<input>` for this field (a choice is a `<select>` or radio buttons,
    /// which the component decides).
    pub const fn input_type(&self) -> &'static str {
        match self.kind {
            Kind::Text | Kind::Choice => "text",
            Kind::Email => "email",
            Kind::Password => "password",
            Kind::Integer | Kind::Decimal => "number",
            Kind::Checkbox => "checkbox",
        }
    }

    /// The name the browser runtime knows this kind by (`data-fw-rule`).
    pub const fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Text => "text",
            Kind::Email => "email",
            Kind::Password => "password",
            Kind::Integer => "integer",
            Kind::Decimal => "decimal",
            Kind::Checkbox => "checkbox",
            Kind::Choice => "choice",
        }
    }

    /// Whether the field's value is text, limited in characters (not a number, a box or a
    /// choice).
    pub const fn is_text(&self) -> bool {
        matches!(self.kind, Kind::Text | Kind::Email | Kind::Password)
    }

    /// Whether the value is trimmed before it is checked and kept.
    pub const fn trims(&self) -> bool {
        !matches!(self.kind, Kind::Password)
    }

    /// For a number input's `step`: `1` for a whole number, `0.01` for two places.
    pub fn step(&self) -> Option<String> {
        match self.kind {
            Kind::Integer => Some("1".to_owned()),
            Kind::Decimal if self.places == 0 => Some("1".to_owned()),
            Kind::Decimal => Some(format!("0.{}1", "0".repeat(usize::from(self.places) - 1))),
            _ => None,
        }
    }

    /// Checks one value as the form sends it; the message says what to change.
    pub fn check(&self, value: &str) -> Result<(), String> {
        use crate::messages::{say, Message};
        let label: (&str, &dyn std::fmt::Display) = ("label", &self.label);
        if !self.is_text() {
            let value = value.trim();
            if self.kind == Kind::Checkbox {
                return match value {
                    "" | "false" | "off" if self.required => Err(say(Message::MustTick, &[label])),
                    "" | "false" | "off" | "on" | "true" => Ok(()),
                    _ => Err(say(Message::NotTickable, &[label])),
                };
            }
            if value.is_empty() {
                let empty = match self.kind {
                    Kind::Choice => Message::ChooseOne,
                    _ => Message::Empty,
                };
                return if self.required {
                    Err(say(empty, &[label]))
                } else {
                    Ok(())
                };
            }
            return match self.kind {
                Kind::Choice if self.choices.contains(&value) => Ok(()),
                Kind::Choice => Err(say(Message::NotAChoice, &[label])),
                _ => self.check_number(value),
            };
        }
        let value = if self.trims() { value.trim() } else { value };
        if value.is_empty() {
            return if self.required {
                Err(say(Message::Empty, &[label]))
            } else {
                Ok(())
            };
        }
        if self.kind != Kind::Password {
            rules::plain_text(self.label, value)?;
        }
        rules::length(self.label, value, self.min_chars.max(1), self.max_chars)?;
        if self.kind == Kind::Email {
            rules::email(value)?;
        }
        match self.check {
            Some(check) => check(value).map_err(str::to_owned),
            None => Ok(()),
        }
    }
}

impl Rule {
    /// A number's format, places and range (`value` is trimmed and not empty).
    fn check_number(&self, value: &str) -> Result<(), String> {
        use crate::messages::{say, Message};
        let label: (&str, &dyn std::fmt::Display) = ("label", &self.label);
        let digits = value.strip_prefix(['-', '+']).unwrap_or(value);
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
        let well_formed = all_digits(whole)
            && all_digits(fraction)
            && !(whole.is_empty() && fraction.is_empty())
            && !(digits.contains('.') && fraction.is_empty())
            && value.len() <= 32;
        let parsed = value.parse::<f64>().ok().filter(|n| n.is_finite());
        let number = match (self.kind, parsed) {
            (Kind::Integer, Some(n)) if well_formed && !digits.contains('.') => n,
            (Kind::Integer, _) => return Err(say(Message::NotWholeNumber, &[label])),
            (_, Some(n)) if well_formed => n,
            _ => return Err(say(Message::NotNumber, &[label])),
        };
        if self.kind == Kind::Decimal && fraction.len() > usize::from(self.places) {
            return Err(say(
                Message::TooManyPlaces,
                &[label, ("places", &self.places)],
            ));
        }
        if let Some((min, max)) = self.range {
            if number < min {
                return Err(say(Message::NumberTooSmall, &[label, ("min", &min)]));
            }
            if number > max {
                return Err(say(Message::NumberTooLarge, &[label, ("max", &max)]));
            }
        }
        Ok(())
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
        let value = value_of(name).unwrap_or_default();
        let problem = rule.check(&value).err().or_else(|| {
            let other = rule.same_as?;
            let theirs = value_of(other);
            confirm(rule, &value, other, &[(other, theirs.as_deref())], fields)
        });
        if let Some(message) = problem {
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

/// A confirmation's check (see [`Rule::same_as`]): `text` must be what field `other` holds
/// (`texts`: each text field's value by name); the message at this field when it is not.
pub fn confirm(
    rule: &Rule,
    text: &str,
    other: &str,
    texts: &[(&str, Option<&str>)],
    fields: &[(&'static str, Rule)],
) -> Option<String> {
    let theirs = texts
        .iter()
        .find(|(name, _)| *name == other)
        .and_then(|(_, text)| *text)
        .unwrap_or_default();
    let same = if rule.trims() {
        text.trim() == theirs.trim()
    } else {
        text == theirs
    };
    (!same).then(|| {
        let other_label = rule_of(fields, other).map_or(other, |r| r.label);
        crate::messages::say(
            crate::messages::Message::NotSame,
            &[("label", &rule.label), ("other", &other_label)],
        )
    })
}

/// The garde `custom` check for one rule.
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

    #[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Size {
        Small,
        Large,
    }

    crate::schema! {
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        struct Order {
            quantity: u32 = Rule::integer("Quantity").range(1, 10),
            price: f64 = Rule::decimal("Price").range_f64(0.5, 1000.0),
            gift: bool = Rule::checkbox("Gift wrap"),
            terms: bool = Rule::checkbox("I accept the terms").required(),
            size: Size = Rule::choice("Size", &["small", "large"]),
            note: Option<String> = Rule::text("Note").optional().chars(0, 20),
            email: String = Rule::email("Email"),
            again: String = Rule::email("Email again").same_as("email"),
        }
    }

    /// Reads an `Order` from a form's fields, as an action's decoder does.
    fn order(pairs: &[(&str, &str)]) -> Result<Order, FieldErrors> {
        use serde::Deserialize as _;
        let form = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        let map = serde::de::value::MapDeserializer::<_, serde::de::value::Error>::new(form);
        Order::deserialize(map)
            .map_err(|e| crate::decode::field_errors_in(&e.to_string()).unwrap_or_default())
    }

    const GOOD: &[(&str, &str)] = &[
        ("quantity", " 3 "),
        ("price", "9.99"),
        ("gift", "on"),
        ("terms", "on"),
        ("size", "large"),
        ("note", ""),
        ("email", "ada@example.org"),
        ("again", "ada@example.org "),
        ("__fw_once", "ignored"),
    ];

    #[test]
    fn numbers_boxes_choices_and_optional_fields_are_read_by_their_rules() {
        let read = order(GOOD).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            (
                read.quantity,
                read.price,
                read.gift,
                read.terms,
                read.size,
                read.note
            ),
            (3, 9.99, true, true, Size::Large, None)
        );
        let unticked = order(&[&GOOD[..2], &GOOD[3..]].concat()).map(|o| o.gift);
        assert_eq!(unticked, Ok(false), "a box left unticked sends nothing");
    }

    #[test]
    fn every_wrong_value_is_a_message_at_its_field_all_at_once() {
        let wrong = [
            ("quantity", "three"),
            ("price", "9.999"),
            ("gift", "maybe"),
            ("size", "medium"),
            ("note", "far more than twenty characters"),
            ("email", "ada@example.org"),
            ("again", "bob@example.org"),
        ];
        let Err(fields) = order(&wrong) else {
            panic!("expected field errors");
        };
        let said = |field: &str| fields.get(field).map(|m| m.join(" ")).unwrap_or_default();
        assert_eq!(
            said("quantity"),
            "Quantity must be a whole number, like 42."
        );
        assert_eq!(
            said("price"),
            "Price can have at most 2 digits after the point."
        );
        assert_eq!(said("gift"), "Gift wrap is either ticked or not.");
        assert_eq!(said("terms"), "Tick “I accept the terms” to go on.");
        assert_eq!(said("size"), "Choose one of the options for Size.");
        assert_eq!(
            said("note"),
            "Note can be at most 20 characters (it has 31)."
        );
        assert_eq!(said("again"), "Email again does not match Email.");
        assert!(!fields.contains_key("email"), "{fields:?}");

        let ranges = order(&[("quantity", "0"), ("price", "1000.01")])
            .err()
            .unwrap_or_default();
        assert_eq!(ranges["quantity"], ["Quantity must be at least 1."]);
        assert_eq!(ranges["price"], ["Price must be at most 1000."]);
        let missing = order(&[]).err().unwrap_or_default();
        assert_eq!(missing["quantity"], ["Quantity cannot be empty."]);
        assert_eq!(missing["size"], ["Choose an option for Size."]);
        assert_eq!(missing["email"], ["Email cannot be empty."]);
    }

    #[test]
    fn the_browser_checks_the_same_fields_with_the_same_words() {
        let wrong = [
            ("quantity", "2.5"),
            ("price", "-1"),
            ("size", "medium"),
            ("email", "ada@example.org"),
            ("again", "ada@example.com"),
        ];
        let server = order(&wrong).err().unwrap_or_default();
        let browser = check_fields(Order::FIELDS, |name| {
            wrong
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        });
        assert_eq!(server, browser);
        assert_eq!(browser["price"], ["Price must be at least 0.5."]);
    }

    #[test]
    fn a_schemas_field_errors_become_a_422_not_a_400() {
        use server_fn::error::{FromServerFnError, ServerFnErrorErr};
        let detail = order(&[("quantity", "x")])
            .err()
            .map(|fields| crate::decode::field_errors(&fields))
            .unwrap_or_default();
        let error = ActionError::from_server_fn_error(ServerFnErrorErr::Args(format!(
            "Error parsing form: {detail}"
        )));
        assert_eq!(error.status().as_u16(), 422);
        assert_eq!(
            error.field_messages("quantity"),
            ["Quantity must be a whole number, like 42."]
        );
    }

    #[test]
    fn number_inputs_carry_their_step() {
        assert_eq!(Rule::integer("N").step().as_deref(), Some("1"));
        assert_eq!(Rule::decimal("N").step().as_deref(), Some("0.01"));
        assert_eq!(
            Rule::decimal("N").places(3).step().as_deref(),
            Some("0.001")
        );
        assert_eq!(Rule::decimal("N").places(0).step().as_deref(), Some("1"));
        assert_eq!(Rule::text("N").step(), None);
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
