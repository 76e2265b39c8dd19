//! `/uploads`: a file sent to an action, read within limits, checked by its bytes.
use formwork::prelude::*;
use formwork::{FileInput, UploadButton, UploadForm, UploadProgress};
use server_fn::codec::{MultipartData, MultipartFormData};

/// The largest file the action takes.
pub const MAX_BYTES: u64 = 64 * 1024;

// ANCHOR: action
/// Counts the lines of a UTF-8 text file of up to 64 KB. The limit holds while the body
/// streams in: a larger file is refused (413) at the byte that goes over, not after.
#[formwork::action(access = Public, input = MultipartFormData, body_limit = MAX_BYTES + 16 * 1024, revalidates = [])]
pub async fn count_lines(data: MultipartData) -> Result<String, ActionError> {
    let limits = formwork::upload::Limits::new().file("file", MAX_BYTES).fields(4);
    let upload = formwork::upload::read(data, &limits).await?;
    let file = upload.file("file", "Choose a text file.")?;
    // What a file is, its bytes say: never its name or the type the browser claims.
    let text = std::str::from_utf8(&file.bytes)
        .map_err(|_| ActionError::field("file", "Send a UTF-8 text file."))?;
    Ok(format!("{} lines, {} bytes.", text.lines().count(), file.bytes.len()))
}
// ANCHOR_END: action

// ANCHOR: form
/// `/uploads`: without JavaScript a multipart post; with it, sent with progress and a way to
/// cancel, and a file over the limit refused before a byte is sent.
#[component]
pub fn UploadsPage() -> impl IntoView {
    let state = FormState::<CountLines>::new();
    view! {
        <h1>"Uploads"</h1>
        <UploadForm state=state>
            <FileInput field=state.field("file") id="file" label="Text file" accept="text/plain" max_bytes=MAX_BYTES/>
            <UploadProgress/>
            {state.success(|counted| view! { <p role="status">{counted}</p> })}
            <UploadButton label="Count lines" cancel_label="Cancel"/>
        </UploadForm>
    }
}
// ANCHOR_END: form
