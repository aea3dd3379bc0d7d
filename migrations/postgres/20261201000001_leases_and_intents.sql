-- A commit's claim on an upload is a lease: it lasts until `claimed_until` (unix seconds)
-- unless its holder, named by the random `claim`, renews it; a commit that finds it lapsed
-- takes over. Objects remember the upload they were committed from, so a commit that
-- takes over from one that died after storing finds the object instead of storing it twice.

ALTER TABLE uploads ADD COLUMN claim TEXT;
ALTER TABLE uploads ADD COLUMN claimed_until BIGINT;

ALTER TABLE objects ADD COLUMN origin TEXT;

CREATE INDEX objects_origin ON objects (origin);

-- Keys about to be written, recorded before the write and removed with the transaction
-- that records their objects: what a crash leaves between the two is found here and swept.
CREATE TABLE write_intents (
    object_key  TEXT COLLATE "C" PRIMARY KEY,
    created_at  BIGINT  NOT NULL
);

CREATE INDEX write_intents_age ON write_intents (created_at);
