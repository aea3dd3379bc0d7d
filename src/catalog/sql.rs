//! Statements put together at run time (a listing's optional filters, an `IN` list), with
//! `$N` parameters numbered as they are bound: the one spelling both SQLite and
//! PostgreSQL read.

use std::fmt::Write;

use sqlx::any::{AnyArguments, AnyQueryResult, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AssertSqlSafe, FromRow};

use super::CatalogError;

/// A value bound to a parameter.
#[derive(Debug, Clone)]
pub(super) enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Int(Some(value))
    }
}

impl From<Option<i64>> for Value {
    fn from(value: Option<i64>) -> Self {
        Value::Int(value)
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::Text(Some(value.to_owned()))
    }
}

impl From<Option<&str>> for Value {
    fn from(value: Option<&str>) -> Self {
        Value::Text(value.map(str::to_owned))
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            values: Vec::new(),
        }
    }

    /// Appends SQL text: never a value, which [`Sql::bind`] takes.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends the next parameter and the value it stands for.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        let _ = write!(self.text, "${}", self.values.len());
        self
    }

    /// Appends `$a, $b, ...`, one parameter per value.
    pub fn bind_list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Self {
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(value);
        }
        self
    }

    /// Appends `(a, b, ...)` for each row, separated by commas: the rows of an INSERT.
    pub fn bind_rows<R, V>(&mut self, rows: impl IntoIterator<Item = R>) -> &mut Self
    where
        R: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        for (i, row) in rows.into_iter().enumerate() {
            self.push(if i > 0 { ", (" } else { "(" });
            self.bind_list(row).push(")");
        }
        self
    }

    /// Runs the statement and maps every row it answers.
    pub async fn fetch_all<T>(&self, pool: &sqlx::AnyPool) -> Result<Vec<T>, CatalogError>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        let rows = self.fetch_rows(pool).await?;
        Ok(rows.iter().map(T::from_row).collect::<Result<_, _>>()?)
    }

    /// Runs the statement and answers its rows as they are.
    pub async fn fetch_rows(&self, pool: &sqlx::AnyPool) -> Result<Vec<AnyRow>, CatalogError> {
        Ok(self.query().fetch_all(pool).await?)
    }

    /// Runs the statement on `executor` (a pool or a transaction).
    pub async fn execute<'c, E>(&self, executor: E) -> Result<AnyQueryResult, sqlx::Error>
    where
        E: sqlx::Executor<'c, Database = Any>,
    {
        self.query().execute(executor).await
    }

    fn query(&self) -> Query<'_, Any, AnyArguments> {
        let mut query = sqlx::query(AssertSqlSafe(self.text.clone()));
        for value in &self.values {
            query = match value {
                Value::Int(v) => query.bind(*v),
                Value::Text(v) => query.bind(v.clone()),
            };
        }
        query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_numbered_in_the_order_they_are_bound() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.bind(1)
            .push(" AND b IN (")
            .bind_list(["x", "y"])
            .push(")");
        assert_eq!(sql.text, "SELECT 1 WHERE a = $1 AND b IN ($2, $3)");
        assert_eq!(sql.values.len(), 3);
    }
}
