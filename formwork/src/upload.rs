//! Uploads: a multipart action reads its body field by field, each within its own limit, and
//! tells a file's type by its bytes.
//!
//! ```
//! use formwork::{upload::{self, ImageKind, Limits}, ActionError};
//! use leptos::prelude::*;
//! use server_fn::codec::{MultipartData, MultipartFormData};
//!
//! #[formwork::action(access = SignedIn, input = MultipartFormData, body_limit = 6 MiB)]
//! pub async fn upload_avatar(data: MultipartData) -> Result<(), ActionError> {
//!     let upload = upload::read(data, &Limits::new().file("avatar", 5 << 20)).await?;
//!     let file = upload.file("avatar", "Choose a picture.")?;
//!     let Some(kind) = ImageKind::sniff(&file.bytes) else {
//!         return Err(ActionError::field("avatar", "Send a JPEG, PNG or WebP picture."));
//!     };
//!     # let _ = kind;
//!     Ok(())
//! }
//! # fn main() {}
//! ```
//!
//! The limits hold while the body streams in: a field over its limit ends the reading at that
//! byte with a 413 stating the limit, whatever the rest of the body would have been (a client
//! that never stops sending gets its answer all the same). The pipeline's whole-body limit
//! ([`crate::registry::Declaration::body_limit`]) stands behind it.
//!
//! Without JavaScript the same form posts itself (`enctype="multipart/form-data"`); with it,
//! [`crate::UploadForm`] sends it with progress and a way to cancel.

use serde::{Deserialize, Serialize};

/// An image format, told by the file's first bytes: never by the name or the Content-Type
/// the client gives, which are whatever the client says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageKind {
    /// JPEG (`image/jpeg`).
    Jpeg,
    /// PNG (`image/png`).
    Png,
    /// WebP (`image/webp`).
    Webp,
}

impl ImageKind {
    /// The format whose signature `bytes` start with, if it is one of these.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [0xFF, 0xD8, 0xFF, ..] => Some(Self::Jpeg),
            [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(Self::Png),
            [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(Self::Webp),
            _ => None,
        }
    }

    /// The media type to serve it with.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }

    /// Its name as people know it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::Webp => "WebP",
        }
    }
}

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use crate::{
        messages::{say, Message},
        ActionError,
    };
    use bytes::{Bytes, BytesMut};
    use server_fn::codec::MultipartData;
    use std::collections::BTreeMap;

    /// The most a text field of a multipart form may hold unless [`Limits::text`] says
    /// otherwise.
    pub const TEXT_FIELD_LIMIT: u64 = 8 * 1024;
    /// The most fields a multipart form may have unless [`Limits::fields`] says otherwise.
    pub const FIELD_COUNT_LIMIT: usize = 16;

    /// What a multipart action accepts: its file fields, each with a limit, and how large
    /// and how many its other fields may be. A file field not named here is refused.
    #[derive(Debug, Clone)]
    pub struct Limits {
        files: Vec<FileLimit>,
        text: u64,
        fields: usize,
    }

    #[derive(Debug, Clone)]
    struct FileLimit {
        name: &'static str,
        max_bytes: u64,
    }

    impl Default for Limits {
        fn default() -> Self {
            Self::new()
        }
    }

    impl Limits {
        /// No files; text fields of up to [`TEXT_FIELD_LIMIT`], up to [`FIELD_COUNT_LIMIT`]
        /// fields.
        pub fn new() -> Self {
            Self {
                files: Vec::new(),
                text: TEXT_FIELD_LIMIT,
                fields: FIELD_COUNT_LIMIT,
            }
        }

        /// Accepts a file in field `name` of up to `max_bytes`.
        pub fn file(mut self, name: &'static str, max_bytes: u64) -> Self {
            self.files.push(FileLimit { name, max_bytes });
            self
        }

        /// The most any text field may hold.
        pub fn text(mut self, max_bytes: u64) -> Self {
            self.text = max_bytes;
            self
        }

        /// The most fields the form may have.
        pub fn fields(mut self, count: usize) -> Self {
            self.fields = count;
            self
        }

        /// The largest body these limits let through, boundaries and headers included: the
        /// body limit to declare for the action.
        pub fn body_limit(&self) -> u64 {
            let files: u64 = self.files.iter().map(|f| f.max_bytes).sum();
            // Each part's boundary and headers, generously.
            files + self.text * self.fields as u64 + 1024 * self.fields as u64
        }
    }

    /// A file as it was received. Its name and Content-Type are the client's words only.
    #[derive(Debug, Clone)]
    pub struct ReceivedFile {
        /// The file's content, as received (within its limit).
        pub bytes: Bytes,
        /// The file name the client gave, if any (for logs; never trusted).
        pub file_name: Option<String>,
    }

    /// A multipart form, read within its [`Limits`].
    #[derive(Debug, Clone, Default)]
    pub struct Upload {
        /// The text fields, by name (the first of a repeated name).
        pub texts: BTreeMap<String, String>,
        /// The files, by field name. A file input left empty sends no file.
        pub files: BTreeMap<String, ReceivedFile>,
    }

    impl Upload {
        /// The file in field `name`, or a 422 on that field asking for one.
        pub fn file(&self, name: &str, missing: &str) -> Result<&ReceivedFile, ActionError> {
            self.files
                .get(name)
                .ok_or_else(|| ActionError::field(name, missing))
        }
    }

    /// Reads a multipart body within `limits`. A field over its limit is a 413 at once (the
    /// rest of the body is never read); an unexpected file, too many fields, text that is not
    /// UTF-8 or a broken body are 400s that say which.
    pub async fn read(data: MultipartData, limits: &Limits) -> Result<Upload, ActionError> {
        let Some(mut multipart) = data.into_inner() else {
            return Err(ActionError::internal(
                "multipart data read outside the server",
            ));
        };
        let mut upload = Upload::default();
        let mut count = 0usize;
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(error) => return Err(unreadable(error)),
            };
            count += 1;
            if count > limits.fields {
                return Err(ActionError::BadRequest {
                    message: say(Message::TooManyFields, &[("count", &limits.fields)]),
                });
            }
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let file_limit = limits.files.iter().find(|f| f.name == name);
            if file_limit.is_none()
                && file_name.is_some()
                && !name.starts_with(crate::protocol::FIELD_PREFIX)
            {
                return Err(ActionError::BadRequest {
                    message: say(Message::NoFileField, &[("field", &name)]),
                });
            }
            let max = file_limit.map_or(limits.text, |limit| limit.max_bytes);
            let bytes = read_field(field, max, &name).await?;
            match file_limit {
                // A file input left empty still sends its part, with no name and no bytes.
                Some(_)
                    if bytes.is_empty() && file_name.as_deref().unwrap_or_default().is_empty() => {}
                Some(_) => {
                    upload
                        .files
                        .entry(name)
                        .or_insert(ReceivedFile { bytes, file_name });
                }
                None => {
                    let text =
                        String::from_utf8(bytes.to_vec()).map_err(|_| ActionError::BadRequest {
                            message: say(Message::FieldNotText, &[("field", &name)]),
                        })?;
                    upload.texts.entry(name).or_insert(text);
                }
            }
        }
        Ok(upload)
    }

    /// One field's bytes, stopping at the first byte past `max`.
    async fn read_field(
        mut field: multer::Field<'static>,
        max: u64,
        name: &str,
    ) -> Result<Bytes, ActionError> {
        let mut bytes = BytesMut::new();
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if (bytes.len() + chunk.len()) as u64 > max {
                        tracing::info!(field = %name, limit = max, "refused a field over its limit while it streamed");
                        return Err(ActionError::PayloadTooLarge { limit_bytes: max });
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(bytes.freeze()),
                Err(error) => return Err(unreadable(error)),
            }
        }
    }

    /// A body multer could not read: cut short, or not multipart at all. A body stopped by
    /// the pipeline's limit ends here too, and the pipeline answers it with its 413.
    fn unreadable(error: multer::Error) -> ActionError {
        ActionError::BadRequest {
            message: say(Message::UploadUnreadable, &[("detail", &error)]),
        }
    }

    /// The non-file fields of a whole multipart body (the pipeline's view of a plain form
    /// post: its return path, token and inputs to keep). Files are skipped, unread.
    pub async fn text_fields(body: Bytes, boundary: &str) -> Vec<(String, String)> {
        let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
        let mut multipart = multer::Multipart::new(stream, boundary);
        let mut fields = Vec::new();
        while let Ok(Some(field)) = multipart.next_field().await {
            if field.file_name().is_some() {
                continue;
            }
            let name = field.name().unwrap_or_default().to_owned();
            if let Ok(text) = field.text().await {
                if text.len() as u64 <= TEXT_FIELD_LIMIT {
                    fields.push((name, text));
                }
            }
        }
        fields
    }
}

#[cfg(test)]
mod tests {
    use super::ImageKind;

    #[test]
    fn the_type_comes_from_the_first_bytes() {
        assert_eq!(
            ImageKind::sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF"),
            Some(ImageKind::Jpeg)
        );
        assert_eq!(
            ImageKind::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR"),
            Some(ImageKind::Png)
        );
        assert_eq!(
            ImageKind::sniff(b"RIFF\x24\0\0\0WEBPVP8 "),
            Some(ImageKind::Webp)
        );
        // Near misses: a RIFF that is a WAV, a text file named .png, a cut-off signature.
        assert_eq!(ImageKind::sniff(b"RIFF\x24\0\0\0WAVEfmt "), None);
        assert_eq!(
            ImageKind::sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\">"),
            None
        );
        assert_eq!(ImageKind::sniff(b"\x89PNG\r\n"), None);
        assert_eq!(ImageKind::sniff(b""), None);
    }
}
