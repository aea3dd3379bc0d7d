//! HTTP: requests by route family, method and status class; latency by route family.
//! Labels are bounded: a route family comes from the pattern a request matched, never
//! from its URI.

use std::borrow::Cow;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: Cow<'static, str>,
    method: &'static str,
    status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: Cow<'static, str>,
}

#[derive(Debug)]
pub struct Http {
    requests: Family<RequestLabels, Counter>,
    duration: Family<RouteLabels, Histogram, fn() -> Histogram>,
    in_flight: Gauge,
}

impl Http {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let requests = Family::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route family, method and status class",
            Family::clone(&requests),
        );
        let duration: Family<RouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(super::latency_histogram);
        registry.register_with_unit(
            "http_request_duration",
            "Time from a request's arrival to its response's head, by route family",
            Unit::Seconds,
            duration.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "http_requests_in_flight",
            "HTTP requests being served now",
            in_flight.clone(),
        );
        Self {
            requests,
            duration,
            in_flight,
        }
    }

    /// Counts a request of `route` answered with `status` after `seconds`.
    pub fn observe(&self, route: Cow<'static, str>, method: &str, status: u16, seconds: f64) {
        const KNOWN: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"];
        let method = KNOWN.into_iter().find(|m| *m == method).unwrap_or("other");
        self.requests
            .get_or_create(&RequestLabels {
                route: route.clone(),
                method,
                status: status_class(status),
            })
            .inc();
        self.duration
            .get_or_create(&RouteLabels { route })
            .observe(seconds);
    }

    /// Marks a request as being served until the guard is dropped.
    pub fn in_flight(&self) -> InFlight<'_> {
        self.in_flight.inc();
        InFlight(&self.in_flight)
    }
}

/// A request being served; counted in `imgate_http_requests_in_flight` while it lives.
#[derive(Debug)]
pub struct InFlight<'a>(&'a Gauge);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

fn status_class(status: u16) -> &'static str {
    match status / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

/// A route family a handler names itself, for routes matched without a pattern (the CDN's
/// prefix); kept in the request's extensions, and looked for before the pattern.
#[derive(Debug, Clone, Copy)]
pub struct RouteFamily(pub &'static str);

/// The route family of a request from the pattern it matched (`None`: no route did).
/// Families name what a route does; a pattern this does not know names itself, which
/// keeps the label set bounded by the routes registered.
pub fn route_family(pattern: Option<&str>) -> Cow<'static, str> {
    const ACTIONS: &str = "/api/common/upload/apply_upload_action";
    let Some(pattern) = pattern else {
        return Cow::Borrowed("unmatched");
    };
    let family = match pattern {
        "/" | ACTIONS => "imagex_action",
        "/healthz" | "/readyz" => "health",
        "/metrics" => "metrics",
        "/openapi.json" => "openapi",
        "/api/upload/limits" => "limits",
        "/api/bot/upload_file" => "bot_upload",
        "/api/playground/upload/auth_token" => "auth_token",
        "/api/playground_api/get_imagex_url" => "imagex_url",
        "/api/common/upload/object/{uri:.+}" => "delete_object",
        "/api/common/upload/{store_uri:.+}" => "upload_host",
        _ if pattern.starts_with(ACTIONS) => "put_upload",
        _ if pattern.starts_with("/api/passport/") => "passport",
        _ if pattern.ends_with("/{uri:.+}") && !pattern.starts_with("/api/") => "cdn",
        _ => return Cow::Owned(pattern.to_owned()),
    };
    Cow::Borrowed(family)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_come_from_patterns_not_uris() {
        assert_eq!(route_family(Some("/imgate/{uri:.+}")), "cdn");
        assert_eq!(route_family(Some("/cdn/img/{uri:.+}")), "cdn");
        assert_eq!(
            route_family(Some("/api/common/upload/{store_uri:.+}")),
            "upload_host"
        );
        assert_eq!(
            route_family(Some(
                "/api/common/upload/apply_upload_action/{prefix}/{name}"
            )),
            "put_upload"
        );
        assert_eq!(route_family(Some("/")), "imagex_action");
        assert_eq!(route_family(Some("/api/passport/web/logout")), "passport");
        assert_eq!(route_family(None), "unmatched");
        assert_eq!(status_class(503), "5xx");
        assert_eq!(status_class(304), "3xx");
    }
}
