//! The server's side of avatars: the image checks, the objects, and the job that turns an
//! upload into the picture.

use super::{store::Finish, MAX_PIXELS, MAX_SIDE, SIZE};
use bytes::Bytes;
use formwork::upload::ImageKind;
use image::{imageops::FilterType, ImageFormat, ImageReader, Limits};
use object_store::{path::Path, ObjectStore, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use std::io::Cursor;

/// The job kind.
pub const KIND: &str = "avatar.process";
/// The most memory one decode may take.
const MAX_ALLOC: u64 = 256 * 1024 * 1024;
/// The kept picture's JPEG quality.
const QUALITY: u8 = 85;

/// The job's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    pub user_id: i64,
    /// The object key of the upload as it came.
    pub staging: String,
    pub kind: ImageKind,
}

/// What one run of the job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processed {
    /// The user's picture is the new one (its key).
    Changed(String),
    /// The upload could not be used; the profile page says why.
    Refused(String),
    /// A newer upload took its place, or it was done before: nothing changed.
    Nothing,
}

fn format(kind: ImageKind) -> ImageFormat {
    match kind {
        ImageKind::Jpeg => ImageFormat::Jpeg,
        ImageKind::Png => ImageFormat::Png,
        ImageKind::Webp => ImageFormat::WebP,
    }
}

/// What any decode may use: the image's sides and the memory it takes.
fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    limits
}

fn reader(bytes: &[u8], kind: ImageKind) -> ImageReader<Cursor<&[u8]>> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format(kind));
    reader.limits(limits());
    reader
}

/// The image's width and height from its header alone (nothing is decoded), within bounds:
/// a small file that claims a huge image (a decompression bomb) is refused here.
pub fn dimensions(bytes: &[u8], kind: ImageKind) -> Result<(u32, u32), String> {
    let (width, height) = reader(bytes, kind)
        .into_dimensions()
        .map_err(|error| match error {
            image::ImageError::Limits(_) => too_big(),
            _ => format!(
                "This {} image could not be read: it seems damaged or cut short. Choose another \
                 file.",
                kind.name()
            ),
        })?;
    if width == 0 || height == 0 {
        return Err("This image has no pixels. Choose another file.".to_owned());
    }
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(format!(
            "This image is {width}×{height} pixels; the most we take is {MAX_SIDE} pixels a side \
             and {} megapixels. Choose a smaller one.",
            MAX_PIXELS / 1_000_000
        ));
    }
    Ok((width, height))
}

fn too_big() -> String {
    format!(
        "This image is larger than we take ({MAX_SIDE} pixels a side, {} megapixels). Choose a \
         smaller one.",
        MAX_PIXELS / 1_000_000
    )
}

/// Decodes the upload within limits and makes the kept picture: the centre square, resized to
/// [`SIZE`]×[`SIZE`], as a JPEG. Re-encoding keeps pixels only, so no metadata (location,
/// camera) survives. CPU-bound: run it on the blocking pool.
pub fn thumbnail(bytes: &[u8], kind: ImageKind) -> Result<Vec<u8>, String> {
    dimensions(bytes, kind)?;
    let image = reader(bytes, kind).decode().map_err(|error| match error {
        image::ImageError::Limits(_) => too_big(),
        _ => "the image data is damaged or cut short. Upload it again, or choose another file."
            .to_owned(),
    })?;
    let square = image
        .resize_to_fill(SIZE, SIZE, FilterType::Lanczos3)
        .to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, QUALITY)
        .encode_image(&square)
        .map_err(|error| format!("the picture could not be encoded: {error}"))?;
    Ok(out)
}

/// A fresh key for an upload as it came.
pub fn staging_key() -> String {
    format!("staging/{}", uuid())
}

/// A fresh key for a user's picture. Keys are never reused, so a picture's address can be
/// cached for good.
pub fn picture_key(user_id: i64) -> String {
    format!("avatars/{user_id}/{}.jpg", uuid())
}

/// Whether `key` is one [`picture_key`] makes (what the server serves, and nothing else).
pub fn is_picture_key(key: &str) -> bool {
    let Some(rest) = key.strip_prefix("avatars/") else {
        return false;
    };
    let Some((user, file)) = rest.split_once('/') else {
        return false;
    };
    let Some(id) = file.strip_suffix(".jpg") else {
        return false;
    };
    !user.is_empty()
        && user.len() <= 19
        && user.bytes().all(|b| b.is_ascii_digit())
        && id.len() == 32
        && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn uuid() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Stores `bytes` under `key`.
pub async fn put(objects: &dyn ObjectStore, key: &str, bytes: Bytes) -> Result<(), String> {
    objects
        .put(&Path::from(key), PutPayload::from_bytes(bytes))
        .await
        .map(|_| ())
        .map_err(|error| format!("could not store {key}: {error}"))
}

/// The object under `key`, `None` when there is none.
pub async fn get(objects: &dyn ObjectStore, key: &str) -> Result<Option<Bytes>, String> {
    match objects.get(&Path::from(key)).await {
        Ok(result) => result
            .bytes()
            .await
            .map(Some)
            .map_err(|error| format!("could not read {key}: {error}")),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(error) => Err(format!("could not read {key}: {error}")),
    }
}

/// Deletes `key` (a missing object is fine); a failure is logged, for an operator to clean.
pub async fn delete(objects: &dyn ObjectStore, key: &str) {
    match objects.delete(&Path::from(key)).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
        Err(error) => {
            tracing::error!(%key, %error, "could not delete an object; it is left behind")
        }
    }
}

/// Runs one `avatar.process` job. Idempotent: a run after a crash finds what the first did
/// and finishes it. An error is a failure worth retrying (storage); an image that cannot be
/// used is not an error but an outcome ([`Processed::Refused`]).
pub async fn run(
    store: &dyn super::store::AvatarStore,
    objects: &dyn ObjectStore,
    input: Process,
) -> Result<Processed, String> {
    let state = store
        .avatar(input.user_id)
        .await
        .map_err(|e| e.to_string())?;
    if state.pending.as_deref() != Some(input.staging.as_str()) {
        // Superseded by a newer upload, or finished by an earlier run.
        delete(objects, &input.staging).await;
        return Ok(Processed::Nothing);
    }
    let Some(upload) = get(objects, &input.staging).await? else {
        let message = "the upload was lost before it could be prepared. Upload it again.";
        store
            .fail_avatar(input.user_id, &input.staging, message)
            .await
            .map_err(|e| e.to_string())?;
        return Ok(Processed::Refused(message.to_owned()));
    };
    let kind = input.kind;
    let picture = tokio::task::spawn_blocking(move || thumbnail(&upload, kind))
        .await
        .map_err(|error| format!("the image worker stopped: {error}"))?;
    let picture = match picture {
        Ok(picture) => picture,
        Err(message) => {
            store
                .fail_avatar(input.user_id, &input.staging, &message)
                .await
                .map_err(|e| e.to_string())?;
            delete(objects, &input.staging).await;
            tracing::info!(user = input.user_id, %message, "avatar upload refused by the decoder");
            return Ok(Processed::Refused(message));
        }
    };
    let key = picture_key(input.user_id);
    put(objects, &key, Bytes::from(picture)).await?;
    match store
        .finish_avatar(input.user_id, &input.staging, &key)
        .await
    {
        Ok(Finish::Done { replaced }) => {
            if let Some(old) = replaced {
                delete(objects, &old).await;
            }
            delete(objects, &input.staging).await;
            tracing::info!(user = input.user_id, %key, "avatar ready");
            Ok(Processed::Changed(key))
        }
        Ok(Finish::Superseded) => {
            delete(objects, &key).await;
            delete(objects, &input.staging).await;
            Ok(Processed::Nothing)
        }
        Err(error) => {
            // Not recorded: the picture must not stay behind; the retry makes a new one.
            delete(objects, &key).await;
            Err(error.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_picture_keys_are_served() {
        assert!(is_picture_key(&picture_key(42)));
        for key in [
            "staging/0123456789abcdef0123456789abcdef",
            "avatars/42/../../etc/passwd.jpg",
            "avatars//0123456789abcdef0123456789abcdef.jpg",
            "avatars/x/0123456789abcdef0123456789abcdef.jpg",
            "avatars/42/0123456789ABCDEF0123456789abcdef.jpg",
            "avatars/42/0123456789abcdef0123456789abcdef.png",
        ] {
            assert!(!is_picture_key(key), "{key}");
        }
    }

    #[test]
    fn fresh_keys_differ() {
        assert_ne!(staging_key(), staging_key());
        assert_ne!(picture_key(1), picture_key(1));
    }
}
