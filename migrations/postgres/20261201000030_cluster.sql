-- Several nodes on one catalog. Expired upload sessions are removed by the node that claims
-- them first (a lease, like a commit's), and the catalog remembers a fingerprint of the
-- server secret its nodes share, so a node started with another secret refuses to start.

ALTER TABLE upload_sessions ADD COLUMN reaper TEXT;
ALTER TABLE upload_sessions ADD COLUMN reaped_until BIGINT;

CREATE TABLE cluster_settings (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
