//! What copying the objects asks of a catalog: its originals in URI order, which of a set
//! of URIs it records (and with which hash), and the uploads still in progress.

use std::collections::HashMap;

use crate::catalog::sql::Sql;
use crate::catalog::{Catalog, CatalogError, ObjectRecord, UploadState};

impl Catalog {
    /// Up to `limit` originals in URI order, after the URI `after`.
    pub async fn originals_after(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ObjectRecord>, CatalogError> {
        let mut sql = Sql::new(format!(
            "SELECT {} FROM objects WHERE parent IS NULL",
            crate::catalog::objects::COLUMNS
        ));
        if let Some(after) = after {
            sql.push(" AND uri > ").bind(after);
        }
        sql.push(" ORDER BY uri LIMIT ").bind(limit);
        sql.fetch_all(&self.pool).await
    }

    /// The SHA-256 recorded for each of `uris` that has a record.
    pub async fn recorded_hashes(
        &self,
        uris: &[String],
    ) -> Result<HashMap<String, String>, CatalogError> {
        if uris.is_empty() {
            return Ok(HashMap::new());
        }
        let mut sql = Sql::new("SELECT uri, sha256 FROM objects WHERE uri IN (");
        sql.bind_list(uris.iter().map(String::as_str)).push(")");
        let pairs: Vec<(String, String)> = sql.fetch_all(&self.pool).await?;
        Ok(pairs.into_iter().collect())
    }

    /// ImageX uploads not yet committed: their bytes are staged, or still arriving.
    pub async fn count_unfinished_uploads(&self) -> Result<i64, CatalogError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM uploads WHERE state <> $1")
                .bind(UploadState::Committed.as_str())
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
