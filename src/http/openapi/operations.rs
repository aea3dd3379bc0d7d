//! Every route imgate serves, with its parameters, body, and each status (and contract
//! code) it can answer.

use utoipa::openapi::HttpMethod;

/// An HTTP method a route answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Head => "head",
            Method::Post => "post",
            Method::Put => "put",
            Method::Delete => "delete",
        }
    }

    pub fn openapi(self) -> HttpMethod {
        match self {
            Method::Get => HttpMethod::Get,
            Method::Head => HttpMethod::Head,
            Method::Post => HttpMethod::Post,
            Method::Put => HttpMethod::Put,
            Method::Delete => HttpMethod::Delete,
        }
    }
}

/// What a route answers with a 2xx, besides its errors.
#[derive(Debug, Clone, Copy)]
pub enum Success {
    /// The Coze envelope with `data` of this schema.
    Coze(&'static str),
    /// A JSON body of this schema.
    Json(&'static str),
    /// One of these JSON schemas (the ImageX actions).
    OneOf(&'static [&'static str]),
    /// A stored object's bytes, with ranges, validators and redirects.
    Object,
    /// Text of this content type.
    Text(&'static str),
}

/// The shape errors take on a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Coze,
    Imagex,
    Host,
}

/// A request body: its content type and schema (`None`: any bytes).
pub type Body = (&'static str, Option<&'static str>);

#[derive(Debug, Clone)]
pub struct Route {
    pub path: String,
    pub methods: &'static [Method],
    pub id: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    /// Query parameters (name, description); path parameters come from the path.
    pub query: &'static [(&'static str, &'static str)],
    pub body: Option<Body>,
    pub success: Success,
    /// Error statuses, besides those of the success.
    pub errors: &'static [u16],
    pub shape: Shape,
    /// Whether a credential of API.md section 1 is needed.
    pub authenticated: bool,
}

const UPLOAD_ERRORS: &[u16] = &[400, 401, 403, 413, 415, 422, 500, 503];
const ACTIONS: &str = "/api/common/upload/apply_upload_action";
const ACTION_QUERY: &[(&str, &str)] = &[
    ("Action", "ApplyImageUpload or CommitImageUpload"),
    ("Version", "2018-08-01"),
    ("ServiceId", "the service id (imagex.service_id)"),
    ("FileExtension", "apply: `.jpg` or `jpg`"),
    ("FileSize", "apply: the file's size in bytes"),
    ("UploadNum", "apply: 1 to 10 StoreUris (default 1)"),
    ("StoreKeys", "apply: the ids to use, repeatable"),
    (
        "SessionKey",
        "apply: ignored when empty; commit: the session",
    ),
    ("BizType", "apply: the biz type (an imgate extension)"),
];
const HOST_QUERY: &[(&str, &str)] = &[
    ("uploads", "present: start a chunked upload"),
    ("partNumber", "the part's number, from 0 or from 1"),
    (
        "uploadID",
        "the chunked upload (or the StoreInfo's own UploadID: a direct upload)",
    ),
];
const SIGNED_QUERY: &[(&str, &str)] = &[
    (
        "x-expires",
        "private deployments: when the signed URL expires, Unix seconds",
    ),
    (
        "x-signature",
        "private deployments: hex HMAC-SHA256 of `<uri>\\n<expires>`",
    ),
];

pub fn route(path: &str, methods: &'static [Method], id: &'static str) -> Route {
    Route {
        path: path.to_owned(),
        methods,
        id,
        tag: "coze",
        summary: "",
        query: &[],
        body: None,
        success: Success::Json("Health"),
        errors: &[],
        shape: Shape::Coze,
        authenticated: false,
    }
}

/// Every route, the CDN's under `cdn_prefix`.
pub fn all(cdn_prefix: &str) -> Vec<Route> {
    let mut routes = operating();
    routes.extend(coze());
    routes.extend(imagex());
    routes.extend(super::console::routes());
    routes.push(Route {
        tag: "cdn",
        summary: "A stored object, or a variant of a stored image from a template URL \
                  (`{uri}~tplv-{service_id}-{template}[:W:H].{format}`)",
        query: SIGNED_QUERY,
        success: Success::Object,
        errors: &[400, 403, 404, 416, 500, 503],
        ..route(
            &format!("{cdn_prefix}/{{uri}}"),
            &[Method::Get, Method::Head],
            "serve_object",
        )
    });
    routes
}

fn operating() -> Vec<Route> {
    vec![
        Route {
            tag: "operating",
            summary: "The process answers",
            ..route("/healthz", &[Method::Get], "healthz")
        },
        Route {
            tag: "operating",
            summary: "The catalog and the store answer and the node is not draining",
            success: Success::Json("Readiness"),
            errors: &[503],
            ..route("/readyz", &[Method::Get], "readyz")
        },
        Route {
            tag: "operating",
            summary: "Prometheus metrics, text format 0.0.4 (here unless `metrics.listen` \
                      moves them or `metrics.enabled` is false)",
            success: Success::Text("text/plain; version=0.0.4"),
            ..route("/metrics", &[Method::Get], "metrics")
        },
        Route {
            tag: "operating",
            summary: "This document",
            success: Success::Text("application/json"),
            ..route("/openapi.json", &[Method::Get], "openapi")
        },
    ]
}

fn coze() -> Vec<Route> {
    let login = |path, id| Route {
        summary: "Logs a web user in; sets the `session_key` cookie",
        body: Some(("application/json", Some("LoginRequest"))),
        success: Success::Coze("LoginData"),
        errors: &[400, 401, 500, 503],
        ..route(path, &[Method::Post], id)
    };
    let logout = |path, id| Route {
        summary: "Revokes the caller's web session and clears its cookies",
        success: Success::Coze("EmptyData"),
        errors: &[500, 503],
        ..route(path, &[Method::Post], id)
    };
    vec![
        Route {
            summary: "What this server accepts: the Base64 limit, the ImageX limits, each biz type",
            success: Success::Coze("LimitsData"),
            ..route("/api/upload/limits", &[Method::Get], "upload_limits")
        },
        Route {
            summary: "Method 1: a file as Base64 inside JSON",
            body: Some(("application/json", Some("UploadFileRequest"))),
            success: Success::Coze("UploadData"),
            errors: UPLOAD_ERRORS,
            authenticated: true,
            ..route("/api/bot/upload_file", &[Method::Post], "upload_file")
        },
        login("/api/passport/web/email/login/", "login"),
        login("/api/passport/web/email/login", "login_without_slash"),
        logout("/api/passport/web/logout/", "logout"),
        logout("/api/passport/web/logout", "logout_without_slash"),
        Route {
            summary: "Fresh signed URLs for objects and template URLs",
            body: Some(("application/json", Some("UrlsRequest"))),
            success: Success::Coze("UrlsData"),
            errors: &[400, 401, 403, 500, 503],
            authenticated: true,
            ..route(
                "/api/playground_api/get_imagex_url",
                &[Method::Post],
                "get_imagex_url",
            )
        },
        Route {
            summary: "Deletes an original and every variant of it",
            success: Success::Coze("DeletedData"),
            errors: &[401, 403, 404, 500, 503],
            authenticated: true,
            ..route(
                "/api/common/upload/object/{uri}",
                &[Method::Delete],
                "delete_object",
            )
        },
    ]
}

fn imagex() -> Vec<Route> {
    let actions = |path: &str, id| Route {
        tag: "imagex",
        summary: "ApplyImageUpload or CommitImageUpload (parameters in the query, or a POST's JSON body)",
        query: ACTION_QUERY,
        body: Some(("application/json", Some("ActionRequest"))),
        success: Success::OneOf(&["ApplyReply", "CommitReply"]),
        errors: &[400, 401, 403, 404, 413, 415, 422, 500, 503],
        shape: Shape::Imagex,
        authenticated: true,
        ..route(path, &[Method::Get, Method::Post], id)
    };
    vec![
        Route {
            summary: "Method 2: temporary upload credentials for a scene",
            body: Some(("application/json", Some("AuthTokenRequest"))),
            success: Success::Coze("AuthTokenData"),
            errors: &[400, 401, 403, 500, 503],
            authenticated: true,
            ..route(
                "/api/playground/upload/auth_token",
                &[Method::Post],
                "auth_token",
            )
        },
        actions(ACTIONS, "imagex_action"),
        actions("/", "imagex_action_at_root"),
        Route {
            summary: "The reference document's PUT upload with temporary credentials",
            body: Some(("application/octet-stream", None)),
            success: Success::Coze("UploadData"),
            errors: UPLOAD_ERRORS,
            authenticated: true,
            ..route(
                &format!("{ACTIONS}/{{prefix}}/{{name}}"),
                &[Method::Put],
                "put_upload",
            )
        },
        Route {
            tag: "imagex",
            summary: "The upload host: direct upload, chunked init, part, complete, resume query",
            query: HOST_QUERY,
            body: Some(("application/octet-stream", None)),
            success: Success::Json("HostReply"),
            errors: &[400, 401, 403, 404, 413, 500, 503],
            shape: Shape::Host,
            authenticated: true,
            ..route(
                "/api/common/upload/{store_uri}",
                &[Method::Get, Method::Post, Method::Put],
                "upload_host",
            )
        },
    ]
}

/// The contract codes an error status carries (API.md section 1).
pub fn codes(status: u16) -> &'static [u32] {
    match status {
        400 => &[40000],
        401 => &[40001, 40002, 40003],
        403 => &[40004],
        404 => &[40400],
        413 => &[50002],
        415 | 422 => &[50001],
        500 => &[50000],
        503 => &[50003],
        _ => &[],
    }
}
