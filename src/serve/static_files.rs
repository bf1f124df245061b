//! The site of the current generation over HTTP: content types, `ETag` and `Last-Modified`
//! with conditional requests, gzip for text, `index.html` for a directory (never a listing),
//! and paths confined to the site (no `..`, no symlink out of it).

use super::generation::Generations;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Text bodies smaller than this are sent as they are: gzip would not pay for its header.
const GZIP_MIN_BYTES: usize = 512;

fn content_type(path: &Path) -> (&'static str, bool) {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => ("text/html; charset=utf-8", true),
        "css" => ("text/css; charset=utf-8", true),
        "js" | "mjs" => ("text/javascript; charset=utf-8", true),
        "json" => ("application/json", true),
        "svg" => ("image/svg+xml", true),
        "yaml" | "yml" => ("application/yaml", true),
        "csv" => ("text/csv; charset=utf-8", true),
        "txt" | "md" => ("text/plain; charset=utf-8", true),
        "png" => ("image/png", false),
        "ico" => ("image/x-icon", false),
        "parquet" => ("application/vnd.apache.parquet", false),
        _ => ("application/octet-stream", false),
    }
}

/// The file a URL path names inside `root`, or `None` when it would leave the site, names
/// nothing, or names a directory without an `index.html`.
pub fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    let mut file = root.to_path_buf();
    for segment in decoded.split('/').filter(|s| !s.is_empty() && *s != ".") {
        if segment == ".." || segment.contains('\\') || segment.contains('\0') {
            return None;
        }
        file.push(segment);
    }
    if file.is_dir() {
        file.push("index.html");
    }
    let real = std::fs::canonicalize(&file).ok()?;
    (real.starts_with(root) && real.is_file()).then_some(real)
}

fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The gzip variant's own strong tag (a different byte sequence needs a different tag).
fn gzip_tag(tag: &str) -> String {
    format!("{}-gzip\"", tag.trim_end_matches('"'))
}

fn etag(body: &[u8]) -> String {
    format!("\"{}\"", pipeline::digest::sha256_hex(body, 10))
}

/// Whether the client's copy is current: `If-None-Match` when sent, else `If-Modified-Since`.
fn not_modified(headers: &HeaderMap, tag: &str, modified: Option<SystemTime>) -> bool {
    if let Some(inm) = headers.get(header::IF_NONE_MATCH) {
        // Weak comparison (RFC 9110 §13.1.2): `W/"x"` matches `"x"`.
        let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
        let inm = inm.to_str().unwrap_or("");
        return inm
            .split(',')
            .any(|t| t.trim() == "*" || bare(t) == bare(tag));
    }
    match (
        headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok()),
        modified,
    ) {
        (Some(since), Some(m)) => {
            // HTTP dates have whole seconds.
            let m_secs = m
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs());
            let s_secs = since
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs());
            matches!((m_secs, s_secs), (Ok(m), Ok(s)) if m <= s)
        }
        _ => false,
    }
}

/// Whether the client takes gzip: `gzip` listed with a q above 0, else `*` with one.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let q_of = |name: &str| {
        value.split(',').find_map(|e| {
            let mut parts = e.split(';');
            (parts.next().unwrap_or("").trim() == name).then(|| {
                parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.trim().parse::<f64>().ok())
                    .unwrap_or(1.0)
            })
        })
    };
    q_of("gzip").or_else(|| q_of("*")).is_some_and(|q| q > 0.0)
}

fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}

fn plain(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text.to_string(),
    )
        .into_response()
}

/// Answers a GET or HEAD for a file of the current generation's site.
pub fn serve(
    generations: &Generations,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
    }
    let root = match generations.current_dir("site") {
        Ok(root) => root,
        Err(e) => return plain(StatusCode::SERVICE_UNAVAILABLE, &format!("{}\n", e.message)),
    };
    let Some(file) = resolve(&root, uri.path()) else {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    };
    let Ok(body) = std::fs::read(&file) else {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    };
    let modified = std::fs::metadata(&file).and_then(|m| m.modified()).ok();
    let tag = etag(&body);
    let (kind, text) = content_type(&file);
    let current =
        not_modified(headers, &tag, modified) || not_modified(headers, &gzip_tag(&tag), None);
    let mut response = if current {
        Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
    } else if text && body.len() >= GZIP_MIN_BYTES && accepts_gzip(headers) {
        match gzip(&body) {
            Some(zipped) => Response::builder()
                .header(header::CONTENT_ENCODING, "gzip")
                .header(header::ETAG, gzip_tag(&tag))
                .body(Body::from(zipped)),
            None => Response::builder().body(Body::from(body)),
        }
    } else {
        Response::builder().body(Body::from(body))
    }
    .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "response\n"));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if !h.contains_key(header::ETAG)
        && let Ok(v) = HeaderValue::from_str(&tag)
    {
        h.insert(header::ETAG, v);
    }
    if let Some(m) = modified
        && let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(m))
    {
        h.insert(header::LAST_MODIFIED, v);
    }
    if text {
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // The site's pages look for this (through the Navigation Timing API, so no extra request)
    // to offer YAML at the reader's targets (site_manifest.rs).
    h.insert(
        header::HeaderName::from_static("server-timing"),
        HeaderValue::from_static(super::site_manifest::SERVED_TIMING),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_site() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("site/profiles")).unwrap();
        std::fs::write(root.join("site/index.html"), "x").unwrap();
        std::fs::write(root.join("site/profiles/a b.html"), "x").unwrap();
        std::fs::write(root.join("secret.txt"), "x").unwrap();
        let site = root.join("site");
        assert_eq!(resolve(&site, "/"), Some(site.join("index.html")));
        assert_eq!(
            resolve(&site, "/profiles/a%20b.html"),
            Some(site.join("profiles/a b.html"))
        );
        assert_eq!(resolve(&site, "/../secret.txt"), None);
        assert_eq!(resolve(&site, "/%2e%2e/secret.txt"), None);
        assert_eq!(resolve(&site, "/profiles/"), None, "no listing");
        assert_eq!(resolve(&site, "/missing.html"), None);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("secret.txt"), site.join("link.txt")).unwrap();
            assert_eq!(resolve(&site, "/link.txt"), None, "no symlink out");
        }
    }

    #[test]
    fn conditional_requests_and_encodings() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"a\", \"b\""),
        );
        assert!(not_modified(&h, "\"b\"", None));
        assert!(!not_modified(&h, "\"c\"", None));
        let mut g = HeaderMap::new();
        g.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip;q=0.8"),
        );
        assert!(accepts_gzip(&g));
        g.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0, br"),
        );
        assert!(!accepts_gzip(&g));
        g.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0.0, *"),
        );
        assert!(!accepts_gzip(&g), "an explicit refusal wins over *");
        let mut w = HeaderMap::new();
        w.insert(header::IF_NONE_MATCH, HeaderValue::from_static("W/\"b\""));
        assert!(not_modified(&w, "\"b\"", None));
    }
}
