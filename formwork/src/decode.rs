//! How a [`schema!`](crate::schema!) struct reads a form: each field from the text the form
//! sent, by its rule. A value that is wrong for its field (a word where a number goes, a
//! choice that is not one, a box that must be ticked) is a message at that field, and every
//! field is checked at once: the action answers 422 with all of them, never a 400 because
//! one did not decode.
//!
//! The generated `Deserialize` fails with the field errors behind [`FIELD_ERRORS`];
//! [`ActionError`](crate::ActionError)'s conversion from a server function's decoding error
//! turns them back into [`ActionError::Validation`](crate::ActionError::Validation).

use crate::{schema::Rule, FieldErrors};
use serde::de::{self, DeserializeOwned, Deserializer, IntoDeserializer, Visitor};
use std::{collections::BTreeMap, fmt};

/// What a schema's decoding failure says in front of its field errors (JSON).
pub const FIELD_ERRORS: &str = "formwork-field-errors:";

/// A form's fields as sent: each name with the text of its value (none for a field sent
/// without one).
#[derive(Debug, Default)]
pub struct Sent(BTreeMap<String, Option<String>>);

impl Sent {
    /// The text sent for `name`, if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|value| value.as_deref())
    }
}

impl<'de> serde::Deserialize<'de> for Sent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = Sent;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a form's fields")
            }
            fn visit_map<M: de::MapAccess<'de>>(self, mut map: M) -> Result<Sent, M::Error> {
                let mut fields = BTreeMap::new();
                while let Some((name, value)) = map.next_entry::<String, Value>()? {
                    fields.insert(name, value.0);
                }
                Ok(Sent(fields))
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

/// One sent value as text: a string, a number or a boolean as written. A list or a nested
/// structure (`name[]=…`, `name[x]=…`) is no field's value: the request is unreadable (400).
struct Value(Option<String>);

impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a form value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
                Ok(Value(Some(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
                Ok(Value(Some(v)))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
                Ok(Value(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
                Ok(Value(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
                Ok(Value(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
                Ok(Value(Some(v.to_string())))
            }
            fn visit_none<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
                serde::Deserialize::deserialize(d)
            }
        }
        deserializer.deserialize_any(Text)
    }
}

/// Reads field `name` of type `T` from `sent`: first its rule's check of the text (its message
/// goes to `problems`), then the value. `fields` are the schema's rules, for a confirmation's
/// other field.
pub fn field<T: DeserializeOwned>(
    sent: &Sent,
    name: &'static str,
    rule: &Rule,
    fields: &[(&'static str, Rule)],
    problems: &mut FieldErrors,
) -> Option<T> {
    let raw = sent.get(name);
    let mut complain = |message: String| {
        problems.entry(name.to_owned()).or_default().push(message);
    };
    if let Err(message) = rule.check(raw.unwrap_or_default()) {
        complain(message);
        return None;
    }
    if let Some(other) = rule.same_as {
        let texts = [(other, sent.get(other))];
        if let Some(message) =
            crate::schema::confirm(rule, raw.unwrap_or_default(), other, &texts, fields)
        {
            complain(message);
            return None;
        }
    }
    match T::deserialize(Text(raw)) {
        Ok(value) => Some(value),
        Err(_) => {
            use crate::{messages::Message, schema::Kind};
            let message = match rule.kind {
                Kind::Integer => Message::NotWholeNumber,
                Kind::Decimal => Message::NotNumber,
                Kind::Checkbox => Message::NotTickable,
                Kind::Choice | Kind::Text | Kind::Email | Kind::Password => Message::NotAChoice,
            };
            complain(crate::messages::say(message, &[("label", &rule.label)]));
            None
        }
    }
}

/// The error a schema's decoding fails with: the field errors, behind [`FIELD_ERRORS`].
pub fn field_errors(problems: &FieldErrors) -> String {
    format!(
        "{FIELD_ERRORS}{}",
        serde_json::to_string(problems).unwrap_or_default()
    )
}

/// The field errors in a decoding error's text, if a schema made it.
pub fn field_errors_in(detail: &str) -> Option<FieldErrors> {
    let at = detail.find(FIELD_ERRORS)? + FIELD_ERRORS.len();
    let mut stream = serde_json::Deserializer::from_str(&detail[at..]).into_iter::<FieldErrors>();
    stream.next()?.ok()
}

/// One field's text as a deserializer: a number, a box, a choice or text, as the field's type
/// asks.
struct Text<'a>(Option<&'a str>);

impl<'a> Text<'a> {
    fn trimmed(&self) -> &'a str {
        self.0.unwrap_or_default().trim()
    }
}

macro_rules! numbers {
    ($($method:ident => $visit:ident as $ty:ty),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            match self.trimmed().parse::<$ty>() {
                Ok(number) => visitor.$visit(number),
                Err(_) => Err(de::Error::custom("not a number")),
            }
        }
    )*};
}

impl<'de> Deserializer<'de> for Text<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Some(text) => visitor.visit_str(text),
            None => visitor.visit_none(),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        if self.trimmed().is_empty() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.trimmed() {
            "" | "false" | "off" => visitor.visit_bool(false),
            "on" | "true" => visitor.visit_bool(true),
            _ => Err(de::Error::custom("neither ticked nor not")),
        }
    }

    numbers! {
        deserialize_i8 => visit_i8 as i8,
        deserialize_i16 => visit_i16 as i16,
        deserialize_i32 => visit_i32 as i32,
        deserialize_i64 => visit_i64 as i64,
        deserialize_u8 => visit_u8 as u8,
        deserialize_u16 => visit_u16 as u16,
        deserialize_u32 => visit_u32 as u32,
        deserialize_u64 => visit_u64 as u64,
        deserialize_f32 => visit_f32 as f32,
        deserialize_f64 => visit_f64 as f64,
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_enum(self.trimmed().into_deserializer())
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_str(self.0.unwrap_or_default())
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_str(self.0.unwrap_or_default())
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char bytes byte_buf unit unit_struct newtype_struct seq tuple tuple_struct
        map struct identifier ignored_any
    }
}

/// A field's value as text, when it is text (`String`, `Option<String>`): the schema checks
/// and trims those; other types were checked as they were read.
#[doc(hidden)]
pub struct Probe<'a, T>(pub &'a T);

#[doc(hidden)]
pub trait TextOf<'a> {
    fn text_of(&self) -> Option<&'a str>;
}

impl<'a> TextOf<'a> for Probe<'a, String> {
    fn text_of(&self) -> Option<&'a str> {
        Some(self.0)
    }
}

impl<'a> TextOf<'a> for Probe<'a, Option<String>> {
    fn text_of(&self) -> Option<&'a str> {
        Some(self.0.as_deref().unwrap_or_default())
    }
}

#[doc(hidden)]
pub trait NoText<'a> {
    fn text_of(&self) -> Option<&'a str> {
        None
    }
}

impl<'a, T> NoText<'a> for &Probe<'a, T> {}

/// A field to trim, when it is text.
#[doc(hidden)]
pub struct ProbeMut<'a, T>(pub &'a mut T);

#[doc(hidden)]
pub trait TrimText {
    fn trim_text(self);
}

impl TrimText for ProbeMut<'_, String> {
    fn trim_text(self) {
        crate::schema::FieldValue::trim_in_place(self.0);
    }
}

impl TrimText for ProbeMut<'_, Option<String>> {
    fn trim_text(self) {
        crate::schema::FieldValue::trim_in_place(self.0);
    }
}

#[doc(hidden)]
pub trait TrimNone {
    fn trim_text(self);
}

impl<T> TrimNone for &ProbeMut<'_, T> {
    fn trim_text(self) {}
}
