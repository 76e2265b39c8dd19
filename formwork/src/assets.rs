//! The site's built files (`/pkg/…` and the files at the site's root, such as the favicon),
//! answered from memory when the build hashes their names (cargo-leptos `hash-files`, the
//! release build): read once at start-up, compressed once in the background (brotli at its
//! best quality, gzip at 9), and each request answered with the smallest encoding the client
//! accepts, an `ETag` and a `304` for a copy the client already holds. No file is opened, no
//! byte compressed and no action pipeline walked per request.
//!
//! A request the memory cannot answer (a file that appeared after start-up, a `Range`, a file
//! too large to keep) falls through to the routes behind it, which read the disk as before.
//! Without hashed names (development, where files change under a running server) nothing is
//! kept: every request reads the disk.

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::Response,
};
use bytes::Bytes;
use std::{
    collections::HashMap,
    io::Write,
    path::Path,
    sync::{Arc, OnceLock},
};

/// The `Cache-Control` of a file whose name carries a hash of its content: it never changes.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The largest file kept in memory; larger ones are read from disk per request.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// The most all kept files may hold together (identity bytes).
pub const MAX_TOTAL_BYTES: u64 = 64 * 1024 * 1024;

/// The files kept in memory, by request path.
#[derive(Clone, Default)]
pub struct Assets {
    files: Arc<HashMap<String, Arc<Asset>>>,
}

struct Asset {
    content_type: HeaderValue,
    cache_control: HeaderValue,
    etag: HeaderValue,
    identity: Bytes,
    /// Filled by the background compression; until then the identity bytes are sent.
    encoded: OnceLock<Encoded>,
}

#[derive(Clone, Default)]
struct Encoded {
    br: Option<Bytes>,
    gzip: Option<Bytes>,
}

impl Assets {
    /// Nothing kept: every request falls through.
    pub fn none() -> Self {
        Self::default()
    }

    /// Reads the files under `root` (the site root; `pkg_dir` holds the built bundle, whose
    /// hashed names never change content, so they are cached for a year; the others are
    /// revalidated by their ETag), and starts compressing them on a background thread.
    pub fn load(root: &Path, pkg_dir: &str) -> std::io::Result<Self> {
        let assets = Self::read(root, pkg_dir)?;
        let background = assets.clone();
        std::thread::Builder::new()
            .name("formwork-assets".into())
            .spawn(move || background.compress_all())?;
        Ok(assets)
    }

    /// The files under `root`, not compressed yet.
    fn read(root: &Path, pkg_dir: &str) -> std::io::Result<Self> {
        let mut files = HashMap::new();
        let mut total = 0u64;
        let mut pending = vec![root.to_path_buf()];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir)? {
                let entry = entry?;
                let kind = entry.file_type()?;
                let path = entry.path();
                if kind.is_dir() {
                    pending.push(path);
                    continue;
                }
                let size = entry.metadata()?.len();
                if !kind.is_file() || size > MAX_FILE_BYTES || total + size > MAX_TOTAL_BYTES {
                    continue;
                }
                let Some(route) = route_of(root, &path) else {
                    continue;
                };
                total += size;
                let immutable = route.starts_with(&format!("/{pkg_dir}/"));
                files.insert(route, Arc::new(Asset::read(&path, immutable)?));
            }
        }
        Ok(Self {
            files: Arc::new(files),
        })
    }

    /// The same files and one made by the server (formwork's browser runtime): answered at
    /// `route` whether or not the site's names are hashed (its own name is), compressed now.
    pub fn with_generated(mut self, route: &str, content_type: &'static str, bytes: Bytes) -> Self {
        use sha2::{Digest, Sha256};
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        let encoded = encoded_once(digest, &bytes);
        let asset = Asset {
            content_type: HeaderValue::from_static(content_type),
            cache_control: HeaderValue::from_static(IMMUTABLE),
            etag: etag_of(&digest),
            identity: bytes,
            encoded: OnceLock::from(encoded),
        };
        Arc::make_mut(&mut self.files).insert(route.to_owned(), Arc::new(asset));
        self
    }

    /// How many files are kept.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file is kept.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Compresses every kept file that compresses (text, scripts, WASM, SVG); pictures and
    /// fonts are compressed already. Runs once, on its own thread.
    fn compress_all(&self) {
        for asset in self.files.values() {
            let encoded = if compressible(&asset.content_type) {
                Encoded {
                    br: smaller(&asset.identity, brotli(&asset.identity)),
                    gzip: smaller(&asset.identity, gzip(&asset.identity)),
                }
            } else {
                Encoded::default()
            };
            let _ = asset.encoded.set(encoded);
        }
        tracing::debug!(files = self.files.len(), "site files compressed");
    }

    /// The answer to `request` from memory, if it is a GET or HEAD of a kept file without a
    /// `Range`.
    pub fn answer(&self, method: &Method, path: &str, headers: &HeaderMap) -> Option<Response> {
        if (method != Method::GET && method != Method::HEAD) || headers.contains_key(header::RANGE)
        {
            return None;
        }
        let asset = self.files.get(path)?;
        let mut response = Response::new(Body::empty());
        let out = response.headers_mut();
        out.insert(header::ETAG, asset.etag.clone());
        out.insert(header::CACHE_CONTROL, asset.cache_control.clone());
        out.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if fresh(headers, &asset.etag) {
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            return Some(response);
        }
        out.insert(header::CONTENT_TYPE, asset.content_type.clone());
        let (bytes, encoding) = asset.best_for(headers);
        if let Some(encoding) = encoding {
            out.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        out.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
        if method == Method::GET {
            *response.body_mut() = Body::from(bytes);
        }
        Some(response)
    }
}

/// The middleware that answers kept files before the routes behind it (see [`Assets`]).
pub async fn serve(State(assets): State<Assets>, request: Request, next: Next) -> Response {
    match assets.answer(request.method(), request.uri().path(), request.headers()) {
        Some(response) => response,
        None => next.run(request).await,
    }
}

impl Asset {
    fn read(path: &Path, immutable: bool) -> std::io::Result<Self> {
        use sha2::{Digest, Sha256};
        let identity = Bytes::from(std::fs::read(path)?);
        let mime = mime_guess::from_path(path).first_or_octet_stream();
        let content_type = match (mime.type_(), mime.get_param(mime_guess::mime::CHARSET)) {
            (mime_guess::mime::TEXT, None) => format!("{mime}; charset=utf-8"),
            _ if mime.essence_str() == "application/javascript" => {
                "text/javascript; charset=utf-8".to_owned()
            }
            _ => mime.to_string(),
        };
        Ok(Self {
            content_type: HeaderValue::from_str(&content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            cache_control: HeaderValue::from_static(if immutable { IMMUTABLE } else { "no-cache" }),
            etag: etag_of(&Sha256::digest(&identity)),
            identity,
            encoded: OnceLock::new(),
        })
    }

    /// The smallest encoding of this file that `headers` accept, and its name.
    fn best_for(&self, headers: &HeaderMap) -> (Bytes, Option<&'static str>) {
        if let Some(encoded) = self.encoded.get() {
            let accepted = accepted_encodings(headers);
            if let (Some(br), true) = (&encoded.br, accepted.br) {
                return (br.clone(), Some("br"));
            }
            if let (Some(gzip), true) = (&encoded.gzip, accepted.gzip) {
                return (gzip.clone(), Some("gzip"));
            }
        }
        (self.identity.clone(), None)
    }
}

/// The `ETag` of a file whose content hashes to `digest`.
/// The encodings of a generated file, made once per content in a process: brotli at its best
/// quality takes tens of milliseconds, and a process that builds several apps (a test suite,
/// one router per case) would otherwise pay it for the same runtime each time.
fn encoded_once(digest: [u8; 32], bytes: &Bytes) -> Encoded {
    static MADE: std::sync::Mutex<Vec<([u8; 32], Encoded)>> = std::sync::Mutex::new(Vec::new());
    let made = |list: &Vec<([u8; 32], Encoded)>| {
        list.iter()
            .find(|(seen, _)| *seen == digest)
            .map(|(_, encoded)| encoded.clone())
    };
    if let Some(encoded) = made(&MADE.lock().unwrap_or_else(|e| e.into_inner())) {
        return encoded;
    }
    // Compressed outside the lock; two first callers may both compress, and agree.
    let encoded = Encoded {
        br: smaller(bytes, brotli(bytes)),
        gzip: smaller(bytes, gzip(bytes)),
    };
    let mut list = MADE.lock().unwrap_or_else(|e| e.into_inner());
    if made(&list).is_none() {
        list.push((digest, encoded.clone()));
    }
    encoded
}

fn etag_of(digest: &[u8]) -> HeaderValue {
    let etag = format!("\"{}\"", crate::hex(&digest[..12]));
    HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"formwork\""))
}

/// The request path of the file at `path` under `root` (`/`-separated, UTF-8 only).
fn route_of(root: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(root).ok()?;
    let mut route = String::new();
    for part in relative.components() {
        route.push('/');
        route.push_str(part.as_os_str().to_str()?);
    }
    Some(route)
}

fn compressible(content_type: &HeaderValue) -> bool {
    let content_type = content_type.to_str().unwrap_or_default();
    content_type.starts_with("text/")
        || content_type.starts_with("application/wasm")
        || content_type.starts_with("application/json")
        || content_type.starts_with("image/svg+xml")
        || content_type.starts_with("application/xml")
}

/// `encoded` if it is worth sending instead of `identity`.
fn smaller(identity: &Bytes, encoded: Option<Vec<u8>>) -> Option<Bytes> {
    encoded
        .filter(|encoded| encoded.len() + 32 < identity.len())
        .map(Bytes::from)
}

fn brotli(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let params = ::brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    ::brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).ok()?;
    Some(out)
}

fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok()
}

/// Which encodings `Accept-Encoding` allows (a `q=0` refuses one).
#[derive(Debug, Default, PartialEq, Eq)]
struct Accepted {
    br: bool,
    gzip: bool,
}

fn accepted_encodings(headers: &HeaderMap) -> Accepted {
    let mut accepted = Accepted::default();
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|param| {
                param
                    .trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            if name.eq_ignore_ascii_case("br") {
                accepted.br = !refused;
            } else if name.eq_ignore_ascii_case("gzip") {
                accepted.gzip = !refused;
            }
        }
    }
    accepted
}

/// Whether the client's copy (`If-None-Match`) is this one.
fn fresh(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Some(tags) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let ours = etag.as_bytes();
    tags.split(',').any(|tag| {
        let tag = tag.trim();
        tag == "*" || tag.trim_start_matches("W/").as_bytes() == ours
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn accept_encoding_is_read_with_its_refusals() {
        let read = |v: &str| accepted_encodings(&headers(&[(header::ACCEPT_ENCODING, v)]));
        assert_eq!(
            read("gzip, deflate, br, zstd"),
            Accepted {
                br: true,
                gzip: true
            }
        );
        assert_eq!(
            read("gzip;q=0.5"),
            Accepted {
                br: false,
                gzip: true
            }
        );
        assert_eq!(
            read("br;q=0, gzip"),
            Accepted {
                br: false,
                gzip: true
            }
        );
        assert_eq!(read("identity"), Accepted::default());
        assert_eq!(accepted_encodings(&HeaderMap::new()), Accepted::default());
    }

    #[tokio::test]
    async fn kept_files_are_answered_compressed_with_their_etag() {
        let root = std::env::temp_dir().join(format!("formwork-assets-{}", std::process::id()));
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        let script = "console.log('formwork');\n".repeat(200);
        std::fs::write(root.join("pkg/app-0123abcd.js"), &script).unwrap();
        std::fs::write(
            root.join("favicon.svg"),
            "<svg xmlns='http://www.w3.org/2000/svg'/>",
        )
        .unwrap();
        std::fs::write(root.join("photo.png"), [0x89, b'P', b'N', b'G']).unwrap();
        let assets = Assets::read(&root, "pkg").unwrap();
        assert_eq!(assets.len(), 3);
        assets.compress_all();
        let get = |path: &str, pairs: &[(header::HeaderName, &str)]| {
            assets.answer(&Method::GET, path, &headers(pairs))
        };

        let plain = get("/pkg/app-0123abcd.js", &[]).unwrap();
        assert_eq!(plain.status(), StatusCode::OK);
        assert_eq!(
            plain.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        assert_eq!(plain.headers()[header::CACHE_CONTROL], IMMUTABLE);
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        let body = axum::body::to_bytes(plain.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(body, script.as_bytes());

        let br = get(
            "/pkg/app-0123abcd.js",
            &[(header::ACCEPT_ENCODING, "gzip, br")],
        )
        .unwrap();
        assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(br.headers()[header::VARY], "accept-encoding");
        let etag = br.headers()[header::ETAG].to_str().unwrap().to_owned();
        let squeezed = axum::body::to_bytes(br.into_body(), usize::MAX)
            .await
            .unwrap();
        assert!(squeezed.len() < script.len() / 10, "{}", squeezed.len());
        let mut unpacked = Vec::new();
        ::brotli::BrotliDecompress(&mut &squeezed[..], &mut unpacked).unwrap();
        assert_eq!(unpacked, script.as_bytes(), "the same bytes, decoded");

        let gz = get("/pkg/app-0123abcd.js", &[(header::ACCEPT_ENCODING, "gzip")]).unwrap();
        assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");

        let again = get("/pkg/app-0123abcd.js", &[(header::IF_NONE_MATCH, &etag)]).unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        let other = get(
            "/pkg/app-0123abcd.js",
            &[(header::IF_NONE_MATCH, "\"stale\"")],
        )
        .unwrap();
        assert_eq!(other.status(), StatusCode::OK);

        let icon = get("/favicon.svg", &[(header::ACCEPT_ENCODING, "br")]).unwrap();
        assert_eq!(
            icon.headers()[header::CACHE_CONTROL],
            "no-cache",
            "not hashed: revalidated"
        );
        assert!(icon.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("image/svg+xml"));
        let png = get("/photo.png", &[(header::ACCEPT_ENCODING, "br")]).unwrap();
        assert!(
            png.headers().get(header::CONTENT_ENCODING).is_none(),
            "pictures stay as they are"
        );

        let head = assets
            .answer(&Method::HEAD, "/pkg/app-0123abcd.js", &HeaderMap::new())
            .unwrap();
        assert_eq!(
            head.headers()[header::CONTENT_LENGTH],
            script.len().to_string().as_str()
        );
        assert!(axum::body::to_bytes(head.into_body(), 16)
            .await
            .unwrap()
            .is_empty());

        assert!(
            get("/pkg/missing.js", &[]).is_none(),
            "unknown: the disk's turn"
        );
        assert!(get("/pkg/app-0123abcd.js", &[(header::RANGE, "bytes=0-9")]).is_none());
        assert!(assets
            .answer(&Method::POST, "/pkg/app-0123abcd.js", &HeaderMap::new())
            .is_none());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
