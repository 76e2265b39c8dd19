//! Rate limit: the quota the action declared, per client or per user (429 with the seconds
//! to wait).

use super::{once::remember, posted::PostedForm, Answer, Call};
use crate::{
    client_ip::{self, ClientKey},
    flash::{
        write::{store_and_redirect, Keep},
        Flash,
    },
    rate_limit::Decision,
    registry::Declaration,
    ActionError,
};
use axum::extract::Request;
use server_fn::error::FromServerFnError;

/// Who the call counts for when its action is limited per client: the socket's address, or
/// the one trusted proxies name.
pub(super) fn client(call: &Call, request: &Request) -> ClientKey {
    let peer = client_ip::peer(request.extensions());
    ClientKey::of(
        call.pipeline
            .trusted_proxies
            .client_ip(peer, request.headers()),
    )
}

/// Counts the call against its action's rate limit, if it declares one; over it, a script
/// gets the 429 and a plain form post gets it in its form, input kept, as this submission's
/// outcome (a repeat replays it).
pub(super) async fn spend(
    call: &Call,
    declaration: &Declaration,
    client: ClientKey,
    form: Option<&PostedForm>,
    once: Option<&str>,
) -> Result<(), Answer> {
    let Some(rate) = declaration.rate_limit.as_ref() else {
        return Ok(());
    };
    let bucket = rate.bucket(
        &call.path,
        client,
        call.principal.as_ref().map(|p| p.user_id),
    );
    let limiter = &call.pipeline.limiter;
    let Decision::Refused { retry_after } = limiter.check(&bucket, rate).await else {
        return Ok(());
    };
    let retry_after_secs = Decision::retry_after_secs(retry_after);
    tracing::warn!(%bucket, limiter = limiter.kind(), retry_after_secs, "rate limit reached");
    let error = ActionError::RateLimited { retry_after_secs };
    Err(Box::new(match (call.form_post(), form) {
        (Some(settings), Some(form)) => {
            let target = form.return_to.clone().or_else(|| call.back.clone());
            let flash = Flash {
                action: call.path.clone(),
                ok: false,
                body: String::from_utf8_lossy(&error.ser()).into_owned(),
                inputs: form.inputs.clone(),
            };
            if let Some(token) = once {
                remember(settings, token, &flash, target.as_ref()).await;
            }
            store_and_redirect(settings, &flash, target, Keep::Store).await
        }
        _ => call.answer(&error),
    }))
}
