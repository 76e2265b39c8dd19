//! Run: the action itself, then what it revalidated reaches the open pages and the other
//! instances before its answer leaves.

use super::{
    body::LimitedBody,
    once::remember,
    posted::{Posted, PostedForm},
    respond::{no_store, respond_to_document, respond_to_script},
    Call,
};
use crate::{
    flash::{
        write::{store_and_redirect, Keep},
        Flash, FlashSettings,
    },
    invalidation::announce,
    ActionError, LocalPath,
};
use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::Response,
};
use server_fn::error::FromServerFnError;

/// Runs the action and answers: a script with the action's answer (its error's status), a
/// plain form post with `303 See Other` back to its page, the outcome in a flash.
pub(super) async fn action(
    call: &Call,
    posted: Posted,
    once: Option<String>,
    limit: u64,
    next: Next,
) -> Response {
    match (call.form_post(), posted.form) {
        (Some(settings), Some(form)) => {
            form_post(call, settings, posted.request, form, once, next).await
        }
        _ => script(call, posted.request, once, limit, next).await,
    }
}

async fn script(
    call: &Call,
    request: Request,
    once: Option<String>,
    limit: u64,
    next: Next,
) -> Response {
    // A body without a declared length is counted as it streams in: it stops at the limit,
    // the action fails to read it, and the answer is the same 413.
    let (parts, body) = request.into_parts();
    let (body, overflow) = LimitedBody::new(body, limit);
    let mut response = next.run(Request::from_parts(parts, Body::new(body))).await;
    if overflow.tripped() {
        return call.answer(&ActionError::PayloadTooLarge { limit_bytes: limit });
    }
    if !call.document {
        forget_redirect_on_error(&mut response);
    }
    audit(call, response.headers());
    announce(
        call.pipeline.bus.as_deref(),
        call.pipeline.live.as_ref(),
        response.headers_mut(),
    )
    .await;
    if call.document {
        return no_store(respond_to_document(response));
    }
    let response = respond_to_script(response).await;
    match (once, call.pipeline.flash.as_ref()) {
        (Some(token), Some(settings)) => {
            no_store(remember_answer(call, settings, &token, response).await)
        }
        _ => no_store(response),
    }
}

/// A script's answer, kept under its form's one-time token: a repeat of the submission gets
/// the same status and body (and redirect) without running the action (see `once`). An
/// answer the database failed under (503) changed nothing, and is not kept.
async fn remember_answer(
    call: &Call,
    settings: &FlashSettings,
    token: &str,
    response: Response,
) -> Response {
    if response.status() == StatusCode::SERVICE_UNAVAILABLE {
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, 1024 * 1024).await {
        Ok(body) => body,
        Err(error) => {
            let error = ActionError::internal(format!("unreadable action response: {error}"));
            return call.answer(&error);
        }
    };
    let ok = parts.status.is_success();
    let target = parts
        .headers
        .contains_key(server_fn::redirect::REDIRECT_HEADER)
        .then(|| parts.headers.get(header::LOCATION))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(LocalPath::parse)
        .filter(|_| ok);
    let flash = Flash {
        action: call.path.clone(),
        ok,
        body: String::from_utf8_lossy(&body).into_owned(),
        inputs: Default::default(),
    };
    remember(settings, token, &flash, target.as_ref()).await;
    Response::from_parts(parts, Body::from(body))
}

/// A plain form post: run the action as a script call, keep its outcome and the user's input
/// in a flash, and send the browser back to the form's page with `303 See Other`.
async fn form_post(
    call: &Call,
    settings: &FlashSettings,
    request: Request,
    form: PostedForm,
    once: Option<String>,
    next: Next,
) -> Response {
    let PostedForm {
        return_to,
        inputs,
        item,
        ..
    } = form;
    // Ask for data: leptos_axum would answer a request that accepts HTML with a redirect to
    // its Referer. The pipeline does the redirecting, to where the action's `redirect()` said
    // (its `Location`), else back to the form.
    let (mut parts, body) = request.into_parts();
    parts
        .headers
        .insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    let mut response = respond_to_script(next.run(Request::from_parts(parts, body)).await).await;
    audit(call, response.headers());
    announce(
        call.pipeline.bus.as_deref(),
        call.pipeline.live.as_ref(),
        response.headers_mut(),
    )
    .await;
    let redirect = response
        .headers()
        .contains_key(server_fn::redirect::REDIRECT_HEADER)
        .then(|| response.headers().get(header::LOCATION))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(LocalPath::parse);
    let ok = response.status().is_success();
    let database_down = response.status() == StatusCode::SERVICE_UNAVAILABLE;
    // Cookies the action set (a new session, a preference) go out with the redirect, and so
    // does what it revalidated (the browser runtime refreshes those regions).
    let carried: Vec<(&str, HeaderValue)> = [
        header::SET_COOKIE.as_str(),
        crate::protocol::REVALIDATED_HEADER,
        crate::protocol::REVALIDATION_ID_HEADER,
    ]
    .into_iter()
    .flat_map(|name| {
        response
            .headers()
            .get_all(name)
            .iter()
            .map(move |value| (name, value.clone()))
    })
    .collect();
    let body = match axum::body::to_bytes(response.into_body(), 1024 * 1024).await {
        Ok(body) => String::from_utf8_lossy(&body).into_owned(),
        Err(error) => {
            let error = ActionError::internal(format!("unreadable action response: {error}"));
            String::from_utf8_lossy(&error.ser()).into_owned()
        }
    };
    // An action that said where to go and then failed stays with its form, which shows why.
    let target = redirect
        .filter(|_| ok)
        .or(return_to)
        .or_else(|| call.back.clone());
    // A success clears the form, so its input is not kept: only the one that tells the form
    // apart from its siblings, so the success finds its way back to it.
    let inputs = if ok {
        inputs
            .into_iter()
            .filter(|(name, _)| item.as_deref() == Some(name.as_str()))
            .collect()
    } else {
        inputs
    };
    let flash = Flash {
        action: call.path.clone(),
        ok,
        body,
        inputs,
    };
    // An action the database failed under (503) changed nothing, and the database would keep
    // this answer waiting: the outcome is not recorded, and the flash rides in its cookie.
    // The first outcome of a submission and its flash are written together.
    let outcome = once
        .as_deref()
        .filter(|_| !database_down)
        .and_then(|token| Some((token, super::once::record(&flash, target.as_ref())?)));
    let keep_in = match &outcome {
        _ if database_down => Keep::Cookie,
        Some((token, outcome)) => Keep::WithOutcome { token, outcome },
        None => Keep::Store,
    };
    let mut redirect = store_and_redirect(settings, &flash, target, keep_in).await;
    for (name, value) in carried {
        redirect.headers_mut().append(name, value);
    }
    redirect
}

/// An action that called `redirect()` and then failed: its caller stays where it is and is
/// told why (server_fn's client would follow the redirect and lose the error).
fn forget_redirect_on_error(response: &mut Response) {
    if response
        .headers()
        .contains_key(server_fn::error::SERVER_FN_ERROR_HEADER)
    {
        response.headers_mut().remove(header::LOCATION);
        response
            .headers_mut()
            .remove(server_fn::redirect::REDIRECT_HEADER);
    }
}

/// Holds the action to what its declaration says it revalidates (`revalidates = […]`, see
/// [`crate::registry::Declaration::lists`]): anything outside the list is still revalidated,
/// so no page goes stale, and logged as an error that says what to add.
fn audit(call: &Call, headers: &axum::http::HeaderMap) {
    let Some(declared) = crate::registry::declaration(&call.path) else {
        return;
    };
    for value in headers.get_all(crate::protocol::REVALIDATED_HEADER) {
        let Ok(what) = value.to_str() else {
            continue;
        };
        if !declared.lists(what) {
            tracing::error!(
                action = %call.path,
                revalidated = what,
                "the action revalidated what its declaration does not list: add it to \
                 `revalidates = [...]` in its #[formwork::action], or the manifest is wrong"
            );
        }
    }
}
