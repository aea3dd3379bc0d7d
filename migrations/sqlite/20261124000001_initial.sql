-- Keys, users, sessions and stored objects. Times are unix seconds (UTC) so that the same
-- schema works on SQLite and PostgreSQL.

CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    -- First characters of the secret after `pat_`, to tell keys apart in listings.
    prefix      TEXT    NOT NULL,
    -- SHA-256 of the whole key, hex. The key itself is never stored.
    key_hash    TEXT    NOT NULL UNIQUE,
    -- Comma-separated: upload, read, admin.
    scopes      TEXT    NOT NULL,
    -- Comma-separated biz type codes; NULL means every biz type.
    biz_types   TEXT,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT,
    revoked_at  BIGINT
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL
);

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    -- SHA-256 of the session token, hex.
    token_hash  TEXT    NOT NULL UNIQUE,
    user_id     BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    revoked_at  BIGINT
);

CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE objects (
    uri           TEXT    PRIMARY KEY,
    -- `key:<id>` or `user:<id>`: who uploaded it.
    owner         TEXT    NOT NULL,
    biz_type      INTEGER NOT NULL,
    -- image, document or archive.
    kind          TEXT    NOT NULL,
    content_type  TEXT    NOT NULL,
    size          BIGINT  NOT NULL,
    sha256        TEXT    NOT NULL,
    md5           TEXT    NOT NULL,
    -- Images only: pixel size and frame count.
    width         INTEGER,
    height        INTEGER,
    frames        INTEGER,
    -- For a variant, the URI of its original; NULL for originals.
    parent        TEXT    REFERENCES objects (uri) ON DELETE CASCADE,
    created_at    BIGINT  NOT NULL
);

CREATE INDEX objects_owner ON objects (owner);
CREATE INDEX objects_parent ON objects (parent);
