//! What [`#[formwork::action]`](macro@crate::action) gives each action beyond its server function:
//! the schema its forms render ([`Action`]), and the checks it puts at the top of the body.

use crate::schema::Schema;
#[cfg(feature = "ssr")]
use crate::{schema::Validated, ActionError};
#[cfg(feature = "ssr")]
use std::cell::Cell;

/// An action declared with [`#[formwork::action]`](macro@crate::action): what its forms need to
/// know of it, in the browser as on the server.
pub trait Action: server_fn::ServerFn {
    /// The schema of the fields its form posts: the type of its `#[server(flatten)]`
    /// argument, or [`NoFields`](crate::schema::NoFields) when it has none.
    type Schema: Schema;
}

/// One argument on its way into the body (the action attribute's expansion): a
/// [`Schema`]'s value is validated ([`CheckSchema`]), any other passes as it came
/// ([`PassThrough`]). Which one applies is decided by the argument's type where the action
/// is written, by method resolution: an inherent choice needs no trait of the app's.
#[cfg(feature = "ssr")]
#[doc(hidden)]
pub struct Input<T>(Cell<Option<T>>);

#[cfg(feature = "ssr")]
impl<T> Input<T> {
    #[doc(hidden)]
    pub fn new(value: T) -> Self {
        Self(Cell::new(Some(value)))
    }

    /// The argument, borrowed: the receiver that lets method resolution pick
    /// [`CheckSchema`] for a schema and fall back to [`PassThrough`] by auto-reference.
    #[doc(hidden)]
    pub fn arrive(&self) -> &Self {
        self
    }

    fn take(&self) -> Result<T, ActionError> {
        self.0
            .take()
            .ok_or_else(|| ActionError::internal("an action's argument was taken twice"))
    }
}

#[cfg(feature = "ssr")]
/// A schema's value: trimmed and checked, or a 422 with every field's message.
#[doc(hidden)]
pub trait CheckSchema<T> {
    fn checked(&self) -> Result<T, ActionError>;
}

#[cfg(feature = "ssr")]
impl<T: Validated> CheckSchema<T> for Input<T> {
    fn checked(&self) -> Result<T, ActionError> {
        self.take()?.validated()
    }
}

#[cfg(feature = "ssr")]
/// Any other argument, as it came.
#[doc(hidden)]
pub trait PassThrough<T> {
    fn checked(&self) -> Result<T, ActionError>;
}

#[cfg(feature = "ssr")]
impl<T> PassThrough<T> for &Input<T> {
    fn checked(&self) -> Result<T, ActionError> {
        self.take()
    }
}

/// The request's user, if the action's policy admits them (401, 403 otherwise).
#[cfg(feature = "ssr")]
#[doc(hidden)]
pub fn admit(
    access: crate::registry::Access,
) -> Result<Option<crate::identity::Principal>, ActionError> {
    let who = crate::identity::current();
    access.admits(who.as_ref())?;
    Ok(who)
}

/// The signed-in user an action that requires one receives as its `Principal` argument.
#[cfg(feature = "ssr")]
#[doc(hidden)]
pub fn admit_principal(
    access: crate::registry::Access,
) -> Result<crate::identity::Principal, ActionError> {
    admit(access)?.ok_or(ActionError::Unauthenticated)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::Rule;

    crate::schema! {
        #[derive(Debug, Clone, PartialEq)]
        struct Title {
            title: String = Rule::text("Title").chars(2, 10),
        }
    }

    #[test]
    fn a_schema_argument_is_checked_and_trimmed_and_anything_else_passes() {
        #[allow(unused_imports)]
        use super::{CheckSchema as _, PassThrough as _};
        // What the action attribute writes for each argument.
        let trimmed = Input::new(Title {
            title: "  Hello ".into(),
        })
        .arrive()
        .checked();
        assert_eq!(
            trimmed.ok(),
            Some(Title {
                title: "Hello".into()
            })
        );
        let Err(ActionError::Validation { fields, .. }) =
            Input::new(Title { title: "x".into() }).arrive().checked()
        else {
            panic!("a one-character title passed");
        };
        assert_eq!(fields["title"], ["Title needs at least 2 characters."]);
        // Not a schema: as it came (resolved to PassThrough by autoref).
        let plain: Result<i64, ActionError> = Input::new(7_i64).arrive().checked();
        assert_eq!(plain.ok(), Some(7));
        let text: Result<String, ActionError> = Input::new(" x ".to_owned()).arrive().checked();
        assert_eq!(text.ok().as_deref(), Some(" x "));
    }
}
