//! Write intents: the keys of objects about to be stored, recorded before the bytes are
//! written and removed in the transaction that records the objects. An intent that outlives
//! its write by long is what a crash left between the two; the sweeper takes it and removes
//! the bytes.

use super::sql::{Sql, Value};
use super::{Catalog, CatalogError, unix_now};

/// An intent as the sweeper finds it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WriteIntent {
    pub object_key: String,
    pub created_at: i64,
}

impl Catalog {
    /// Records that `keys` are about to be written (again, if they were before), in one
    /// statement.
    pub async fn record_intents(&self, keys: &[String]) -> Result<(), CatalogError> {
        self.measured("record_intents", async move {
            if keys.is_empty() {
                return Ok(());
            }
            let now = unix_now();
            let mut sql = Sql::new("INSERT INTO write_intents (object_key, created_at) VALUES ");
            sql.bind_rows(
                keys.iter()
                    .map(|key| [Value::from(key.as_str()), now.into()]),
            )
            .push(" ON CONFLICT (object_key) DO UPDATE SET created_at = excluded.created_at");
            sql.execute(&self.pool).await?;
            Ok(())
        })
        .await
    }

    /// Forgets intents whose writes were undone.
    pub async fn drop_intents(&self, keys: &[String]) -> Result<(), CatalogError> {
        forget_intents(keys).execute(&self.pool).await?;
        Ok(())
    }

    /// Intents recorded before `before` (unix seconds), oldest first.
    pub async fn stale_intents(
        &self,
        before: i64,
        limit: i64,
    ) -> Result<Vec<WriteIntent>, CatalogError> {
        Ok(sqlx::query_as(
            "SELECT object_key, created_at FROM write_intents WHERE created_at < $1
             ORDER BY created_at LIMIT $2",
        )
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Takes a stale intent for sweeping: `true` when it was still as found (no writer
    /// renewed it since) and no object is recorded under its key, so its bytes are
    /// nobody's.
    pub async fn take_intent(&self, intent: &WriteIntent) -> Result<bool, CatalogError> {
        let mut tx = self.pool.begin().await?;
        let taken =
            sqlx::query("DELETE FROM write_intents WHERE object_key = $1 AND created_at = $2")
                .bind(&intent.object_key)
                .bind(intent.created_at)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
        let recorded: Option<i64> = sqlx::query_scalar("SELECT 1 FROM objects WHERE uri = $1")
            .bind(&intent.object_key)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(taken && recorded.is_none())
    }
}

/// `DELETE` of the intents of `keys`, in one statement.
pub(super) fn forget_intents(keys: &[String]) -> Sql {
    let mut sql = Sql::new("DELETE FROM write_intents WHERE object_key IN (");
    if keys.is_empty() {
        sql.push("NULL");
    }
    sql.bind_list(keys.iter().map(String::as_str)).push(")");
    sql
}
