-- The ImageX flow (PostgreSQL): an apply opens a session of one or more uploads (one per
-- StoreUri); bytes arrive directly or in parts; a commit turns them into objects.

CREATE TABLE upload_sessions (
    session_key  TEXT    PRIMARY KEY,
    owner        TEXT    NOT NULL,
    biz_type     BIGINT  NOT NULL,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL
);

CREATE INDEX upload_sessions_expiry ON upload_sessions (expires_at);

CREATE TABLE uploads (
    store_uri     TEXT COLLATE "C" PRIMARY KEY,
    session_key   TEXT    NOT NULL REFERENCES upload_sessions (session_key) ON DELETE CASCADE,
    -- The StoreInfo's UploadID; also accepted as the id of a direct upload.
    upload_id     TEXT    NOT NULL UNIQUE,
    -- Set by `?uploads` (chunked init).
    chunked_id    TEXT    UNIQUE,
    -- Declared at apply, in bytes, when the client said.
    declared_size BIGINT,
    -- pending, uploaded, committing or committed.
    state         TEXT    NOT NULL,
    size          BIGINT,
    crc32         TEXT,
    -- The commit's answer for this file, JSON, so committing again answers the same.
    result        TEXT
);

CREATE INDEX uploads_session ON uploads (session_key);

CREATE TABLE upload_parts (
    store_uri    TEXT COLLATE "C" NOT NULL REFERENCES uploads (store_uri) ON DELETE CASCADE,
    part_number  BIGINT  NOT NULL,
    size         BIGINT  NOT NULL,
    crc32        TEXT    NOT NULL,
    PRIMARY KEY (store_uri, part_number)
);
