//! Users' pictures, served from the object store. Only keys the app makes are served, with
//! the type the app wrote them in (they are all re-encoded JPEGs), `nosniff`, and a year of
//! caching: a key is never reused, so a new picture is a new address.

use crate::state::ServerState;
use app::settings::avatar::process;
use axum::{
    body::Body,
    extract::{Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};

/// `GET /avatars/{user}/{file}`
pub async fn avatar(
    State(state): State<ServerState>,
    Path((user, file)): Path<(String, String)>,
) -> Response {
    let key = format!("avatars/{user}/{file}");
    if !process::is_picture_key(&key) {
        return not_found();
    }
    match process::get(state.app.objects.as_ref(), &key).await {
        Ok(Some(bytes)) => {
            let mut response = Response::new(Body::from(bytes));
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            );
            // Opened on its own, a picture is only ever shown as one.
            headers.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("inline"),
            );
            response
        }
        Ok(None) => not_found(),
        Err(error) => {
            let correlation_id = uuid::Uuid::new_v4().simple().to_string();
            tracing::error!(%correlation_id, %error, %key, "could not read a picture");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("The picture could not be read. Reference {correlation_id}."),
            )
                .into_response()
        }
    }
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "There is no such picture.").into_response()
}
