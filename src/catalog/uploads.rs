//! Upload sessions of the ImageX flow: the StoreUris an apply handed out, what has arrived
//! for each (whole or in parts), and what their commit answered.

use super::{Catalog, CatalogError, conflict_as, unix_now};

/// Where an upload is in its life, stored as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadState {
    /// Applied for; no whole file yet (a chunked upload may have parts).
    Pending,
    /// The whole file has arrived (directly, or settled by a complete).
    Uploaded,
    /// A commit has claimed it and is turning it into an object.
    Committing,
    /// It is an object; `result` holds the commit's answer.
    Committed,
}

impl UploadState {
    pub fn as_str(self) -> &'static str {
        match self {
            UploadState::Pending => "pending",
            UploadState::Uploaded => "uploaded",
            UploadState::Committing => "committing",
            UploadState::Committed => "committed",
        }
    }
}

impl TryFrom<String> for UploadState {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        [
            UploadState::Pending,
            UploadState::Uploaded,
            UploadState::Committing,
            UploadState::Committed,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
        .ok_or_else(|| format!("unknown upload state `{text}`"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UploadSession {
    pub session_key: String,
    pub owner: String,
    pub biz_type: i64,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UploadRecord {
    pub store_uri: String,
    pub session_key: String,
    pub upload_id: String,
    pub chunked_id: Option<String>,
    pub declared_size: Option<i64>,
    #[sqlx(try_from = "String")]
    pub state: UploadState,
    pub size: Option<i64>,
    pub crc32: Option<String>,
    pub result: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PartRecord {
    pub part_number: i64,
    pub size: i64,
    pub crc32: String,
}

/// One StoreUri of a new session.
#[derive(Debug, Clone)]
pub struct NewUpload {
    pub store_uri: String,
    pub upload_id: String,
    pub declared_size: Option<i64>,
}

impl Catalog {
    pub async fn open_upload_session(
        &self,
        session: &UploadSession,
        uploads: &[NewUpload],
    ) -> Result<(), CatalogError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO upload_sessions (session_key, owner, biz_type, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&session.session_key)
        .bind(&session.owner)
        .bind(session.biz_type)
        .bind(session.created_at)
        .bind(session.expires_at)
        .execute(&mut *tx)
        .await?;
        for upload in uploads {
            sqlx::query(
                "INSERT INTO uploads (store_uri, session_key, upload_id, declared_size, state)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&upload.store_uri)
            .bind(&session.session_key)
            .bind(&upload.upload_id)
            .bind(upload.declared_size)
            .bind(UploadState::Pending.as_str())
            .execute(&mut *tx)
            .await
            .map_err(conflict_as(format!("upload {}", upload.store_uri)))?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn find_upload_session(
        &self,
        key: &str,
    ) -> Result<Option<UploadSession>, CatalogError> {
        Ok(sqlx::query_as(
            "SELECT session_key, owner, biz_type, created_at, expires_at FROM upload_sessions WHERE session_key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn find_upload(&self, store_uri: &str) -> Result<Option<UploadRecord>, CatalogError> {
        Ok(sqlx::query_as(
            "SELECT store_uri, session_key, upload_id, chunked_id, declared_size, state, size, crc32, result
             FROM uploads WHERE store_uri = $1",
        )
        .bind(store_uri)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn session_uploads(
        &self,
        session_key: &str,
    ) -> Result<Vec<UploadRecord>, CatalogError> {
        Ok(sqlx::query_as(
            "SELECT store_uri, session_key, upload_id, chunked_id, declared_size, state, size, crc32, result
             FROM uploads WHERE session_key = $1 ORDER BY store_uri",
        )
        .bind(session_key)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Starts a chunked upload; `false` when it had already been started with another id.
    pub async fn start_chunked(
        &self,
        store_uri: &str,
        chunked_id: &str,
    ) -> Result<bool, CatalogError> {
        let done = sqlx::query(
            "UPDATE uploads SET chunked_id = $1 WHERE store_uri = $2 AND state = $3 AND chunked_id IS NULL",
        )
        .bind(chunked_id)
        .bind(store_uri)
        .bind(UploadState::Pending.as_str())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a received part, replacing an earlier copy of the same number.
    pub async fn record_part(
        &self,
        store_uri: &str,
        part: &PartRecord,
    ) -> Result<(), CatalogError> {
        self.measured("record_part", async move {
            sqlx::query(
                "INSERT INTO upload_parts (store_uri, part_number, size, crc32) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (store_uri, part_number) DO UPDATE SET size = excluded.size, crc32 = excluded.crc32",
            )
            .bind(store_uri)
            .bind(part.part_number)
            .bind(part.size)
            .bind(&part.crc32)
            .execute(&self.pool)
            .await?;
            Ok(())
        })
        .await
    }

    pub async fn forget_part(&self, store_uri: &str, part_number: i64) -> Result<(), CatalogError> {
        sqlx::query("DELETE FROM upload_parts WHERE store_uri = $1 AND part_number = $2")
            .bind(store_uri)
            .bind(part_number)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn parts(&self, store_uri: &str) -> Result<Vec<PartRecord>, CatalogError> {
        Ok(sqlx::query_as(
            "SELECT part_number, size, crc32 FROM upload_parts WHERE store_uri = $1 ORDER BY part_number",
        )
        .bind(store_uri)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Claims an uploaded file for the commit named `claim` until `until` (unix seconds):
    /// a file waiting for a commit, or one whose last claim lapsed (its holder died).
    /// `false` when another commit holds it.
    pub async fn claim_upload(
        &self,
        store_uri: &str,
        claim: &str,
        until: i64,
    ) -> Result<bool, CatalogError> {
        self.measured("claim_upload", async move {
            let done = sqlx::query(
                "UPDATE uploads SET state = $1, claim = $2, claimed_until = $3
                 WHERE store_uri = $4 AND (state = $5
                    OR (state = $6 AND (claimed_until IS NULL OR claimed_until <= $7)))",
            )
            .bind(UploadState::Committing.as_str())
            .bind(claim)
            .bind(until)
            .bind(store_uri)
            .bind(UploadState::Uploaded.as_str())
            .bind(UploadState::Committing.as_str())
            .bind(unix_now())
            .execute(&self.pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    /// Extends the claim `claim` to `until`; `false` when it is no longer held.
    pub async fn renew_claim(
        &self,
        store_uri: &str,
        claim: &str,
        until: i64,
    ) -> Result<bool, CatalogError> {
        let done = sqlx::query(
            "UPDATE uploads SET claimed_until = $1 WHERE store_uri = $2 AND state = $3 AND claim = $4",
        )
        .bind(until)
        .bind(store_uri)
        .bind(UploadState::Committing.as_str())
        .bind(claim)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives a claimed file back after its commit failed, so it can be committed again.
    pub async fn release_upload(&self, store_uri: &str, claim: &str) -> Result<(), CatalogError> {
        sqlx::query(
            "UPDATE uploads SET state = $1, claim = NULL, claimed_until = NULL
             WHERE store_uri = $2 AND state = $3 AND claim = $4",
        )
        .bind(UploadState::Uploaded.as_str())
        .bind(store_uri)
        .bind(UploadState::Committing.as_str())
        .bind(claim)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets that an upload was chunked, and its parts: a direct upload replaced them.
    pub async fn drop_chunked(&self, store_uri: &str) -> Result<(), CatalogError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE uploads SET chunked_id = NULL WHERE store_uri = $1")
            .bind(store_uri)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM upload_parts WHERE store_uri = $1")
            .bind(store_uri)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks the whole file received: a direct upload, or a chunked one whose recorded
    /// parts, in order, are now the file.
    pub async fn mark_uploaded(
        &self,
        store_uri: &str,
        size: i64,
        crc32: &str,
    ) -> Result<(), CatalogError> {
        sqlx::query(
            "UPDATE uploads SET state = $1, size = $2, crc32 = $3 WHERE store_uri = $4 AND state IN ($5, $6)",
        )
        .bind(UploadState::Uploaded.as_str())
        .bind(size)
        .bind(crc32)
        .bind(store_uri)
        .bind(UploadState::Pending.as_str())
        .bind(UploadState::Uploaded.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records the commit's answer, if the commit `claim` still holds the file; `false`
    /// when another commit took it over.
    pub async fn mark_committed(
        &self,
        store_uri: &str,
        claim: &str,
        result: &str,
    ) -> Result<bool, CatalogError> {
        self.measured("mark_committed", async move {
            let done = sqlx::query(
                "UPDATE uploads SET state = $1, result = $2, claim = NULL, claimed_until = NULL
                 WHERE store_uri = $3 AND state = $4 AND claim = $5",
            )
            .bind(UploadState::Committed.as_str())
            .bind(result)
            .bind(store_uri)
            .bind(UploadState::Committing.as_str())
            .bind(claim)
            .execute(&self.pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    /// Claims up to `limit` sessions past their expiry, oldest first, for `claim` until
    /// `until`: the node that claims a session removes it, and the others pass it by until
    /// the claim lapses (its node died). A session with a commit in progress is left alone.
    pub async fn claim_expired_sessions(
        &self,
        claim: &str,
        until: i64,
        limit: i64,
    ) -> Result<Vec<UploadSession>, CatalogError> {
        // The conditions stand in the outer WHERE too: PostgreSQL checks them again on a
        // row another node claimed while this statement waited for it.
        Ok(sqlx::query_as(
            "UPDATE upload_sessions SET reaper = $1, reaped_until = $2
             WHERE expires_at <= $3 AND (reaped_until IS NULL OR reaped_until < $3)
               AND session_key IN (
                   SELECT session_key FROM upload_sessions s
                   WHERE expires_at <= $3 AND (reaped_until IS NULL OR reaped_until < $3)
                     AND NOT EXISTS (
                         SELECT 1 FROM uploads u
                         WHERE u.session_key = s.session_key AND u.state = $4
                           AND u.claimed_until > $3)
                   ORDER BY expires_at LIMIT $5)
             RETURNING session_key, owner, biz_type, created_at, expires_at",
        )
        .bind(claim)
        .bind(until)
        .bind(unix_now())
        .bind(UploadState::Committing.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Removes a session `claim` holds, with its uploads and parts (objects already
    /// committed stay); `false` when the claim was lost to another node.
    pub async fn delete_upload_session(
        &self,
        key: &str,
        claim: &str,
    ) -> Result<bool, CatalogError> {
        let done =
            sqlx::query("DELETE FROM upload_sessions WHERE session_key = $1 AND reaper = $2")
                .bind(key)
                .bind(claim)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }
}
