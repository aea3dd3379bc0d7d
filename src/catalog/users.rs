//! Users who log in on the web, and their sessions. Only the SHA-256 of a session token is
//! stored.

use super::{Catalog, CatalogError, conflict_as, unix_now};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRecord {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRecord {
    pub id: i64,
    pub user_id: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

impl Catalog {
    pub async fn insert_user(&self, email: &str, password_hash: &str) -> Result<i64, CatalogError> {
        let id = sqlx::query_scalar(
            "INSERT INTO users (email, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(email)
        .bind(password_hash)
        .bind(unix_now())
        .fetch_one(&self.pool)
        .await
        .map_err(conflict_as(format!("user {email}")))?;
        Ok(id)
    }

    pub async fn find_user_by_email(
        &self,
        email: &str,
    ) -> Result<Option<UserRecord>, CatalogError> {
        Ok(
            sqlx::query_as("SELECT id, email, password_hash FROM users WHERE email = $1")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn find_user(&self, id: i64) -> Result<Option<UserRecord>, CatalogError> {
        Ok(
            sqlx::query_as("SELECT id, email, password_hash FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn insert_session(
        &self,
        token_hash: &str,
        user_id: i64,
        expires_at: i64,
    ) -> Result<i64, CatalogError> {
        let id = sqlx::query_scalar(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(unix_now())
        .bind(expires_at)
        .fetch_one(&self.pool)
        .await
        .map_err(conflict_as("a session with this token"))?;
        Ok(id)
    }

    pub async fn find_session(
        &self,
        token_hash: &str,
    ) -> Result<Option<SessionRecord>, CatalogError> {
        Ok(sqlx::query_as(
            "SELECT id, user_id, expires_at, revoked_at FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn revoke_session(&self, token_hash: &str) -> Result<bool, CatalogError> {
        let done = sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL",
        )
        .bind(unix_now())
        .bind(token_hash)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
