//! Gives every request an id, answers it in `X-Request-Id`, and makes it available to the
//! error mapping (which puts it in error bodies) for the life of the request. When the
//! response is ready it is counted for `/metrics` and logged as one line: id, route
//! family, method, path (never the query, where signatures and tokens go), status,
//! latency, bytes and the caller (never a credential).

use std::borrow::Cow;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_LENGTH, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};

use crate::metrics;

tokio::task_local! {
    static REQUEST_ID: RequestId;
    static PRINCIPAL: Arc<Mutex<Option<String>>>;
}

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// A random prefix per process and a counter: unique, and no system call per request.
/// Kept as the counter and written out only where it is shown.
#[derive(Debug, Clone, Copy)]
struct RequestId(u64);

impl RequestId {
    fn next() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        Self(COUNTER.fetch_add(1, Ordering::Relaxed))
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        static PREFIX: OnceLock<String> = OnceLock::new();
        let prefix = PREFIX.get_or_init(|| crate::random::random_hex(4));
        write!(f, "{prefix}{:08x}", self.0)
    }
}

/// The current request's id, or `-` outside a request.
pub fn current() -> String {
    REQUEST_ID
        .try_with(ToString::to_string)
        .unwrap_or_else(|_| "-".to_owned())
}

/// Notes who the current request was authenticated as (an id such as `key:7` or
/// `user:2`, never a credential), for its log line.
pub fn note_principal(id: String) {
    let _ = PRINCIPAL.try_with(|principal| {
        if let Ok(mut slot) = principal.lock() {
            *slot = Some(id);
        }
    });
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let start = Instant::now();
    let id = RequestId::next();
    let principal = Arc::new(Mutex::new(None));
    let _in_flight = metrics::get().http.in_flight();
    let call = PRINCIPAL.scope(Arc::clone(&principal), next.call(req));
    let mut response = REQUEST_ID.scope(id, call).await?;
    let req = response.request();
    let line = RequestLine {
        route: route_of(req),
        method: req.method().as_str(),
        path: req.path(),
        status: response.status().as_u16(),
        seconds: metrics::seconds_since(start),
        bytes_in: req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse().ok())
            .unwrap_or(0),
        bytes_out: match response.response().body().size() {
            BodySize::Sized(n) => n,
            BodySize::None | BodySize::Stream => 0,
        },
        principal: principal.lock().ok().and_then(|p| p.clone()),
    };
    line.record(id);
    let mut text = std::io::Cursor::new([0u8; 32]);
    if write!(text, "{id}").is_ok() {
        let written = usize::try_from(text.position()).unwrap_or(0);
        if let Ok(value) = HeaderValue::from_bytes(&text.get_ref()[..written]) {
            response.headers_mut().insert(HEADER, value);
        }
    }
    Ok(response)
}

/// The route family a handler named, or else the one its pattern says.
fn route_of(req: &HttpRequest) -> Cow<'static, str> {
    if let Some(family) = req.extensions().get::<metrics::RouteFamily>() {
        return Cow::Borrowed(family.0);
    }
    metrics::route_family(req.match_pattern().as_deref())
}

/// What is counted and logged of one request.
struct RequestLine<'a> {
    route: Cow<'static, str>,
    method: &'a str,
    /// Without the query.
    path: &'a str,
    status: u16,
    seconds: f64,
    bytes_in: u64,
    /// The body's length, when known before it is sent (0 for a stream).
    bytes_out: u64,
    principal: Option<String>,
}

impl RequestLine<'_> {
    fn record(&self, id: RequestId) {
        metrics::get()
            .http
            .observe(self.route.clone(), self.method, self.status, self.seconds);
        tracing::info!(
            target: "imgate::request",
            request_id = %id,
            route = %self.route,
            method = %self.method,
            path = %self.path,
            status = self.status,
            latency_ms = self.seconds * 1000.0,
            bytes_in = self.bytes_in,
            bytes_out = self.bytes_out,
            principal = self.principal.as_deref().unwrap_or("-"),
            "request"
        );
    }
}
