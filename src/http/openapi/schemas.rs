//! The shapes of request and reply bodies, as the document's components. They mirror what
//! the handlers read and write; the integration suite checks real replies against them.

#![allow(dead_code, non_snake_case)]

use std::collections::BTreeMap;

use utoipa::ToSchema;

/// An error of the Coze-style routes (API.md section 1).
#[derive(ToSchema)]
pub struct ErrorBody {
    /// The contract code (40000-50003).
    code: u32,
    msg: String,
    /// The id in `X-Request-Id`; the server's log names the cause with it.
    request_id: String,
}

/// `/healthz`.
#[derive(ToSchema)]
pub struct Health {
    /// `ok`.
    status: String,
}

/// `/readyz`: `ready`, `unavailable` (naming what is down) or `draining`.
#[derive(ToSchema)]
pub struct Readiness {
    status: String,
    /// `ok` or `down: <why>`; absent while draining.
    catalog: Option<String>,
    storage: Option<String>,
}

/// Method 1's body.
#[derive(ToSchema)]
pub struct UploadFileRequest {
    file_head: FileHead,
    /// Standard base64, with or without padding, line breaks or a `data:` prefix.
    data: String,
}

#[derive(ToSchema)]
pub struct FileHead {
    /// Extension without the dot, case-insensitive: jpg, png, gif, webp, pdf, ...
    file_type: String,
    /// 0 to 10 (see API.md section 2); a numeric string is taken too.
    biz_type: i64,
}

/// One stored file: an original or a variant.
#[derive(ToSchema)]
pub struct StoredFile {
    uri: String,
    url: String,
    format: String,
    content_type: String,
    size: i64,
    md5: String,
    width: Option<i64>,
    height: Option<i64>,
    frames: Option<i64>,
}

/// A stored upload (methods 1 and the PUT flow).
#[derive(ToSchema)]
pub struct UploadData {
    upload_url: String,
    upload_uri: String,
    uri: String,
    url: String,
    format: String,
    content_type: String,
    size: i64,
    md5: String,
    width: Option<i64>,
    height: Option<i64>,
    frames: Option<i64>,
    /// The profile's square variants, largest first.
    variants: Vec<StoredFile>,
}

/// `GET /api/upload/limits`.
#[derive(ToSchema)]
pub struct LimitsData {
    base64: Base64Limits,
    imagex: ImagexLimits,
    biz_types: Vec<BizTypeRules>,
}

#[derive(ToSchema)]
pub struct Base64Limits {
    max_bytes: u64,
}

#[derive(ToSchema)]
pub struct ImagexLimits {
    max_file_bytes: u64,
    max_part_bytes: u64,
    max_parts: u32,
}

#[derive(ToSchema)]
pub struct BizTypeRules {
    code: u8,
    name: String,
    /// `image`, `document`, `archive`.
    accepts: Vec<String>,
    file_types: Vec<String>,
    /// `icon` or `image`.
    profile: String,
}

#[derive(ToSchema)]
pub struct LoginRequest {
    email: String,
    password: String,
}

#[derive(ToSchema)]
pub struct LoginData {
    user_id: i64,
    email: String,
    expires_at: i64,
}

#[derive(ToSchema)]
pub struct UrlsRequest {
    /// Originals, variants, or template URLs of existing originals.
    uris: Vec<String>,
}

#[derive(ToSchema)]
pub struct UrlsData {
    url_info: BTreeMap<String, SignedUrl>,
}

#[derive(ToSchema)]
pub struct SignedUrl {
    url: String,
}

#[derive(ToSchema)]
pub struct DeletedData {
    /// The original's URI first, then its variants'.
    deleted: Vec<String>,
}

#[derive(ToSchema)]
pub struct AuthTokenRequest {
    /// bot_icon, bot_dataset, plugin_icon, space, workflow, enterprise, bot_task, imageflow.
    scene: String,
    data_type: Option<String>,
}

#[derive(ToSchema)]
pub struct AuthTokenData {
    service_id: String,
    upload_path_prefix: String,
    auth: TemporaryCredentials,
    upload_host: String,
    /// `http` or `https`.
    schema: String,
}

#[derive(ToSchema)]
pub struct TemporaryCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expired_time: String,
    current_time: String,
}

/// Every ImageX action reply's metadata; `Error` on failures.
#[derive(ToSchema)]
pub struct ResponseMetadata {
    RequestId: String,
    Action: String,
    Version: String,
    Service: String,
    Region: String,
    Error: Option<ActionErrorDetail>,
}

#[derive(ToSchema)]
pub struct ActionErrorDetail {
    /// The code's name, e.g. `FileTooLarge`.
    Code: String,
    /// The contract code.
    CodeN: u32,
    Message: String,
}

/// A refused action: `ResponseMetadata.Error` says why; `Result` is empty.
#[derive(ToSchema)]
pub struct ActionErrorReply {
    ResponseMetadata: ResponseMetadata,
    Result: BTreeMap<String, String>,
}

#[derive(ToSchema)]
pub struct ApplyReply {
    ResponseMetadata: ResponseMetadata,
    Result: ApplyResult,
}

#[derive(ToSchema)]
pub struct ApplyResult {
    RequestId: String,
    UploadAddress: UploadAddress,
    InnerUploadAddress: InnerUploadAddress,
}

#[derive(ToSchema)]
pub struct UploadAddress {
    StoreInfos: Vec<StoreInfo>,
    UploadHosts: Vec<String>,
    SessionKey: String,
    Cloud: String,
}

#[derive(ToSchema)]
pub struct StoreInfo {
    StoreUri: String,
    /// The upload token of this StoreUri only.
    Auth: String,
    UploadID: String,
}

#[derive(ToSchema)]
pub struct InnerUploadAddress {
    UploadNodes: Vec<UploadNode>,
}

#[derive(ToSchema)]
pub struct UploadNode {
    StoreInfos: Vec<StoreInfo>,
    UploadHost: String,
    SessionKey: String,
}

/// The parameters of an action, in a POST's JSON body (the query wins on conflict).
#[derive(ToSchema)]
pub struct ActionRequest {
    Action: Option<String>,
    Version: Option<String>,
    ServiceId: Option<String>,
    FileExtension: Option<String>,
    FileSize: Option<String>,
    SessionKey: Option<String>,
    SuccessOids: Option<Vec<String>>,
}

#[derive(ToSchema)]
pub struct CommitReply {
    ResponseMetadata: ResponseMetadata,
    Result: CommitResult,
}

#[derive(ToSchema)]
pub struct CommitResult {
    RequestId: String,
    Results: Vec<UriResult>,
    PluginResult: Vec<PluginResult>,
}

#[derive(ToSchema)]
pub struct UriResult {
    Uri: String,
    /// 2000: stored.
    UriStatus: u32,
}

#[derive(ToSchema)]
pub struct PluginResult {
    FileName: String,
    SourceUri: String,
    ImageUri: String,
    ImageUrl: String,
    ImageWidth: i64,
    ImageHeight: i64,
    ImageMd5: String,
    ImageFormat: String,
    ImageSize: i64,
    FrameCnt: i64,
    Duration: i64,
}

/// Every answer of the upload host (API.md 4.2).
#[derive(ToSchema)]
pub struct HostReply {
    Version: String,
    /// 0 on success.
    success: i32,
    error: HostStatus,
    payload: HostPayload,
}

#[derive(ToSchema)]
pub struct HostStatus {
    /// The HTTP status.
    code: u16,
    /// The contract code's name; empty on success.
    error: String,
    /// The contract code; 0 on success.
    error_code: u32,
    message: String,
}

/// What the step answers: `hash` and `key` (direct, complete), `uploadID` (init), `hash`
/// (part), `partList` (resume query); empty on failure.
#[derive(ToSchema)]
pub struct HostPayload {
    hash: Option<String>,
    key: Option<String>,
    uploadID: Option<String>,
    partList: Option<Vec<PartEntry>>,
}

#[derive(ToSchema)]
pub struct PartEntry {
    partNumber: i64,
    crc32: String,
}
