//! Reading a flash: the page view after a plain form post takes it (once) and hands it to
//! the page.

use super::{write::flash_cookie, Flash, FlashSettings, ReceivedFlash};
use crate::protocol::FLASH_COOKIE;
use axum::{extract::Request, http::header, http::Method, middleware::Next, response::Response};
use std::sync::Arc;

/// A page view that brings a flash cookie: take the flash (once) and hand it to the page.
pub(crate) async fn receive(
    settings: &FlashSettings,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(cookie) = settings.cookies.get(request.headers(), FLASH_COOKIE) else {
        return next.run(request).await;
    };
    // Only the user's own view of a page takes its flash: not a script's call, and not a
    // region refresh (which may race the navigation the flash is meant for).
    if request.method() != Method::GET
        || !crate::pipeline::is_document_request(request.headers())
        || request
            .headers()
            .contains_key(crate::protocol::REFRESH_HEADER)
    {
        return next.run(request).await;
    }
    if let Some(payload) = settings.key.open(&cookie) {
        match serde_json::from_str::<Flash>(&payload) {
            Ok(flash) => {
                request
                    .extensions_mut()
                    .insert(ReceivedFlash(Arc::new(flash)));
            }
            Err(error) => tracing::error!(%error, "ignored an unreadable flash"),
        }
    } else {
        receive_stored_flash(settings, &cookie, &mut request).await;
    }
    let mut response = next.run(request).await;
    if let Some(clear) = flash_cookie(settings, "", 0) {
        response.headers_mut().append(header::SET_COOKIE, clear);
    }
    response
}

/// A flash kept in the store, named by the (signed) id in its cookie.
async fn receive_stored_flash(settings: &FlashSettings, cookie: &str, request: &mut Request) {
    match settings.key.verify(cookie) {
        Some(id) => match settings.store.take_flash(id, crate::unix_now()).await {
            Ok(Some(payload)) => match serde_json::from_str::<Flash>(&payload) {
                Ok(flash) => {
                    request
                        .extensions_mut()
                        .insert(ReceivedFlash(Arc::new(flash)));
                }
                Err(error) => tracing::error!(%error, "ignored an unreadable flash"),
            },
            Ok(None) => tracing::debug!("flash already used or expired"),
            Err(error) => tracing::error!(%error, "could not read a flash"),
        },
        None => tracing::warn!("ignored a flash cookie with a bad signature"),
    }
}
