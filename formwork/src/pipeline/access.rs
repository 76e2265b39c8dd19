//! Access: the action's declared policy, before a byte of its arguments is read.

use super::{Answer, Call};
use crate::registry::Declaration;

/// 401 for a signed-out caller of an action that needs a user, 403 for a rank too low.
pub(super) async fn admit(call: &Call, declaration: &Declaration) -> Result<(), Answer> {
    match declaration.access.admits(call.principal.as_ref()) {
        Ok(()) => Ok(()),
        Err(error) => {
            tracing::info!(action = %call.path, access = ?declaration.access, status = %error.status(), "refused by the access policy");
            Err(Box::new(call.refuse(&error, None).await))
        }
    }
}
