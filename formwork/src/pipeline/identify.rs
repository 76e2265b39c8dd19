//! Who is asking: the session, looked up once per request (pages and actions, not the static
//! files), and only when the request carries a session cookie.

use super::{
    body::read_body,
    find,
    posted::{posted_form, referer_path, PostedForm},
    respond::{error_response, is_document_request, no_store, unavailable_page},
    Answer, Pipeline,
};
use crate::{flash::write::redirect, ActionError};
use axum::{
    extract::Request,
    http::{header, HeaderValue, Method},
    response::{IntoResponse, Response},
};

/// The request, with the signed-in [`Principal`](crate::identity::Principal) in its
/// extensions when there is one; when the session store cannot say, the 503 answer (who is
/// asking is unknown, not "nobody": never answered as signed out).
pub(super) async fn who_is_asking(
    pipeline: &Pipeline,
    mut request: Request,
) -> Result<Request, Answer> {
    let Some(sessions) = &pipeline.sessions else {
        return Ok(request);
    };
    if request.uri().path().starts_with(&pipeline.static_prefix) {
        return Ok(request);
    }
    match sessions.resolve(request.headers()).await {
        Ok(Some(principal)) => {
            request.extensions_mut().insert(principal);
            Ok(request)
        }
        Ok(None) => Ok(request),
        Err(error) => Err(Box::new(unavailable(pipeline, &error, request).await)),
    }
}

/// What a request is answered when the database cannot say who is asking (see
/// [`Sessions::resolve`](crate::identity::Sessions::resolve)): a plain form post comes back to its form with its input and the
/// reason (carried in the flash cookie, since the flash store is that database); a script
/// gets the 503 as data; a page view gets a short 503 page. Nothing runs.
async fn unavailable(pipeline: &Pipeline, error: &ActionError, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let document = is_document_request(request.headers());
    let action =
        pipeline.serves_actions_at(&path) && find::registered_actions().contains_key(path.as_str());
    match (
        &pipeline.flash,
        action && document && request.method() == Method::POST,
    ) {
        (Some(settings), true) => {
            let limit = crate::registry::declaration(&path)
                .and_then(|declaration| declaration.body_limit)
                .unwrap_or(pipeline.max_body_bytes);
            let back = referer_path(request.headers());
            let (parts, body) = request.into_parts();
            let form = match read_body(body, limit).await {
                Ok(bytes) => posted_form(&parts.headers, &bytes).await,
                Err(_) => PostedForm::default(),
            };
            redirect(
                settings,
                &path,
                Err(error),
                form.inputs,
                form.return_to.or(back),
            )
            .await
        }
        _ if document && !action => {
            let mut response = (
                error.status(),
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                unavailable_page(),
            )
                .into_response();
            if let Some(seconds) = error.retry_after() {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            no_store(response)
        }
        _ => error_response(error, document),
    }
}
