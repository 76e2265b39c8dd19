//! Origin: another site's page may not make the user's browser call an action (CSRF), and a
//! post that carries cookies but shows no page it came from must carry a form token this
//! server signed (see [`crate::origin`]).

use super::{body::read_body, posted::posted_form, Answer, Call};
use crate::{
    client_ip,
    messages::{text, Message},
    origin::{check_form_token, Verdict},
    ActionError,
};
use axum::{body::Body, extract::Request, http::Method};

/// 403 for another site's page; else whether the request must show a form token (checked
/// once its body is read, by [`form_token`]). Reads (GET, HEAD) change nothing and stay
/// linkable.
pub(super) fn judge(call: &Call, request: &Request) -> Result<bool, Answer> {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD);
    let Some(policy) = call.pipeline.origin.as_ref().filter(|_| !safe) else {
        return Ok(false);
    };
    let forwarded = crate::origin::forwarded_origin(
        &call.pipeline.trusted_proxies,
        client_ip::peer(request.extensions()),
        request.headers(),
    );
    match policy.judge(request.headers(), forwarded.as_deref()) {
        Verdict::Foreign(from) => {
            tracing::warn!(action = %call.path, %from, "refused a cross-site request");
            Err(Box::new(
                call.answer(&ActionError::forbidden(text(Message::CrossSite))),
            ))
        }
        Verdict::NeedsFormToken => Ok(true),
        Verdict::Allowed => Ok(false),
    }
}

/// The request, when it needs no form token or its form data carries one this server signed;
/// else 403.
pub(super) async fn form_token(
    call: &Call,
    request: Request,
    limit: u64,
    needed: bool,
) -> Result<Request, Answer> {
    if !needed {
        return Ok(request);
    }
    match with_form_token(request, call.pipeline.flash.as_ref().map(|f| &f.key), limit).await {
        Some(request) => Ok(request),
        None => {
            tracing::warn!(action = %call.path, "refused a request with cookies, no origin and no form token");
            Err(Box::new(call.answer(&ActionError::forbidden(text(
                Message::NoProvenance,
            )))))
        }
    }
}

async fn with_form_token(
    request: Request,
    key: Option<&crate::signing::SigningKey>,
    limit: u64,
) -> Option<Request> {
    let key = key?;
    let (parts, body) = request.into_parts();
    // Form data was already read (within the limit) by the body step.
    let bytes = read_body(body, limit).await.ok()?;
    let token = posted_form(&parts.headers, &bytes).await.signed_once?;
    check_form_token(key, &token).then(|| Request::from_parts(parts, Body::from(bytes)))
}
