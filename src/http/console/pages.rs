//! The console's pages: files embedded in the binary, served under `console.path` with
//! their types, strong ETags and a Content-Security-Policy that allows no inline script or
//! style. Every path under it that is not a file answers the page shell, which routes in
//! the browser.

use std::sync::LazyLock;

use actix_web::guard::{self, GuardContext};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, Resource, web};

use crate::cdn::none_match;
use crate::error::ApiError;
use crate::state::AppState;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!("assets/", $name)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

const ASSETS: &[Asset] = &[
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("dom.js", JS),
    asset!("format.js", JS),
    asset!("signin.js", JS),
    asset!("upload.js", JS),
    asset!("uploader.js", JS),
    asset!("crc32.js", JS),
    asset!("library.js", JS),
    asset!("object.js", JS),
    asset!("keys.js", JS),
    asset!("status.js", JS),
    asset!("icon.svg", "image/svg+xml"),
];

const SHELL: &str = include_str!("assets/index.html");

/// Each asset's ETag, by position in [`ASSETS`].
static ETAGS: LazyLock<Vec<String>> =
    LazyLock::new(|| ASSETS.iter().map(|a| etag(a.body)).collect());

fn etag(body: &[u8]) -> String {
    format!("\"{}\"", &crate::auth::sha256_hex(body)[..32])
}

/// Every GET and HEAD under `console.path`, while the console is enabled.
pub fn resource() -> Resource {
    web::resource("/{tail:.*}")
        .guard(guard::Any(guard::Get()).or(guard::Head()))
        .guard(guard::fn_guard(under_console))
        .to(page)
}

fn under_console(ctx: &GuardContext<'_>) -> bool {
    let Some(state) = ctx.app_data::<web::Data<AppState>>() else {
        return false;
    };
    let console = &state.settings.console;
    let path = ctx.head().uri.path();
    console.enabled
        && path
            .strip_prefix(console.path.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

async fn page(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let base = &state.settings.console.path;
    let rest = req.path().strip_prefix(base.as_str()).unwrap_or_default();
    if rest.is_empty() {
        return Ok(HttpResponse::PermanentRedirect()
            .insert_header((header::LOCATION, format!("{base}/")))
            .finish());
    }
    if let Some(name) = rest.strip_prefix("/assets/") {
        let found = ASSETS.iter().position(|a| a.name == name);
        let index = found.ok_or(ApiError::NotFound)?;
        let asset = &ASSETS[index];
        return Ok(answer(
            &req,
            &state,
            asset.content_type,
            &ETAGS[index],
            asset.body.to_vec(),
        ));
    }
    let shell = SHELL.replace("%CONSOLE%", base);
    let tag = etag(shell.as_bytes());
    Ok(answer(
        &req,
        &state,
        "text/html; charset=utf-8",
        &tag,
        shell.into_bytes(),
    ))
}

/// The body with its validators and the headers every console file is served with;
/// 304 when the browser has it.
fn answer(
    req: &HttpRequest,
    state: &AppState,
    content_type: &str,
    tag: &str,
    body: Vec<u8>,
) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, policy(state)))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"));
    let cached = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|wanted| none_match(wanted, tag));
    if cached {
        return response
            .status(actix_web::http::StatusCode::NOT_MODIFIED)
            .finish();
    }
    response.content_type(content_type).body(body)
}

/// Scripts and styles from the console's own files only; images and their weights also
/// from the CDN's origin (`cdn.public_base`), which may be another host.
fn policy(state: &AppState) -> String {
    let cdn = origin_of(state.urls.public_base());
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: {cdn}; \
         connect-src 'self' {cdn}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_cut_from_bases() {
        assert_eq!(origin_of("https://cdn.test/imgate"), "https://cdn.test");
        assert_eq!(
            origin_of("http://127.0.0.1:8888/a/b"),
            "http://127.0.0.1:8888"
        );
        assert_eq!(origin_of("http://h:1"), "http://h:1");
    }

    #[test]
    fn the_shell_names_only_files_that_exist() {
        for name in SHELL.split("%CONSOLE%/assets/").skip(1) {
            let name = name.split('"').next().unwrap_or_default();
            assert!(ASSETS.iter().any(|a| a.name == name), "{name}");
        }
        assert!(!SHELL.contains("<script>") && !SHELL.contains("style="));
    }
}
