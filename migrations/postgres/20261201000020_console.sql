-- The console: keys a web user makes carry their owner, and a user's library (their
-- originals, newest first, optionally of one biz type) pages by (created_at, uri) through
-- an index, whatever its size. The indexes hold originals only.

ALTER TABLE api_keys ADD COLUMN user_id BIGINT REFERENCES users (id);

CREATE INDEX api_keys_user ON api_keys (user_id);

-- Variants are found by their parent; originals (parent NULL) are found by the indexes
-- below, so the parent index leaves them out and the planner never scans it for them.
DROP INDEX objects_parent;
CREATE INDEX objects_parent ON objects (parent) WHERE parent IS NOT NULL;

CREATE INDEX objects_owner_newest ON objects (owner, created_at, uri) WHERE parent IS NULL;
CREATE INDEX objects_owner_biz_newest ON objects (owner, biz_type, created_at, uri)
    WHERE parent IS NULL;
CREATE INDEX objects_newest ON objects (created_at, uri) WHERE parent IS NULL;
CREATE INDEX objects_biz_newest ON objects (biz_type, created_at, uri) WHERE parent IS NULL;
