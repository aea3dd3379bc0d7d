//! The console's APIs in the document: the caller's objects and keys, who is signed in,
//! and the status page. Scripts may call them too (with a key of the `read` scope, or an
//! admin key for everyone's objects).

#![allow(dead_code)]

use utoipa::{OpenApi, ToSchema};

use super::operations::{Method, Route, Success, route};

/// An object as the console shows it: an original or a variant.
#[derive(ToSchema)]
pub struct ObjectView {
    uri: String,
    url: String,
    /// `image`, `document` or `archive`.
    kind: String,
    content_type: String,
    /// The stored file's type, as its extension.
    format: Option<String>,
    size: i64,
    width: Option<i64>,
    height: Option<i64>,
    frames: Option<i64>,
    biz_type: i64,
    biz_name: Option<String>,
    created_at: i64,
    /// `user:<id>` or `key:<id>`.
    owner: String,
    parent: Option<String>,
    /// A square variant's URL, for an image in a listing.
    thumbnail_url: Option<String>,
}

/// One page of originals, newest first.
#[derive(ToSchema)]
pub struct ObjectPage {
    objects: Vec<ObjectView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    next_cursor: Option<String>,
}

#[derive(ToSchema)]
pub struct ObjectDetail {
    object: ObjectView,
    /// Every stored variant, largest first.
    variants: Vec<ObjectView>,
}

#[derive(ToSchema)]
pub struct ObjectUrl {
    uri: String,
    /// Signed in private deployments.
    url: String,
}

#[derive(ToSchema)]
pub struct BizName {
    code: u8,
    name: String,
}

/// A key, never its secret.
#[derive(ToSchema)]
pub struct ConsoleKey {
    id: i64,
    name: String,
    /// The first characters, to tell it apart: `pat_1a2b3c4d`.
    prefix: String,
    scopes: Vec<String>,
    /// `null` for every biz type.
    biz_types: Option<Vec<BizName>>,
    created_at: i64,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
    /// `active`, `expired` or `revoked`.
    status: String,
}

#[derive(ToSchema)]
pub struct KeyList {
    keys: Vec<ConsoleKey>,
}

#[derive(ToSchema)]
pub struct NewKeyRequest {
    name: String,
    /// `upload`, `read`; default `upload`.
    scopes: Option<Vec<String>>,
    /// Biz type codes; absent or `null` for all.
    biz_types: Option<Vec<i64>>,
    /// A lifetime such as `30d`; absent or `null` for none.
    expires_in: Option<String>,
}

/// The new key: its secret is shown here once.
#[derive(ToSchema)]
pub struct KeyCreated {
    key: ConsoleKey,
    secret: String,
}

#[derive(ToSchema)]
pub struct KeyData {
    key: ConsoleKey,
}

/// Who is signed in, and what the deployment's URLs look like.
#[derive(ToSchema)]
pub struct ConsoleMe {
    /// `session`, `api_key` or `temporary`.
    kind: String,
    id: Option<i64>,
    email: Option<String>,
    service_id: String,
    private: bool,
    public_base: String,
    /// The named templates: name, op, width, height.
    templates: Vec<serde_json::Value>,
    max_side: u32,
    allowed_sizes: Vec<u32>,
    version: String,
}

#[derive(ToSchema)]
pub struct PipelineStatus {
    threads: u32,
    queue: u32,
    /// Jobs running or waiting now.
    jobs: u32,
    capacity: u32,
    memory_in_use: u64,
    memory_budget: u64,
}

#[derive(ToSchema)]
pub struct ConsoleStatus {
    version: String,
    health: String,
    ready: bool,
    /// `ok` or `down: <why>`.
    catalog: String,
    storage: String,
    storage_backend: String,
    pipeline: PipelineStatus,
}

#[derive(OpenApi)]
#[openapi(components(schemas(
    ObjectView,
    ObjectPage,
    ObjectDetail,
    ObjectUrl,
    BizName,
    ConsoleKey,
    KeyList,
    NewKeyRequest,
    KeyCreated,
    KeyData,
    ConsoleMe,
    PipelineStatus,
    ConsoleStatus,
)))]
pub struct Components;

const READ_ERRORS: &[u16] = &[400, 401, 403, 500, 503];

pub fn routes() -> Vec<Route> {
    let console = |path: &str, methods, id| Route {
        tag: "console",
        authenticated: true,
        errors: READ_ERRORS,
        ..route(path, methods, id)
    };
    vec![
        Route {
            summary: "The caller's originals (everyone's for an admin key), newest first, a page at a time",
            query: &[
                ("biz_type", "only this biz type (code)"),
                ("cursor", "the `next_cursor` of the previous page"),
                ("limit", "1 to 200 (default 50)"),
            ],
            success: Success::Coze("ObjectPage"),
            ..console("/api/objects", &[Method::Get], "list_objects")
        },
        Route {
            summary: "The URL of an object or of a template URL of one, checked against the template rules",
            query: &[("uri", "an object URI, or `<uri>~tplv-...`")],
            success: Success::Coze("ObjectUrl"),
            ..console("/api/objects/url", &[Method::Get], "object_url")
        },
        Route {
            summary: "An original with every stored variant",
            success: Success::Coze("ObjectDetail"),
            errors: &[401, 403, 404, 500, 503],
            ..console("/api/objects/{uri}", &[Method::Get], "object_detail")
        },
        Route {
            summary: "Deletes one of the caller's originals and every variant of it",
            success: Success::Coze("DeletedData"),
            errors: &[401, 403, 404, 500, 503],
            ..console("/api/objects/{uri}", &[Method::Delete], "delete_own_object")
        },
        Route {
            summary: "The signed-in user's keys, newest first (never a secret)",
            success: Success::Coze("KeyList"),
            ..console("/api/keys", &[Method::Get], "list_keys")
        },
        Route {
            summary: "Makes a key; its secret is in this answer only",
            body: Some(("application/json", Some("NewKeyRequest"))),
            success: Success::Coze("KeyCreated"),
            ..console("/api/keys", &[Method::Post], "create_key")
        },
        Route {
            summary: "Revokes one of the signed-in user's keys",
            success: Success::Coze("KeyData"),
            errors: &[401, 403, 404, 500, 503],
            ..console("/api/keys/{id}", &[Method::Delete], "revoke_key")
        },
        Route {
            summary: "Who is signed in, and the deployment's URL rules",
            success: Success::Coze("ConsoleMe"),
            ..console("/api/console/me", &[Method::Get], "console_me")
        },
        Route {
            summary: "Health and readiness of catalog and store, the processing pool, the version",
            success: Success::Coze("ConsoleStatus"),
            ..console("/api/console/status", &[Method::Get], "console_status")
        },
    ]
}
