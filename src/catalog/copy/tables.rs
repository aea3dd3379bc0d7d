//! The tables whose rows a migration copies as they are, in the order it copies them:
//! users before the keys and sessions that name them, upload sessions before their uploads.

use super::{Kind, Table};

pub const USERS: Table = Table {
    name: "users",
    noun: "user",
    columns: &[
        ("id", Kind::Int),
        ("email", Kind::Text),
        ("password_hash", Kind::Text),
        ("created_at", Kind::Int),
    ],
    identity: "email",
    only: "1 = 1",
    serial: true,
};

pub const API_KEYS: Table = Table {
    name: "api_keys",
    noun: "API key",
    columns: &[
        ("id", Kind::Int),
        ("name", Kind::Text),
        ("prefix", Kind::Text),
        ("key_hash", Kind::Text),
        ("scopes", Kind::Text),
        ("biz_types", Kind::Text),
        ("created_at", Kind::Int),
        ("expires_at", Kind::Int),
        ("revoked_at", Kind::Int),
        ("user_id", Kind::Int),
    ],
    identity: "key_hash",
    only: "1 = 1",
    serial: true,
};

pub const SESSIONS: Table = Table {
    name: "sessions",
    noun: "web session",
    columns: &[
        ("id", Kind::Int),
        ("token_hash", Kind::Text),
        ("user_id", Kind::Int),
        ("created_at", Kind::Int),
        ("expires_at", Kind::Int),
        ("revoked_at", Kind::Int),
    ],
    identity: "token_hash",
    only: "1 = 1",
    serial: true,
};

/// Upload sessions with at least one committed upload: the ones a commit is retried in.
pub const UPLOAD_SESSIONS: Table = Table {
    name: "upload_sessions",
    noun: "upload session",
    columns: &[
        ("session_key", Kind::Text),
        ("owner", Kind::Text),
        ("biz_type", Kind::Int),
        ("created_at", Kind::Int),
        ("expires_at", Kind::Int),
    ],
    identity: "session_key",
    only: "EXISTS (SELECT 1 FROM uploads u WHERE u.session_key = upload_sessions.session_key \
           AND u.state = 'committed')",
    serial: false,
};

/// Committed uploads, with the answer their commit saved.
pub const UPLOADS: Table = Table {
    name: "uploads",
    noun: "upload",
    columns: &[
        ("store_uri", Kind::Text),
        ("session_key", Kind::Text),
        ("upload_id", Kind::Text),
        ("chunked_id", Kind::Text),
        ("declared_size", Kind::Int),
        ("state", Kind::Text),
        ("size", Kind::Int),
        ("crc32", Kind::Text),
        ("result", Kind::Text),
    ],
    identity: "upload_id",
    only: "state = 'committed'",
    serial: false,
};
