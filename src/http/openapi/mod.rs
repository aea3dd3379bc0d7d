//! `GET /openapi.json`: the OpenAPI 3.1 description of every route imgate serves, built
//! from the route table in [`operations`] and the body shapes in [`schemas`].

mod console;
mod operations;
mod schemas;

use actix_web::{HttpResponse, web};
use serde_json::json;
use utoipa::OpenApi;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    Content, InfoBuilder, Ref, RefOr, Required, ResponseBuilder, SecurityRequirement,
};

use crate::state::AppState;
pub use operations::all as routes;
use operations::{Method, Route, Shape, Success};

#[derive(OpenApi)]
#[openapi(components(schemas(
    schemas::ErrorBody,
    schemas::Health,
    schemas::Readiness,
    schemas::UploadFileRequest,
    schemas::FileHead,
    schemas::StoredFile,
    schemas::UploadData,
    schemas::LimitsData,
    schemas::Base64Limits,
    schemas::ImagexLimits,
    schemas::BizTypeRules,
    schemas::LoginRequest,
    schemas::LoginData,
    schemas::UrlsRequest,
    schemas::UrlsData,
    schemas::SignedUrl,
    schemas::DeletedData,
    schemas::AuthTokenRequest,
    schemas::AuthTokenData,
    schemas::TemporaryCredentials,
    schemas::ResponseMetadata,
    schemas::ActionErrorDetail,
    schemas::ActionErrorReply,
    schemas::ActionRequest,
    schemas::ApplyReply,
    schemas::ApplyResult,
    schemas::UploadAddress,
    schemas::StoreInfo,
    schemas::InnerUploadAddress,
    schemas::UploadNode,
    schemas::CommitReply,
    schemas::CommitResult,
    schemas::UriResult,
    schemas::PluginResult,
    schemas::HostReply,
    schemas::HostStatus,
    schemas::HostPayload,
    schemas::PartEntry,
)))]
struct Components;

pub async fn document(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(build(&state.settings.cdn.path_prefix))
}

/// The document, with the CDN paths under `cdn_prefix`.
pub fn build(cdn_prefix: &str) -> utoipa::openapi::OpenApi {
    let mut doc = Components::openapi();
    doc.merge(console::Components::openapi());
    doc.info = InfoBuilder::new()
        .title("imgate")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Image upload and processing: the Coze Studio upload API, the veImageX upload \
             protocol, CDN-style serving, and the operating endpoints.",
        ))
        .build();
    if let Some(components) = doc.components.as_mut() {
        components.schemas.insert(
            "EmptyData".to_owned(),
            RefOr::T(Schema::Object(ObjectBuilder::new().build())),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
    for route in routes(cdn_prefix) {
        for &method in route.methods {
            let operation = operation(&route, method);
            doc.paths
                .add_path_operation(&route.path, vec![method.openapi()], operation);
        }
    }
    doc
}

fn operation(route: &Route, method: Method) -> utoipa::openapi::path::Operation {
    let id = match route.methods {
        [_] => route.id.to_owned(),
        _ => format!("{}_{}", route.id, method.name()),
    };
    let mut op = OperationBuilder::new()
        .operation_id(Some(id))
        .summary(Some(route.summary))
        .tag(route.tag)
        .parameters(Some(parameters(route)));
    if let Some((content_type, schema)) = route.body.filter(|_| method != Method::Get) {
        let content = Content::new(schema.map(Ref::from_schema_name));
        op = op.request_body(Some(
            RequestBodyBuilder::new()
                .content(content_type, content)
                .build(),
        ));
    }
    if route.authenticated {
        op = op.security(SecurityRequirement::new("bearer", Vec::<String>::new()));
    }
    for (status, response) in successes(route.success) {
        op = op.response(status, response);
    }
    for &status in route.errors {
        op = op.response(status.to_string(), error_response(route.shape, status));
    }
    op.build()
}

/// The path's `{name}` segments, then the route's query parameters.
fn parameters(route: &Route) -> Vec<utoipa::openapi::path::Parameter> {
    let string = || ObjectBuilder::new().schema_type(Type::String).build();
    let in_path = route
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(string()))
                .build()
        });
    let in_query = route.query.iter().map(|(name, what)| {
        ParameterBuilder::new()
            .name(*name)
            .parameter_in(ParameterIn::Query)
            .required(Required::False)
            .description(Some(*what))
            .schema(Some(string()))
            .build()
    });
    in_path.chain(in_query).collect()
}

fn json_response(description: &str, schema: impl Into<RefOr<Schema>>) -> ResponseBuilder {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", Content::new(Some(schema)))
}

/// The 2xx and 3xx answers of a route.
fn successes(success: Success) -> Vec<(&'static str, utoipa::openapi::Response)> {
    let ok = match success {
        Success::Coze(data) => json_response("success", coze_envelope(data)),
        Success::Json(name) => json_response("success", Ref::from_schema_name(name)),
        Success::OneOf(names) => {
            let one_of = names.iter().fold(OneOfBuilder::new(), |b, n| {
                b.item(Ref::from_schema_name(*n))
            });
            json_response("success", Schema::OneOf(one_of.build()))
        }
        Success::Text(content_type) => ResponseBuilder::new()
            .description("success")
            .content(content_type, Content::new(None::<RefOr<Schema>>)),
        Success::Object => return object_responses(),
    };
    vec![("200", ok.build())]
}

fn object_responses() -> Vec<(&'static str, utoipa::openapi::Response)> {
    let bytes = |what: &str| {
        ResponseBuilder::new()
            .description(what)
            .content("*/*", Content::new(None::<RefOr<Schema>>))
            .build()
    };
    let plain = |what: &str| ResponseBuilder::new().description(what).build();
    vec![
        (
            "200",
            bytes("the object (`X-Imgate-Cache` on template URLs: hit or miss)"),
        ),
        ("206", bytes("the `Range` asked for")),
        (
            "304",
            plain("not modified (`If-None-Match`, `If-Modified-Since`)"),
        ),
        (
            "307",
            plain("`storage.s3.serve = redirect`: a presigned URL of the store"),
        ),
    ]
}

/// `{"code": 0, "msg": ..., "data": <data>}`.
fn coze_envelope(data: &str) -> Schema {
    let code = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .enum_values(Some([0]));
    Schema::Object(
        ObjectBuilder::new()
            .property("code", code)
            .required("code")
            .property("msg", ObjectBuilder::new().schema_type(Type::String))
            .required("msg")
            .property("data", Ref::from_schema_name(data))
            .required("data")
            .build(),
    )
}

/// An error status in the route's shape, with the contract codes it carries.
fn error_response(shape: Shape, status: u16) -> utoipa::openapi::Response {
    let codes = operations::codes(status);
    let code = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .enum_values(Some(codes.iter().copied()));
    let (base, narrowed) = match shape {
        Shape::Coze => ("ErrorBody", nested(&[], "code", code)),
        Shape::Imagex => (
            "ActionErrorReply",
            nested(&["ResponseMetadata", "Error"], "CodeN", code),
        ),
        Shape::Host => ("HostReply", nested(&["error"], "error_code", code)),
    };
    let schema = Schema::AllOf(
        AllOfBuilder::new()
            .item(Ref::from_schema_name(base))
            .item(narrowed)
            .build(),
    );
    let mut description = format!("code {}", join(codes));
    let mut response = json_response("", schema);
    if status == 503 {
        description.push_str("; retry after `Retry-After` seconds");
        response = response.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::Integer))
                .build(),
        );
    }
    response.description(description).build()
}

/// An object whose property at `path` has a required `field` of schema `leaf`.
fn nested(path: &[&str], field: &str, leaf: ObjectBuilder) -> Schema {
    let mut schema = Schema::Object(
        ObjectBuilder::new()
            .property(field, leaf)
            .required(field)
            .build(),
    );
    for name in path.iter().rev() {
        schema = Schema::Object(
            ObjectBuilder::new()
                .property(*name, schema)
                .required(*name)
                .build(),
        );
    }
    schema
}

fn join(codes: &[u32]) -> String {
    let words: Vec<String> = codes.iter().map(u32::to_string).collect();
    words.join(" or ")
}

/// The document as JSON text (for tests and tools).
pub fn to_json(cdn_prefix: &str) -> serde_json::Value {
    serde_json::to_value(build(cdn_prefix)).unwrap_or_else(|e| json!({"error": e.to_string()}))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The files that register routes, read as the compiler reads them.
    const SOURCES: [&str; 4] = [
        include_str!("../mod.rs"),
        include_str!("../imagex/mod.rs"),
        include_str!("../console/mod.rs"),
        include_str!("../../startup/serve.rs"),
    ];

    /// Every `.route(path, web::method()...)` of `source`, and the CDN's methods where it
    /// registers the CDN's scope, as (method, OpenAPI path); the path's constants and the
    /// CDN prefix resolved, `{name:regex}` written `{name}`.
    fn registered(source: &str) -> Vec<(String, String)> {
        let constant = |name: &str| {
            let declaration = format!("const {name}: &str = \"");
            let start = source.find(&declaration)? + declaration.len();
            Some(source[start..].split('"').next()?.to_owned())
        };
        let mut out = Vec::new();
        for call in source.split(".route(").skip(1) {
            let (path, rest) = call.split_once(',').expect("a path argument");
            let method = rest
                .split_once("web::")
                .and_then(|(_, m)| m.split_once("()"))
                .map(|(m, _)| m.trim().to_owned())
                .unwrap_or_else(|| panic!("cannot read the method of `.route({call}`"));
            let path = path.trim();
            let path = if let Some(literal) = path.strip_prefix('"') {
                literal.trim_end_matches('"').to_owned()
            } else if let Some(format) = path.strip_prefix("&format!(\"") {
                let mut text = format.trim_end_matches("\")").to_owned();
                text = text.replace("{cdn_prefix}", "/imgate");
                if let Some(actions) = constant("ACTIONS") {
                    text = text.replace("{ACTIONS}", &actions);
                }
                text.replace("{{", "{").replace("}}", "}")
            } else {
                constant(path).unwrap_or_else(|| panic!("cannot read the path `{path}`"))
            };
            out.push((method, openapi_path(&path)));
        }
        if source.contains("cdn::scope(cdn_prefix)") {
            for method in crate::http::cdn::METHODS {
                out.push((method.as_str().to_lowercase(), "/imgate/{uri}".to_owned()));
            }
        }
        out
    }

    fn openapi_path(actix: &str) -> String {
        actix
            .split('/')
            .map(|segment| match segment.split_once(':') {
                Some((name, _)) if segment.starts_with('{') => format!("{name}}}"),
                _ => segment.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    #[test]
    fn every_registered_route_is_in_the_document() {
        let document = to_json("/imgate");
        let mut documented = BTreeSet::new();
        for (path, item) in document["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("item").keys() {
                documented.insert((method.clone(), path.clone()));
            }
        }
        let registered: BTreeSet<_> = SOURCES.iter().flat_map(|s| registered(s)).collect();
        assert!(registered.len() > 20, "{registered:?}");
        let missing: Vec<_> = registered.difference(&documented).collect();
        assert!(
            missing.is_empty(),
            "routes missing from the document: {missing:?}"
        );
        let extra: Vec<_> = documented.difference(&registered).collect();
        assert!(extra.is_empty(), "documented but not served: {extra:?}");
    }

    #[test]
    fn every_error_names_its_contract_codes() {
        let document = to_json("/imgate");
        let upload = &document["paths"]["/api/bot/upload_file"]["post"]["responses"];
        assert_eq!(upload["413"]["description"], "code 50002");
        assert_eq!(upload["401"]["description"], "code 40001 or 40002 or 40003");
        assert!(
            upload["503"]["headers"]["Retry-After"].is_object(),
            "{upload}"
        );
        let operation_ids: Vec<_> = document["paths"]
            .as_object()
            .expect("paths")
            .values()
            .flat_map(|item| item.as_object().expect("item").values())
            .map(|op| op["operationId"].as_str().expect("id").to_owned())
            .collect();
        let unique: BTreeSet<_> = operation_ids.iter().collect();
        assert_eq!(unique.len(), operation_ids.len(), "{operation_ids:?}");
    }
}
