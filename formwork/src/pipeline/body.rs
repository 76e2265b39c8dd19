//! Body: the declared limit, and a body server_fn can read as what the action declared.

use super::{Answer, Call};
use crate::{
    messages::{say, text, Message},
    ActionError,
};
use axum::{
    body::Body,
    extract::Request,
    http::{header, Method},
};

pub(super) use limit::LimitedBody;

/// The request, its body within `limit` and well-formed; else 413, 415 or 400 (through the
/// flash for a plain form post).
pub(super) async fn check(
    call: &Call,
    request: Request,
    limit: u64,
    reads: &'static str,
) -> Result<Request, Answer> {
    match well_formed(request, limit, reads).await {
        Ok(request) => Ok(request),
        Err(refusal) => Err(Box::new(
            call.refuse(&refusal.into_error(limit), None).await,
        )),
    }
}

/// Why a body was refused.
pub(super) enum Refusal {
    TooLarge,
    Malformed(String),
}

impl Refusal {
    pub(super) fn into_error(self, limit: u64) -> ActionError {
        match self {
            Self::TooLarge => ActionError::PayloadTooLarge { limit_bytes: limit },
            Self::Malformed(message) => ActionError::BadRequest { message },
        }
    }
}

/// Refuses a body over the limit, and what server_fn would turn into a 500 or a panic: a multipart body without a
/// boundary, and urlencoded bodies with broken escapes or bytes that are not UTF-8 (which
/// would otherwise be read leniently, as something the user never sent). Urlencoded bodies
/// are read here, within the limit, and handed on whole.
async fn well_formed(
    request: Request,
    limit: u64,
    reads: &'static str,
) -> Result<Request, Refusal> {
    // A declared length over the limit is refused before a byte is read.
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(declared) = declared.filter(|len| *len > limit) {
        // Read (and drop) what the client is sending before answering: a browser still
        // uploading when the connection closes shows a network error instead of the answer.
        if declared <= DRAIN_LIMIT {
            drain(request.into_body()).await;
        }
        return Err(Refusal::TooLarge);
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    // The same boundary server_fn's reader looks for (it would panic without one).
    if content_type.starts_with("multipart/form-data")
        && multer::parse_boundary(&content_type).is_err()
    {
        return Err(Refusal::Malformed(text(Message::NoBoundary).into_owned()));
    }
    // What the action reads: form data (what HTML forms send), an upload, or JSON, as its
    // server function declares. Anything else would be read as if it were that.
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if request.method() == Method::POST && media_type != reads {
        let expected = if reads == "application/x-www-form-urlencoded" {
            text(Message::FormEncoding)
        } else {
            reads.into()
        };
        return Err(Refusal::Malformed(if media_type.is_empty() {
            say(Message::NoContentType, &[("expected", &expected)])
        } else {
            say(
                Message::ContentType,
                &[("sent", &media_type), ("expected", &expected)],
            )
        }));
    }
    if media_type != "application/x-www-form-urlencoded" {
        return Ok(request);
    }
    let (parts, body) = request.into_parts();
    let bytes = read_body(body, limit).await?;
    check_urlencoded(&bytes).map_err(Refusal::Malformed)?;
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// The most a refused body is read (and dropped) so that its sender sees the answer.
const DRAIN_LIMIT: u64 = 16 * 1024 * 1024;

/// Reads a body to its end, keeping nothing.
async fn drain(body: Body) {
    use http_body_util::BodyExt;
    let mut body = body;
    while let Some(frame) = body.frame().await {
        if frame.is_err() {
            break;
        }
    }
}

/// The whole body, up to `limit` bytes.
pub(super) async fn read_body(body: Body, limit: u64) -> Result<axum::body::Bytes, Refusal> {
    let (body, overflow) = limit::LimitedBody::new(body, limit);
    match axum::body::to_bytes(Body::new(body), usize::MAX).await {
        Ok(bytes) => Ok(bytes),
        Err(_) if overflow.tripped() => Err(Refusal::TooLarge),
        Err(error) => Err(Refusal::Malformed(say(
            Message::BodyUnreadable,
            &[("detail", &error)],
        ))),
    }
}

/// Strict `application/x-www-form-urlencoded`: every `%` starts a two-digit hex escape, and
/// every decoded name and value is UTF-8.
fn check_urlencoded(body: &[u8]) -> Result<(), String> {
    for (index, field) in body.split(|b| *b == b'&').enumerate() {
        for part in field.splitn(2, |b| *b == b'=') {
            let mut decoded = Vec::with_capacity(part.len());
            let mut bytes = part.iter().copied();
            while let Some(byte) = bytes.next() {
                decoded.push(match byte {
                    b'+' => b' ',
                    b'%' => {
                        let hex = [bytes.next(), bytes.next()];
                        let digits = match hex {
                            [Some(a), Some(b)] => std::str::from_utf8(&[a, b])
                                .ok()
                                .and_then(|h| u8::from_str_radix(h, 16).ok()),
                            _ => None,
                        };
                        digits.ok_or_else(|| {
                            say(Message::FieldBadEscape, &[("field", &(index + 1))])
                        })?
                    }
                    other => other,
                });
            }
            if std::str::from_utf8(&decoded).is_err() {
                return Err(say(Message::FieldNotUtf8, &[("field", &(index + 1))]));
            }
            // No text a person sends holds a NUL, and PostgreSQL cannot store one.
            if decoded.contains(&0) {
                return Err(say(Message::FieldNul, &[("field", &(index + 1))]));
            }
        }
    }
    Ok(())
}

mod limit {
    //! A request body that stops at a byte limit and remembers that it did.

    use axum::body::{Body, Bytes};
    use http_body::{Frame, SizeHint};
    use std::{
        pin::Pin,
        sync::{
            atomic::{AtomicBool, Ordering},
            Arc,
        },
        task::{Context, Poll},
    };

    /// Set once the body went over its limit; shared with the pipeline.
    #[derive(Clone, Default)]
    pub struct Overflow(Arc<AtomicBool>);

    impl Overflow {
        pub fn tripped(&self) -> bool {
            self.0.load(Ordering::Relaxed)
        }
    }

    pub struct LimitedBody {
        inner: Body,
        remaining: u64,
        overflow: Overflow,
    }

    impl LimitedBody {
        pub fn new(inner: Body, limit: u64) -> (Self, Overflow) {
            let overflow = Overflow::default();
            let body = Self {
                inner,
                remaining: limit,
                overflow: overflow.clone(),
            };
            (body, overflow)
        }
    }

    #[derive(Debug, thiserror::Error)]
    #[error("the request body is larger than this action accepts")]
    pub struct TooLarge;

    impl http_body::Body for LimitedBody {
        type Data = Bytes;
        type Error = axum::BoxError;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            let this = &mut *self;
            let frame = match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => frame,
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error.into()))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            };
            if let Some(data) = frame.data_ref() {
                let len = data.len() as u64;
                if len > this.remaining {
                    this.overflow.0.store(true, Ordering::Relaxed);
                    return Poll::Ready(Some(Err(Box::new(TooLarge))));
                }
                this.remaining -= len;
            }
            Poll::Ready(Some(Ok(frame)))
        }

        fn is_end_stream(&self) -> bool {
            self.inner.is_end_stream()
        }

        fn size_hint(&self) -> SizeHint {
            self.inner.size_hint()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoding_is_checked_strictly() {
        assert!(check_urlencoded(b"title=Hello+world%21&content=%C3%A9t%C3%A9").is_ok());
        assert!(check_urlencoded(b"").is_ok());
        assert!(check_urlencoded(b"a&b=&=c").is_ok());
        for bad in [
            &b"title=%ZZ"[..],
            b"title=%4",
            b"title=%",
            b"title=%FF%FE",
            b"%C3=x",
        ] {
            assert!(
                check_urlencoded(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let message = check_urlencoded(b"a=1&b=%G1").err().unwrap_or_default();
        assert!(message.contains("field 2"), "{message}");
    }
}
