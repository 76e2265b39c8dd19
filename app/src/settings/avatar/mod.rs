//! A user's picture, uploaded at `/settings/profile` and shown next to their posts and
//! comments.
//!
//! ```text
//! upload (multipart) → each field within its limit (5 MB for the image, 413 while streaming)
//!                    → the type from the first bytes (JPEG, PNG, WebP), never the name
//!                    → the header's dimensions within bounds (a decompression bomb stops here)
//!                    → kept as a staging object, and the job recorded with it (one transaction)
//!                    → the answer, at once
//! job avatar.process → decoded within limits on the blocking pool → 256×256 JPEG (no metadata)
//!                    → the user's picture swapped, the staging object and the old picture deleted
//! ```
//!
//! With JavaScript formwork's browser runtime checks the file's size before a byte is sent
//! (`FileInput`'s `max_bytes`), in the words the action uses, and shows the bytes sent; what the
//! file is, only the action decides.

#[cfg(feature = "ssr")]
pub mod process;
#[cfg(feature = "ssr")]
pub mod store;

use formwork::identity::Principal;
use formwork::{
    upload::ImageKind, ActionError, FileInput, FormState, UploadButton, UploadForm, UploadProgress,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::{MultipartData, MultipartFormData};

/// The form field that holds the image.
pub const FIELD: &str = "avatar";
/// The largest image accepted, in bytes.
pub const MAX_BYTES: u64 = 5 * 1024 * 1024;
/// The longest side an image may have, in pixels.
pub const MAX_SIDE: u32 = 8192;
/// The most pixels an image may have (a decoded 40-megapixel image is 120 MB of RGB).
pub const MAX_PIXELS: u64 = 40_000_000;
/// The side of the square picture that is kept, in pixels.
pub const SIZE: u32 = 256;
/// What the file chooser offers.
pub const ACCEPT: &str = "image/jpeg,image/png,image/webp";

/// What a file that is none of the accepted types is told.
pub const WRONG_TYPE: &str = "This file is not a JPEG, PNG or WebP image, whatever its name says. \
     Choose a picture in one of those formats.";
/// What an upload without a file is told.
pub const NO_FILE: &str = "Choose an image to upload.";

/// What an accepted upload was found to be; its picture is being prepared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    pub kind: ImageKind,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
}

/// Takes a new picture for the signed-in user. It is checked as it streams in, kept as it
/// came, and prepared by a job (`avatar.process`); the answer does not wait for it.
// The body limit: the image, and the form's hidden fields with their boundaries.
#[formwork::action(
    access = SignedIn,
    input = MultipartFormData,
    rate_limit = per_user(20).per_hour(),
    body_limit = MAX_BYTES + 64 * 1024,
    revalidates = ["user:*:avatar"]
)]
pub async fn upload_avatar(user: Principal, data: MultipartData) -> Result<Received, ActionError> {
    let upload = formwork::upload::read(data, &limits()).await?;
    let file = upload.file(FIELD, NO_FILE)?;
    let kind =
        ImageKind::sniff(&file.bytes).ok_or_else(|| ActionError::field(FIELD, WRONG_TYPE))?;
    let (width, height) = process::dimensions(&file.bytes, kind)
        .map_err(|message| ActionError::field(FIELD, message))?;
    let objects = crate::state::objects()?;
    let staging = process::staging_key();
    process::put(objects.as_ref(), &staging, file.bytes.clone())
        .await
        .map_err(ActionError::internal)?;
    let job = formwork::jobs::NewJob::new(
        process::KIND,
        &process::Process {
            user_id: user.user_id,
            staging: staging.clone(),
            kind,
        },
    )?;
    let staged = crate::state::store()?
        .stage_avatar(user.user_id, &staging, &job)
        .await;
    if !matches!(staged, Ok(true)) {
        // Nothing refers to the upload: it must not stay behind.
        process::delete(objects.as_ref(), &staging).await;
    }
    match staged {
        Ok(true) => {}
        Ok(false) => return Err(ActionError::not_found("Your account")),
        Err(error) => return Err(error.into()),
    }
    crate::state::wake_jobs();
    // The profile page now shows the upload as pending.
    formwork::revalidate_tag(&tag(user.user_id));
    tracing::info!(
        user = user.user_id,
        kind = kind.name(),
        width,
        height,
        bytes = file.bytes.len(),
        client_name = ?file.file_name,
        "avatar upload accepted; processing"
    );
    Ok(Received {
        kind,
        width,
        height,
        bytes: file.bytes.len() as u64,
    })
}

/// The upload's limits: the image, and the form's own hidden fields.
#[cfg(feature = "ssr")]
pub fn limits() -> formwork::upload::Limits {
    formwork::upload::Limits::new()
        .file(FIELD, MAX_BYTES)
        .fields(4)
}

/// The tag of one user's picture and pending upload, heard only by that user's pages.
pub fn tag(user_id: i64) -> String {
    formwork::live::private_tag(user_id, "avatar")
}

/// The picture's address, from its object key.
pub fn url(key: &str) -> String {
    format!("/{key}")
}

/// The signed-in user's picture and what is happening to it, on the profile page.
#[component]
pub fn AvatarSection(
    /// The private tag the picture is revalidated under (see [`tag`]).
    tag: String,
    current: Option<String>,
    pending: bool,
    error: Option<String>,
) -> impl IntoView {
    view! {
        <fieldset class="avatar-settings">
            <legend>"Your picture"</legend>
            <formwork::Region name="avatar" tags=vec![tag]>
            <div class="avatar-current">
                {match current {
                    Some(key) => leptos::either::Either::Left(view! {
                        <img class="avatar avatar-large" src=url(&key) alt="Your picture" width=SIZE height=SIZE/>
                    }),
                    None => leptos::either::Either::Right(view! { <p class="hint">"You have no picture yet."</p> }),
                }}
                {pending.then(|| view! {
                    <p class="notice" role="status">"Your new picture is being prepared…"</p>
                    // Without JavaScript the page looks again shortly; with it, the live
                    // stream refreshes this part of the page when the picture is ready.
                    <noscript><meta http-equiv="refresh" content="2"/></noscript>
                })}
                {error.map(|error| view! {
                    <p class="form-error" role="alert">{format!("Your last picture could not be used: {error}")}</p>
                })}
            </div>
            </formwork::Region>
            <p class="hint">"A JPEG, PNG or WebP image of up to 5 MB. It is cropped to a square."</p>
            <AvatarForm/>
        </fieldset>
    }
}

/// The upload form: with JavaScript it shows the upload's progress and can cancel it.
#[component]
fn AvatarForm() -> impl IntoView {
    let state = FormState::<UploadAvatar>::new();
    view! {
        <UploadForm state=state class="avatar-upload">
            <FileInput field=state.field(FIELD) id="avatar" label="New picture" accept=ACCEPT max_bytes=MAX_BYTES/>
            <UploadProgress/>
            {state.success(|received| view! {
                <p class="form-success" role="status">{format!(
                    "Received your {} image ({}×{}). Your new picture is being prepared.",
                    received.kind.name(), received.width, received.height
                )}</p>
            })}
            <div class="actions">
                <UploadButton label="Upload picture" cancel_label="Cancel upload"/>
            </div>
        </UploadForm>
    }
}
