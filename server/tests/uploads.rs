//! Avatar uploads through the whole stack: the limits while the body streams, the type from
//! the bytes, the header's dimensions, the job that makes the picture, and how it is served.
//! In-process (`oneshot`), on a fresh SQLite database, with the objects kept in memory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use app::settings::avatar::{UploadAvatar, MAX_BYTES, WRONG_TYPE};
use axum::{
    body::Body,
    http::{header, Request, Response, StatusCode},
    Router,
};
use common::{text, TestDb};
use futures::StreamExt;
use object_store::ObjectStore;
use server_fn::ServerFn;
use std::{
    io::Cursor,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};
use tower::ServiceExt;

const BOUNDARY: &str = "----formwork-test-boundary";
const SECRET: &str = "test-secret-test-secret-test-secret!";

struct Site {
    router: Router,
    queue: formwork::jobs::Queue,
    objects: Arc<dyn ObjectStore>,
    db: TestDb,
    session: String,
}

/// The S3-compatible server the test command starts (see scripts/services.sh).
const S3_ENDPOINT_VAR: &str = "FORMWORK_TEST_S3_ENDPOINT";

fn config(args: &[&str]) -> server::config::Config {
    use clap::Parser;
    let mut argv = vec!["server", "--flash-secret", SECRET];
    argv.extend_from_slice(args);
    server::config::Config::try_parse_from(argv).unwrap()
}

/// Objects in a fresh local folder, as the server keeps them by default.
fn local_folder() -> Arc<dyn ObjectStore> {
    let dir = std::env::temp_dir().join(format!(
        "formwork-objects-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let dir = dir.to_string_lossy().into_owned();
    config(&["--objects-dir", &dir]).object_store().unwrap()
}

/// Objects in the test S3 bucket, under a prefix of this test's own. Fails loudly when the
/// server is not there: a test that skips its S3 run proves nothing about S3.
fn s3() -> Arc<dyn ObjectStore> {
    let endpoint = std::env::var(S3_ENDPOINT_VAR).unwrap_or_else(|_| {
        panic!(
            "{S3_ENDPOINT_VAR} is not set. Run the README's test command (scripts/test.sh), \
             which starts an S3-compatible server on loopback, or point it at one yourself."
        )
    });
    let bucket =
        std::env::var("FORMWORK_TEST_S3_BUCKET").unwrap_or_else(|_| "formwork-test".into());
    let bucket_store = config(&[
        "--objects-s3-bucket",
        &bucket,
        "--objects-s3-endpoint",
        &endpoint,
        "--objects-s3-access-key-id",
        "formwork-test",
        "--objects-s3-secret-access-key",
        "formwork-test-secret",
    ])
    .object_store()
    .unwrap();
    Arc::new(object_store::prefix::PrefixStore::new(
        bucket_store,
        uuid::Uuid::new_v4().simple().to_string(),
    ))
}

impl Site {
    async fn open() -> Self {
        Self::with_objects(Arc::new(object_store::memory::InMemory::new())).await
    }

    async fn with_objects(objects: Arc<dyn ObjectStore>) -> Self {
        let db = TestDb::sqlite().await;
        let stores = db.stores().await;
        let (_, session) = common::signed_in(&stores, "painter", app::roles::Role::User).await;
        let config = config(&[]);
        let services = server::state::Services {
            objects: objects.clone(),
            ..common::services(formwork::cache::DataCache::new())
        };
        let queue = server::jobs::queue(&stores, &config, &services);
        let router = server::http::router(
            &config,
            leptos::prelude::LeptosOptions::builder()
                .output_name("formwork")
                .build(),
            stores,
            Arc::new(formwork::rate_limit::MemoryLimiter::new()),
            services,
            formwork::jobs::Waker::default(),
        )
        .await
        .unwrap();
        Self {
            router,
            queue,
            objects,
            db,
            session,
        }
    }

    async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(request).await.unwrap()
    }

    /// The upload as the island's `XMLHttpRequest` sends it.
    fn script_upload(&self, body: Body, length: Option<usize>) -> Request<Body> {
        let mut request = Request::post(UploadAvatar::PATH)
            .header(header::ACCEPT, "application/json")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .header("sec-fetch-site", "same-origin")
            .header(header::COOKIE, &self.session);
        if let Some(length) = length {
            request = request.header(header::CONTENT_LENGTH, length);
        }
        request.body(body).unwrap()
    }

    async fn upload(&self, file_name: &str, content_type: &str, bytes: &[u8]) -> Response<Body> {
        let body = multipart(&[("avatar", Some((file_name, content_type)), bytes)]);
        let length = body.len();
        self.send(self.script_upload(Body::from(body), Some(length)))
            .await
    }

    /// The upload as a browser without JavaScript posts the form.
    fn form_request(&self, body: Body) -> Request<Body> {
        Request::post(UploadAvatar::PATH)
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .header(header::REFERER, "http://127.0.0.1:3000/settings/profile")
            .header("sec-fetch-site", "same-origin")
            .header(header::COOKIE, &self.session)
            .body(body)
            .unwrap()
    }

    /// The same form posted by a browser without JavaScript.
    async fn form_upload(&self, file_name: &str, bytes: &[u8]) -> Response<Body> {
        let body = multipart(&[
            ("__fw_return", None, b"/settings/profile".as_slice()),
            ("avatar", Some((file_name, "image/png")), bytes),
        ]);
        self.send(self.form_request(Body::from(body))).await
    }

    async fn profile(&self, flash: Option<&str>) -> String {
        let cookie = match flash {
            Some(flash) => format!("{}; {flash}", self.session),
            None => self.session.clone(),
        };
        common::page(&self.router, "/settings/profile", Some(&cookie)).await
    }

    async fn object_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .objects
            .list(None)
            .map(|meta| meta.unwrap().location.to_string())
            .collect()
            .await;
        keys.sort();
        keys
    }
}

/// One part of a multipart body: its name, `Some((file name, content type))` for a file, and
/// its bytes.
type Part<'a> = (&'a str, Option<(&'a str, &'a str)>, &'a [u8]);

/// A multipart body of `parts`.
fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some((file_name, content_type)) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                     Content-Type: {content_type}\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// A `width`×`height` picture with a gradient, encoded as `format`.
fn picture(width: u32, height: u32, format: image::ImageFormat) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

async fn json(response: Response<Body>) -> serde_json::Value {
    let body = text(response).await;
    serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body}"))
}

fn flash_cookie(response: &Response<Body>) -> String {
    common::set_cookie(response, "fw_flash").expect("a flash cookie")
}

/// The `src` of the large picture on the profile page.
fn shown_picture(html: &str) -> Option<String> {
    let tag_end = html.find(r#"alt="Your picture""#)?;
    let tag = &html[html[..tag_end].rfind("<img")?..tag_end];
    let src = tag.find("src=\"")? + 5;
    let end = tag[src..].find('"')?;
    Some(tag[src..src + end].to_owned())
}

#[tokio::test]
async fn an_image_becomes_a_256_square_jpeg_that_replaces_the_old_one_in_a_local_folder() {
    the_picture_replaces_the_old_one(Site::with_objects(local_folder()).await).await;
}

#[tokio::test]
async fn an_image_becomes_a_256_square_jpeg_that_replaces_the_old_one_in_s3() {
    the_picture_replaces_the_old_one(Site::with_objects(s3()).await).await;
}

async fn the_picture_replaces_the_old_one(site: Site) {
    let upload = picture(600, 400, image::ImageFormat::Png);
    let response = site.upload("me.png", "image/png", &upload).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        json(response).await,
        serde_json::json!({"kind": "png", "width": 600, "height": 400, "bytes": upload.len()})
    );
    // Answered at once: the upload waits as it came, for its job.
    let keys = site.object_keys().await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(keys[0].starts_with("staging/"), "{keys:?}");
    let page = site.profile(None).await;
    assert!(
        page.contains("Your new picture is being prepared"),
        "{page}"
    );
    assert_eq!(shown_picture(&page), None);

    assert_eq!(site.queue.run_due().await.unwrap(), 1);
    let page = site.profile(None).await;
    assert!(!page.contains("being prepared"), "{page}");
    let first = shown_picture(&page).unwrap_or_else(|| panic!("no picture on {page}"));
    assert_eq!(
        site.object_keys().await,
        vec![first[1..].to_owned()],
        "no staging left"
    );

    // Served as what it is, for good.
    let served = site
        .send(Request::get(&first).body(Body::empty()).unwrap())
        .await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()[header::CONTENT_TYPE], "image/jpeg");
    assert_eq!(served.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(
        served.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    use http_body_util::BodyExt;
    let jpeg = served.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        formwork::upload::ImageKind::sniff(&jpeg),
        Some(formwork::upload::ImageKind::Jpeg)
    );
    let decoded = image::load_from_memory(&jpeg).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (256, 256));

    // A new picture (a WebP this time) replaces it, and the old one is gone.
    let response = site
        .upload(
            "next.webp",
            "image/webp",
            &picture(300, 900, image::ImageFormat::WebP),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(site.queue.run_due().await.unwrap(), 1);
    let second = shown_picture(&site.profile(None).await).unwrap();
    assert_ne!(first, second);
    assert_eq!(site.object_keys().await, vec![second[1..].to_owned()]);
    let old = site
        .send(Request::get(&first).body(Body::empty()).unwrap())
        .await;
    assert_eq!(old.status(), StatusCode::NOT_FOUND);
    // Only the keys the app makes are served.
    for path in ["/avatars/1/..%2F..%2Fetc%2Fpasswd", "/avatars/1/x.jpg"] {
        let response = site
            .send(Request::get(path).body(Body::empty()).unwrap())
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    site.db.drop_database().await;
}

#[tokio::test]
async fn the_image_may_be_exactly_the_limit_and_not_a_byte_more() {
    let site = Site::open().await;
    // A real PNG padded after its end to the limit: decoders stop at IEND.
    let mut at_limit = picture(64, 64, image::ImageFormat::Png);
    at_limit.resize(MAX_BYTES as usize, 0);
    let response = site.upload("big.png", "image/png", &at_limit).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        text(response).await
    );

    at_limit.push(0);
    let response = site.upload("big.png", "image/png", &at_limit).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        json(response).await["message"],
        "This is too large to send: the limit is 5 MB. Make it smaller and try again."
    );
    site.db.drop_database().await;
}

#[tokio::test]
async fn an_image_that_never_ends_is_refused_at_the_limit_without_reading_on() {
    let site = Site::open().await;
    let sent = Arc::new(AtomicU64::new(0));
    let head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"avatar\"; \
         filename=\"endless.png\"\r\nContent-Type: image/png\r\n\r\n"
    );
    let chunk = bytes::Bytes::from(vec![0u8; 64 * 1024]);
    let counter = sent.clone();
    // No length declared, and no end: only the limit can stop it.
    let endless = futures::stream::once(async move { bytes::Bytes::from(head) })
        .chain(futures::stream::repeat(chunk))
        .map(move |chunk| {
            counter.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            Ok::<_, std::io::Error>(chunk)
        });
    let response = site
        .send(site.script_upload(Body::from_stream(endless), None))
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let read = sent.load(Ordering::Relaxed);
    assert!(
        read > MAX_BYTES && read < MAX_BYTES + 1024 * 1024,
        "read {read} bytes of an endless body"
    );
    // Whichever limit it meets first (the image's own, or the whole body's just above it),
    // the answer states the image's 5 MB.
    let refusal = json(response).await;
    assert!(
        refusal["message"]
            .as_str()
            .unwrap()
            .contains("the limit is 5 MB."),
        "{refusal}"
    );
    assert!(site.object_keys().await.is_empty(), "nothing was kept");

    // Without JavaScript the same endless post comes back to the form with the reason.
    let counter = sent.clone();
    sent.store(0, Ordering::Relaxed);
    let endless =
        futures::stream::repeat(bytes::Bytes::from(vec![b'x'; 64 * 1024])).map(move |chunk| {
            counter.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            Ok::<_, std::io::Error>(chunk)
        });
    let response = site
        .send(site.form_request(Body::from_stream(endless)))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(sent.load(Ordering::Relaxed) < MAX_BYTES + 1024 * 1024);
    let page = site.profile(Some(&flash_cookie(&response))).await;
    assert!(
        page.contains("This is too large to send: the limit is 5 MB."),
        "{page}"
    );
    site.db.drop_database().await;
}

#[tokio::test]
async fn the_type_comes_from_the_bytes_not_the_name() {
    let site = Site::open().await;
    // A GIF, an SVG and a text file, each named and labelled as a PNG.
    for bytes in [
        picture(8, 8, image::ImageFormat::Gif),
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(),
        b"just some text".to_vec(),
    ] {
        let response = site.upload("photo.png", "image/png", &bytes).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(json(response).await["fields"]["avatar"][0], WRONG_TYPE);
    }
    // A real JPEG named .txt, sent as text/plain, is a JPEG.
    let response = site
        .upload(
            "notes.txt",
            "text/plain",
            &picture(40, 30, image::ImageFormat::Jpeg),
        )
        .await;
    assert_eq!(json(response).await["kind"], "jpeg");

    // Without JavaScript: the message at the field, on the form's page.
    let response = site.form_upload("photo.png", b"GIF89a not a png").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = site.profile(Some(&flash_cookie(&response))).await;
    assert!(page.contains(WRONG_TYPE), "{page}");
    assert!(page.contains(r#"id="avatar-error""#), "{page}");
    site.db.drop_database().await;
}

/// A PNG chunk: length, type, data, CRC.
fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    let mut typed = kind.to_vec();
    typed.extend_from_slice(data);
    out.extend_from_slice(&typed);
    out.extend_from_slice(&crc32(&typed).to_be_bytes());
    out
}

#[tokio::test]
async fn a_decompression_bomb_is_refused_from_its_header() {
    let site = Site::open().await;
    for (width, height) in [(30_000u32, 30_000u32), (7_000, 7_000)] {
        // 900 and 49 megapixels claimed in a file of a few dozen bytes.
        let mut ihdr = width.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
        bomb.extend(chunk(b"IHDR", &ihdr));
        bomb.extend(chunk(
            b"IDAT",
            &[0x78, 0x01, 0x01, 0x00, 0x00, 0xff, 0xff, 0, 0, 0, 1],
        ));
        bomb.extend(chunk(b"IEND", &[]));
        let response = site.upload("small.png", "image/png", &bomb).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let message = json(response).await["fields"]["avatar"][0]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            message.contains("8192 pixels a side") && message.contains("40 megapixels"),
            "{message}"
        );
    }
    assert!(site.object_keys().await.is_empty());
    site.db.drop_database().await;
}

#[tokio::test]
async fn a_truncated_image_is_refused_by_its_job_and_leaves_nothing_behind() {
    let site = Site::open().await;
    // Cut in its header: refused in the form.
    let whole = picture(400, 400, image::ImageFormat::Png);
    let response = site.upload("cut.png", "image/png", &whole[..20]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let message = json(response).await["fields"]["avatar"][0].clone();
    assert!(
        message.as_str().unwrap().contains("damaged or cut short"),
        "{message}"
    );

    // Cut in its pixels: the header is fine, the decode in the job is not.
    let response = site
        .upload("cut.png", "image/png", &whole[..whole.len() / 2])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(site.queue.run_due().await.unwrap(), 1);
    let page = site.profile(None).await;
    assert!(
        page.contains(
            "Your last picture could not be used: the image data is damaged or cut short"
        ),
        "{page}"
    );
    assert_eq!(shown_picture(&page), None);
    assert!(
        site.object_keys().await.is_empty(),
        "the upload was deleted"
    );
    site.db.drop_database().await;
}

#[tokio::test]
async fn uploads_need_a_signed_in_user_and_a_file() {
    let site = Site::open().await;
    let body = multipart(&[("avatar", Some(("a.png", "image/png")), b"\x89PNG")]);
    // Nobody signed in: the same call without the session cookie.
    let mut request = site.script_upload(Body::from(body), None);
    request.headers_mut().remove(header::COOKIE);
    let response = site.send(request).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // An empty file input, and a file under another name.
    let body = multipart(&[("avatar", Some(("", "application/octet-stream")), b"")]);
    let length = body.len();
    let response = site
        .send(site.script_upload(Body::from(body), Some(length)))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        json(response).await["fields"]["avatar"][0],
        app::settings::avatar::NO_FILE
    );
    let body = multipart(&[("other", Some(("a.png", "image/png")), b"\x89PNG")]);
    let length = body.len();
    let response = site
        .send(site.script_upload(Body::from(body), Some(length)))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    site.db.drop_database().await;
}
