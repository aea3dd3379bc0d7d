//! Stored objects: what each URI holds, who uploaded it, and the hashes it is served with.
//! An original and its variants are recorded together, in one transaction.

use super::{Catalog, CatalogError, conflict_as};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ObjectRecord {
    pub uri: String,
    pub owner: String,
    pub biz_type: i64,
    pub kind: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub md5: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub frames: Option<i64>,
    /// The original's URI, for a variant.
    pub parent: Option<String>,
    pub created_at: i64,
    /// The ImageX upload (StoreUri) the object was committed from, if any.
    pub origin: Option<String>,
}

impl Catalog {
    /// Records all of `objects` or none of them, and forgets their write intents.
    pub async fn insert_objects(&self, objects: &[ObjectRecord]) -> Result<(), CatalogError> {
        let mut tx = self.pool.begin().await?;
        for object in objects {
            sqlx::query(
                "INSERT INTO objects (uri, owner, biz_type, kind, content_type, size, sha256, md5,
                                      width, height, frames, parent, created_at, origin)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(&object.uri)
            .bind(&object.owner)
            .bind(object.biz_type)
            .bind(&object.kind)
            .bind(&object.content_type)
            .bind(object.size)
            .bind(&object.sha256)
            .bind(&object.md5)
            .bind(object.width)
            .bind(object.height)
            .bind(object.frames)
            .bind(&object.parent)
            .bind(object.created_at)
            .bind(&object.origin)
            .execute(&mut *tx)
            .await
            .map_err(conflict_as(format!("object {}", object.uri)))?;
            sqlx::query("DELETE FROM write_intents WHERE object_key = $1")
                .bind(&object.uri)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn find_object(&self, uri: &str) -> Result<Option<ObjectRecord>, CatalogError> {
        Ok(sqlx::query_as(
            "SELECT uri, owner, biz_type, kind, content_type, size, sha256, md5,
                    width, height, frames, parent, created_at, origin
             FROM objects WHERE uri = $1",
        )
        .bind(uri)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The original committed from the ImageX upload `store_uri`, if one was.
    pub async fn find_committed(
        &self,
        store_uri: &str,
    ) -> Result<Option<ObjectRecord>, CatalogError> {
        Ok(sqlx::query_as(
            "SELECT uri, owner, biz_type, kind, content_type, size, sha256, md5,
                    width, height, frames, parent, created_at, origin
             FROM objects WHERE origin = $1 AND parent IS NULL",
        )
        .bind(store_uri)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Whether an object is named `<stem>` or `<stem>.<ext>` (uploads choose only the stem).
    pub async fn stem_taken(&self, stem: &str) -> Result<bool, CatalogError> {
        // Every `<stem>.<anything>` sorts between `<stem>.` and `<stem>/`.
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM objects WHERE uri = $1 OR (uri >= $2 AND uri < $3) LIMIT 1",
        )
        .bind(stem)
        .bind(format!("{stem}."))
        .bind(format!("{stem}/"))
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// URIs of the variants recorded for `uri`.
    pub async fn variants_of(&self, uri: &str) -> Result<Vec<String>, CatalogError> {
        Ok(
            sqlx::query_scalar("SELECT uri FROM objects WHERE parent = $1 ORDER BY uri")
                .bind(uri)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Removes the record of `uri` and of its variants; `false` when there was none.
    pub async fn delete_object(&self, uri: &str) -> Result<bool, CatalogError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM objects WHERE parent = $1")
            .bind(uri)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM objects WHERE uri = $1")
            .bind(uri)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn count_objects(&self) -> Result<i64, CatalogError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM objects")
            .fetch_one(&self.pool)
            .await?)
    }
}
