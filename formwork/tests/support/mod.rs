//! What formwork's test binaries share: a site that serves their actions, and a log capture.

use std::sync::{Arc, Mutex};

/// A log writer that keeps what it is given, for a `tracing_subscriber::fmt` subscriber's
/// `with_writer(move || capture.clone())`.
#[allow(dead_code)] // not every binary that shares this module reads its log
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

#[allow(dead_code)]
impl Capture {
    /// Everything written so far.
    pub fn text(&self) -> String {
        self.0
            .lock()
            .map(|log| String::from_utf8_lossy(&log).into_owned())
            .unwrap_or_default()
    }
}

impl std::io::Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut log) = self.0.lock() {
            log.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A site that serves the test binary's actions through formwork's pipeline, on memory stores.
#[allow(dead_code)] // not every binary that shares this module posts to actions
#[allow(clippy::expect_used)] // a test that cannot build its site fails right here
pub async fn actions(output_name: &str) -> axum::Router {
    let options = leptos::prelude::LeptosOptions::builder()
        .output_name(output_name)
        .build();
    let formwork = formwork::Formwork::builder(&options)
        .stores(formwork::store::Stores::of(
            formwork::store::memory::MemoryStore::new(),
        ))
        .build()
        .await
        .expect("formwork builds on memory stores");
    formwork.around(axum::Router::new().route(
        "/api/{*fn_name}",
        axum::routing::post(leptos_axum::handle_server_fns),
    ))
}
