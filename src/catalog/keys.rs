//! API key records. Only the SHA-256 of a key is stored.

use super::{Catalog, CatalogError, conflict_as, unix_now};

#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub name: String,
    pub prefix: String,
    pub key_hash: String,
    /// Comma-separated scope names.
    pub scopes: String,
    /// Comma-separated biz type codes, or `None` for all.
    pub biz_types: Option<String>,
    pub expires_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKeyRecord {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub biz_types: Option<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl Catalog {
    pub async fn insert_api_key(&self, key: &NewApiKey) -> Result<i64, CatalogError> {
        let id = sqlx::query_scalar(
            "INSERT INTO api_keys (name, prefix, key_hash, scopes, biz_types, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&key.name)
        .bind(&key.prefix)
        .bind(&key.key_hash)
        .bind(&key.scopes)
        .bind(&key.biz_types)
        .bind(unix_now())
        .bind(key.expires_at)
        .fetch_one(&self.pool)
        .await
        .map_err(conflict_as("an API key with this hash"))?;
        Ok(id)
    }

    pub async fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>, CatalogError> {
        Ok(sqlx::query_as(
            "SELECT id, name, prefix, scopes, biz_types, created_at, expires_at, revoked_at
             FROM api_keys WHERE key_hash = $1",
        )
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, CatalogError> {
        Ok(sqlx::query_as(
            "SELECT id, name, prefix, scopes, biz_types, created_at, expires_at, revoked_at
             FROM api_keys ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Marks the key revoked; `false` when no such key exists or it already was.
    pub async fn revoke_api_key(&self, id: i64) -> Result<bool, CatalogError> {
        let done =
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(unix_now())
                .bind(id)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }
}
