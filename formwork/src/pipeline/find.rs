//! Find: the action the path names, answering the method, with its declaration.

use super::{respond::method_not_allowed, Answer, Call};
use crate::{
    messages::{text, Message},
    registry::Declaration,
    ActionError,
};
use axum::http::Method;
use std::{collections::HashMap, sync::OnceLock};

/// The action's declaration: 404 when there is no such action, 405 when it does not answer
/// `method`, 403 when it was never declared (the server refuses to start without
/// declarations, so only a build that skipped the check gets here).
pub(super) fn action(call: &Call, method: &Method) -> Result<&'static Declaration, Answer> {
    let Some(methods) = registered_actions().get(call.path.as_str()) else {
        return Err(Box::new(
            call.answer(&ActionError::not_found(text(Message::ThatAction))),
        ));
    };
    if !methods.contains(method) {
        return Err(Box::new(method_not_allowed(methods)));
    }
    crate::registry::declaration(&call.path).ok_or_else(|| {
        tracing::error!(action = %call.path, "an action without a declaration was called");
        Box::new(call.answer(&ActionError::forbidden(text(Message::NotAvailable))))
    })
}

/// Every registered action, with the methods it answers.
pub(super) fn registered_actions() -> &'static HashMap<&'static str, Vec<Method>> {
    static ACTIONS: OnceLock<HashMap<&'static str, Vec<Method>>> = OnceLock::new();
    ACTIONS.get_or_init(|| {
        let mut map: HashMap<&'static str, Vec<Method>> = HashMap::new();
        for (path, method) in server_fn::axum::server_fn_paths() {
            map.entry(path).or_default().push(method);
        }
        map
    })
}
