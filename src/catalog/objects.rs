//! Stored objects: what each URI holds, who uploaded it, and the hashes it is served with.

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
    pub created_at: i64,
}

impl Catalog {
    pub async fn insert_object(&self, object: &ObjectRecord) -> Result<(), CatalogError> {
        sqlx::query(
            "INSERT INTO objects (uri, owner, biz_type, kind, content_type, size, sha256, md5, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&object.uri)
        .bind(&object.owner)
        .bind(object.biz_type)
        .bind(&object.kind)
        .bind(&object.content_type)
        .bind(object.size)
        .bind(&object.sha256)
        .bind(&object.md5)
        .bind(object.created_at)
        .execute(&self.pool)
        .await
        .map_err(conflict_as(format!("object {}", object.uri)))?;
        Ok(())
    }

    pub async fn find_object(&self, uri: &str) -> Result<Option<ObjectRecord>, CatalogError> {
        Ok(sqlx::query_as(
            "SELECT uri, owner, biz_type, kind, content_type, size, sha256, md5, created_at
             FROM objects WHERE uri = ?",
        )
        .bind(uri)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn count_objects(&self) -> Result<i64, CatalogError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM objects")
            .fetch_one(&self.pool)
            .await?)
    }
}
