//! What a plain form post sends besides the action's arguments: where to go back to, its
//! one-time token, and the input to keep for the form (never a secret).

use super::{body::read_body, Answer, Call};
use crate::{
    protocol::{
        BOUND_OFFER_FIELD, FIELD_PREFIX, ITEM_FIELD, ONCE_FIELD, RETURN_FIELD, SECRET_FIELD,
    },
    LocalPath,
};
use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderMap},
};
use std::collections::BTreeMap;

/// A request past the body step.
pub(super) struct Posted {
    /// The request: its body whole for a plain form post, still streaming for a script.
    pub(super) request: Request,
    /// For a plain form post: what it sent besides the action's arguments.
    pub(super) form: Option<PostedForm>,
}

/// Reads a plain form post's body whole (it is kept, and handed on), and what it sent besides
/// the action's arguments; a script's request passes as it is.
pub(super) async fn read(call: &Call, request: Request, limit: u64) -> Result<Posted, Answer> {
    // A script's urlencoded form (an island's, a `fetch` of a rendered form) is read for its
    // one-time token only: a repeat of it gets the first answer.
    let script_form = call.pipeline.flash.is_some()
        && request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|kind| kind.starts_with("application/x-www-form-urlencoded"));
    if call.form_post().is_none() && !script_form {
        return Ok(Posted {
            request,
            form: None,
        });
    }
    let (mut parts, body) = request.into_parts();
    let bytes = match read_body(body, limit).await {
        Ok(bytes) => bytes,
        Err(refusal) => {
            return Err(Box::new(
                call.refuse(&refusal.into_error(limit), None).await,
            ))
        }
    };
    let form = posted_form(&parts.headers, &bytes).await;
    // A shared form's list of the values it offers, for its `Bound` argument to be read against.
    if let Some(offer) = &form.offer {
        parts.extensions.insert(crate::bound::Offer(offer.clone()));
    }
    Ok(Posted {
        request: Request::from_parts(parts, Body::from(bytes)),
        form: Some(form),
    })
}

/// What the pipeline reads from a plain form post besides the action's own arguments.
#[derive(Default)]
pub(super) struct PostedForm {
    /// Where to send the browser back to (same-origin only).
    pub(super) return_to: Option<LocalPath>,
    /// The rendered form's one-time submission id.
    pub(super) once: Option<String>,
    /// The same token as sent, with its signature (for the origin step).
    pub(super) signed_once: Option<String>,
    /// The inputs to keep for the form, secrets left out.
    pub(super) inputs: BTreeMap<String, String>,
    /// The name of the input that tells this form apart from others to the same action.
    pub(super) item: Option<String>,
    /// A shared form's signed list of the values its rows send (see [`crate::bound`]).
    pub(super) offer: Option<String>,
}

/// What a plain form post sent besides the action's arguments, from a urlencoded body or
/// from the text fields of a multipart one (files are never kept).
pub(super) async fn posted_form(headers: &HeaderMap, body: &axum::body::Bytes) -> PostedForm {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return read_form(body);
    }
    match multer::parse_boundary(content_type) {
        Ok(boundary) if content_type.starts_with("multipart/form-data") => {
            let fields = crate::upload::text_fields(body.clone(), &boundary).await;
            read_fields(fields.into_iter().map(|(n, v)| (n.into(), v.into())))
        }
        _ => PostedForm::default(),
    }
}

/// The return path, the submission token and the inputs to keep from a urlencoded form body.
/// Secret fields (those the form lists, and anything named like a password) are dropped.
fn read_form(body: &[u8]) -> PostedForm {
    read_fields(form_urlencoded::parse(body))
}

fn read_fields<'a>(
    fields: impl Iterator<Item = (std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
) -> PostedForm {
    let mut form = PostedForm::default();
    let mut secrets: Vec<String> = Vec::new();
    for (name, value) in fields {
        match name.as_ref() {
            RETURN_FIELD => form.return_to = LocalPath::parse(&value),
            SECRET_FIELD => secrets.extend(value.split(',').map(|s| s.trim().to_owned())),
            ITEM_FIELD => form.item = Some(value.into_owned()),
            BOUND_OFFER_FIELD => form.offer = Some(value.into_owned()),
            // Tokens are the server's own (32 hex digits, perhaps a page's form number, then
            // perhaps `.signature`); anything else is ignored.
            ONCE_FIELD => {
                if let Some(id) = crate::origin::submission_id(&value).map(str::to_owned) {
                    form.once = Some(id);
                    form.signed_once = Some(value.into_owned());
                }
            }
            name if name.starts_with(FIELD_PREFIX) => {}
            _ => {
                form.inputs
                    .entry(name.into_owned())
                    .or_insert_with(|| value.into_owned());
            }
        }
    }
    form.inputs.retain(|name, _| {
        !secrets.iter().any(|s| s == name) && !name.to_ascii_lowercase().contains("password")
    });
    form
}

/// The path (and query) of the Referer: never its host, so it cannot redirect elsewhere.
pub(super) fn referer_path(headers: &HeaderMap) -> Option<LocalPath> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let after_scheme = referer.split_once("://").map_or(referer, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    LocalPath::parse(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn form_reading_keeps_inputs_but_never_secrets() {
        let form = read_form(
            b"title=Hi&__fw_return=%2Fposts%3Fpage%3D2&password=hunter2&new_password=x\
              &token=t&__fw_secret=token&content=a+b&__fw_once=0123456789abcdef0123456789ABCDEF",
        );
        assert_eq!(
            form.return_to.map(|p| p.to_string()).as_deref(),
            Some("/posts?page=2")
        );
        assert_eq!(
            form.once.as_deref(),
            Some("0123456789abcdef0123456789ABCDEF")
        );
        assert_eq!(
            form.inputs.into_iter().collect::<Vec<_>>(),
            [
                ("content".into(), "a b".into()),
                ("title".into(), "Hi".into())
            ]
        );
    }

    #[test]
    fn a_foreign_return_path_is_dropped() {
        let form = read_form(b"__fw_return=%2F%2Fevil.example%2F&__fw_once=../../x");
        assert!(form.return_to.is_none());
        assert!(form.once.is_none(), "not a token of ours");
    }

    #[test]
    fn referer_fallback_keeps_only_the_path() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::REFERER,
            HeaderValue::from_static("https://evil.example/x?y=1"),
        );
        assert_eq!(
            referer_path(&headers).map(|p| p.to_string()).as_deref(),
            Some("/x?y=1")
        );
        headers.insert(
            header::REFERER,
            HeaderValue::from_static("https://site.example"),
        );
        assert_eq!(
            referer_path(&headers).map(|p| p.to_string()).as_deref(),
            Some("/")
        );
    }
}
