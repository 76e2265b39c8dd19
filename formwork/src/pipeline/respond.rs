//! Respond: the answers the pipeline gives, to a script and to a browser's own request.

use crate::{
    messages::{say, text, Message},
    ActionError,
};
use axum::{
    body::Body,
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
};
use server_fn::error::{FromServerFnError, SERVER_FN_ERROR_HEADER};

/// A browser navigation (a plain `<form>` post) rather than a call from the server_fn client.
///
/// Browsers send `Accept: text/html` for document requests; server_fn's client does not.
pub fn is_document_request(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// A form post sent by formwork's browser runtime (see [`to_runtime`]).
pub(super) fn is_enhanced(headers: &HeaderMap) -> bool {
    headers.contains_key(crate::protocol::ENHANCED_HEADER)
}

/// The answer to the browser runtime's form post: a `303 See Other` becomes `204 No Content`
/// with its `Location` in [`LOCATION_HEADER`](crate::protocol::LOCATION_HEADER), cookies and
/// every other header kept. `fetch` would follow the redirect itself and hide the headers
/// that came with it (what the action revalidated); the runtime fetches the page itself.
pub(super) fn to_runtime(mut response: Response) -> Response {
    if response.status() != StatusCode::SEE_OTHER {
        return response;
    }
    let Some(location) = response.headers_mut().remove(header::LOCATION) else {
        return response;
    };
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    headers.insert(crate::protocol::LOCATION_HEADER, location);
    headers.remove(header::CONTENT_LENGTH);
    headers.remove(header::CONTENT_TYPE);
    *response.body_mut() = Body::empty();
    no_store(response)
}

/// 405 with the methods the action answers (`Allow`).
pub(super) fn method_not_allowed(methods: &[Method]) -> Response {
    let allow = methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let mut response = (
        StatusCode::METHOD_NOT_ALLOWED,
        say(Message::MethodNotAllowed, &[("allow", &allow)]),
    )
        .into_response();
    if let Ok(allow) = HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    no_store(response)
}

/// A plain form post always ends in `303 See Other`: server_fn answers `302`, which
/// browsers may replay as a POST.
pub(super) fn respond_to_document(mut response: Response) -> Response {
    if response.status() == StatusCode::FOUND {
        *response.status_mut() = StatusCode::SEE_OTHER;
    }
    // server_fn strips its own query parameters from the Referer and may leave a bare `?`.
    let trimmed = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.ends_with('?'))
        .and_then(|v| HeaderValue::from_str(v.trim_end_matches('?')).ok());
    if let Some(location) = trimmed {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// A script caller gets the status its error stands for, instead of server_fn's blanket 500.
pub(super) async fn respond_to_script(response: Response) -> Response {
    if !response.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(bytes) => bytes,
        Err(error) => {
            let error = ActionError::internal(format!("unreadable error body: {error}"));
            return error_response(&error, false);
        }
    };
    let error = ActionError::de(bytes.clone());
    parts.status = error.status();
    if let Some(seconds) = error.retry_after() {
        parts
            .headers
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// An error the pipeline answers itself, before the action runs.
pub fn error_response(error: &ActionError, document: bool) -> Response {
    let mut response = if document {
        (error.status(), error.to_string()).into_response()
    } else {
        let mut response = (error.status(), error.ser()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    };
    if let Some(seconds) = error.retry_after() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    no_store(response)
}

/// Action responses are never cached by browsers or proxies.
pub(super) fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The page a page view gets while the database cannot say who is asking (503), in the
/// catalog's words ([`Message::UnavailableTitle`], [`Message::UnavailablePage`]).
pub fn unavailable_page() -> String {
    let title = crate::meta::escape_text(&text(Message::UnavailableTitle));
    let body = crate::meta::escape_text(&text(Message::UnavailablePage));
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>{title}</title></head>\
         <body><main><h1>{title}</h1><p>{body}</p></main></body></html>\n"
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_runtime_reads_where_a_form_post_goes_next_and_keeps_its_cookies() {
        let redirect = Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, "/posts?before=40")
            .header(header::SET_COOKIE, "fw_flash=abc; Path=/")
            .header(crate::protocol::REVALIDATED_HEADER, "tag:posts")
            .body(Body::from("See /posts"))
            .unwrap();
        let answer = to_runtime(redirect);
        assert_eq!(answer.status(), StatusCode::NO_CONTENT);
        let headers = answer.headers();
        assert!(!headers.contains_key(header::LOCATION));
        assert_eq!(
            headers[crate::protocol::LOCATION_HEADER],
            "/posts?before=40"
        );
        assert_eq!(headers[header::SET_COOKIE], "fw_flash=abc; Path=/");
        assert_eq!(headers[crate::protocol::REVALIDATED_HEADER], "tag:posts");
        // Anything else is answered as it is.
        let refused = error_response(&ActionError::Unauthenticated, true);
        assert_eq!(to_runtime(refused).status(), StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn a_rate_limit_says_when_to_retry_with_and_without_javascript() {
        for document in [false, true] {
            let response = error_response(
                &ActionError::RateLimited {
                    retry_after_secs: 30,
                },
                document,
            );
            assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
            assert_eq!(
                response
                    .headers()
                    .get(header::RETRY_AFTER)
                    .map(|v| v.as_bytes()),
                Some(&b"30"[..])
            );
            assert_eq!(
                response
                    .headers()
                    .get(header::CACHE_CONTROL)
                    .map(|v| v.as_bytes()),
                Some(&b"no-store"[..])
            );
        }
    }
}
