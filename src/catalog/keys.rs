//! API key records. Only the SHA-256 of a key is stored. A key made by a web user records
//! that user; the operator's keys (`imgate keys create`) have none.

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
    /// The web user who made the key; `None` for the operator's keys.
    pub user_id: Option<i64>,
}

/// `SELECT <every column of ApiKeyRecord> FROM api_keys <rest>`.
macro_rules! select_keys {
    ($rest:literal) => {
        concat!(
            "SELECT id, name, prefix, scopes, biz_types, created_at, expires_at, revoked_at,
                    user_id FROM api_keys ",
            $rest
        )
    };
}

impl Catalog {
    pub async fn insert_api_key(&self, key: &NewApiKey) -> Result<i64, CatalogError> {
        self.insert_api_key_for(key, None).await
    }

    /// Records `key` as made by the web user `user_id` (or the operator, for `None`).
    pub async fn insert_api_key_for(
        &self,
        key: &NewApiKey,
        user_id: Option<i64>,
    ) -> Result<i64, CatalogError> {
        let id = sqlx::query_scalar(
            "INSERT INTO api_keys (name, prefix, key_hash, scopes, biz_types, created_at,
                                   expires_at, user_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&key.name)
        .bind(&key.prefix)
        .bind(&key.key_hash)
        .bind(&key.scopes)
        .bind(&key.biz_types)
        .bind(unix_now())
        .bind(key.expires_at)
        .bind(user_id)
        .fetch_one(&self.pool)
        .await
        .map_err(conflict_as("an API key with this hash"))?;
        Ok(id)
    }

    pub async fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>, CatalogError> {
        self.measured("find_api_key", async move {
            Ok(sqlx::query_as(select_keys!("WHERE key_hash = $1"))
                .bind(key_hash)
                .fetch_optional(&self.pool)
                .await?)
        })
        .await
    }

    pub async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, CatalogError> {
        Ok(sqlx::query_as(select_keys!("ORDER BY id"))
            .fetch_all(&self.pool)
            .await?)
    }

    /// The keys `user_id` made, newest first.
    pub async fn list_user_api_keys(
        &self,
        user_id: i64,
    ) -> Result<Vec<ApiKeyRecord>, CatalogError> {
        Ok(
            sqlx::query_as(select_keys!("WHERE user_id = $1 ORDER BY id DESC"))
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn find_api_key_by_id(&self, id: i64) -> Result<Option<ApiKeyRecord>, CatalogError> {
        Ok(sqlx::query_as(select_keys!("WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The owners recorded on objects that `user_id` uploaded: `user:<id>` and
    /// `key:<id>` of every key the user made (revoked ones too: their uploads stay).
    pub async fn owners_of_user(&self, user_id: i64) -> Result<Vec<String>, CatalogError> {
        let keys: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM api_keys WHERE user_id = $1 ORDER BY id")
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(std::iter::once(format!("user:{user_id}"))
            .chain(keys.into_iter().map(|id| format!("key:{id}")))
            .collect())
    }

    /// The web user an object owner (`user:<id>`, `key:<id>`) belongs to, if any.
    pub async fn user_of_owner(&self, owner: &str) -> Result<Option<i64>, CatalogError> {
        if let Some(user) = owner.strip_prefix("user:") {
            return Ok(user.parse().ok());
        }
        let Some(key) = owner
            .strip_prefix("key:")
            .and_then(|id| id.parse::<i64>().ok())
        else {
            return Ok(None);
        };
        Ok(self.find_api_key_by_id(key).await?.and_then(|k| k.user_id))
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
