//! Rows copied from one catalog into another, ids and all (`imgate migrate`): the lasting
//! tables read a page at a time in key order and written one row at a time, the objects
//! read by page with their variants, and PostgreSQL's identity sequences moved past the
//! ids copied. Which rows belong together (an original and its variants) and what a
//! difference means is decided by the command.

mod objects;
mod tables;

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row as _};

use super::sql::Sql;
use super::{Catalog, CatalogError, Dialect};

pub use tables::{API_KEYS, SESSIONS, UPLOAD_SESSIONS, UPLOADS, USERS};

/// The type of a column, as both databases store it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Int,
    Text,
}

/// One value of a copied row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Int(Option<i64>),
    Text(Option<String>),
}

/// A row of a [`Table`]: its values, in the order of the table's columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(Vec<Cell>);

impl Row {
    /// The primary key: the first column.
    pub fn key(&self) -> &Cell {
        &self.0[0]
    }
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Int(Some(v)) => write!(f, "{v}"),
            Cell::Text(Some(v)) => write!(f, "`{v}`"),
            Cell::Int(None) | Cell::Text(None) => f.write_str("NULL"),
        }
    }
}

/// A table whose rows are copied as they are.
#[derive(Debug)]
pub struct Table {
    /// The table's SQL name.
    pub name: &'static str,
    /// What one row is, for people: `user`, `API key`.
    pub noun: &'static str,
    /// Every column copied; the first is the primary key.
    pub(super) columns: &'static [(&'static str, Kind)],
    /// The column, unique too, that tells the same row from another one given the same key.
    pub identity: &'static str,
    /// Which rows are copied (an SQL condition).
    pub(super) only: &'static str,
    /// Whether PostgreSQL numbers its keys from an identity sequence.
    pub(super) serial: bool,
}

/// What writing one row into a catalog did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// It was not there; now it is.
    Copied,
    /// It was there, with other values (a key revoked since); now it has these.
    Updated,
    /// It was there as it is.
    Unchanged,
    /// Another row holds its key or its identity: the catalog is not a copy of this one.
    Clash,
    /// A row it refers to is not there (both were made while the copy ran).
    Orphan,
}

impl Table {
    fn list(&self) -> String {
        let names: Vec<&str> = self.columns.iter().map(|(name, _)| *name).collect();
        names.join(", ")
    }

    fn key(&self) -> &'static str {
        self.columns[0].0
    }

    fn read(&self, row: &AnyRow) -> Result<Row, sqlx::Error> {
        let mut cells = Vec::with_capacity(self.columns.len());
        for (i, (_, kind)) in self.columns.iter().enumerate() {
            cells.push(match kind {
                Kind::Int => Cell::Int(row.try_get(i)?),
                Kind::Text => Cell::Text(row.try_get(i)?),
            });
        }
        Ok(Row(cells))
    }
}

fn bind_cell(sql: &mut Sql, cell: &Cell) {
    match cell {
        Cell::Int(v) => sql.bind(*v),
        Cell::Text(v) => sql.bind(v.as_deref()),
    };
}

impl Catalog {
    /// Up to `limit` rows of `table` that it copies, in key order, after the key `after`.
    pub async fn rows_after(
        &self,
        table: &Table,
        after: Option<&Cell>,
        limit: i64,
    ) -> Result<Vec<Row>, CatalogError> {
        let mut sql = Sql::new(format!(
            "SELECT {} FROM {} WHERE ({})",
            table.list(),
            table.name,
            table.only
        ));
        if let Some(after) = after {
            sql.push(&format!(" AND {} > ", table.key()));
            bind_cell(&mut sql, after);
        }
        sql.push(&format!(" ORDER BY {} LIMIT ", table.key()))
            .bind(limit);
        let rows = sql.fetch_rows(&self.pool).await?;
        Ok(rows
            .iter()
            .map(|row| table.read(row))
            .collect::<Result<_, _>>()?)
    }

    /// Writes `row` into `table` under its own key, unless it is there already.
    pub async fn put_row(&self, table: &Table, row: &Row) -> Result<Written, CatalogError> {
        let mut find = Sql::new(format!(
            "SELECT {} FROM {} WHERE {} = ",
            table.list(),
            table.name,
            table.key()
        ));
        bind_cell(&mut find, row.key());
        let found = match find.fetch_rows(&self.pool).await?.first() {
            Some(found) => table.read(found)?,
            None => return self.insert_row(table, row).await,
        };
        let identity = table
            .columns
            .iter()
            .position(|(name, _)| *name == table.identity)
            .unwrap_or(0);
        if found.0[identity] != row.0[identity] {
            return Ok(Written::Clash);
        }
        if found == *row {
            return Ok(Written::Unchanged);
        }
        self.update_row(table, row).await
    }

    async fn insert_row(&self, table: &Table, row: &Row) -> Result<Written, CatalogError> {
        let mut sql = Sql::new(format!(
            "INSERT INTO {} ({}) VALUES (",
            table.name,
            table.list()
        ));
        for (i, cell) in row.0.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            bind_cell(&mut sql, cell);
        }
        sql.push(")");
        match sql.execute(&self.pool).await {
            Ok(_) => Ok(Written::Copied),
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Ok(Written::Clash),
            Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => Ok(Written::Orphan),
            Err(error) => Err(error.into()),
        }
    }

    async fn update_row(&self, table: &Table, row: &Row) -> Result<Written, CatalogError> {
        let mut sql = Sql::new(format!("UPDATE {} SET ", table.name));
        for (i, ((name, _), cell)) in table.columns.iter().zip(&row.0).enumerate().skip(1) {
            if i > 1 {
                sql.push(", ");
            }
            sql.push(&format!("{name} = "));
            bind_cell(&mut sql, cell);
        }
        sql.push(&format!(" WHERE {} = ", table.key()));
        bind_cell(&mut sql, row.key());
        match sql.execute(&self.pool).await {
            Ok(_) => Ok(Written::Updated),
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Ok(Written::Clash),
            Err(error) => Err(error.into()),
        }
    }

    /// Moves PostgreSQL's identity sequence of `table` past its highest key, so that rows
    /// made from now on do not take a key a copied row has. Never moves it back; SQLite
    /// needs nothing (a new key is one above the highest).
    pub async fn advance_sequence(&self, table: &Table) -> Result<(), CatalogError> {
        if self.dialect != Dialect::Postgres || !table.serial {
            return Ok(());
        }
        let (name, key) = (table.name, table.key());
        let sequence = format!("pg_get_serial_sequence('{name}', '{key}')");
        let statement = format!(
            "SELECT setval({sequence}, GREATEST(MAX({key}), \
             COALESCE(pg_sequence_last_value({sequence}::regclass), 1))) \
             FROM {name} HAVING MAX({key}) IS NOT NULL"
        );
        sqlx::query(AssertSqlSafe(statement))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn catalog(dir: &std::path::Path, name: &str) -> Catalog {
        let url = format!("sqlite://{}", dir.join(name).display());
        Catalog::connect(&url, 1).await.expect("catalog")
    }

    async fn only_row(catalog: &Catalog, table: &Table) -> Row {
        let mut rows = catalog.rows_after(table, None, 10).await.expect("rows");
        assert_eq!(rows.len(), 1);
        rows.remove(0)
    }

    #[tokio::test]
    async fn a_second_copy_tells_new_changed_and_unchanged_rows_from_clashes() {
        let dir = tempfile::tempdir().expect("dir");
        let (from, to) = (
            catalog(dir.path(), "a.db").await,
            catalog(dir.path(), "b.db").await,
        );
        let user = from
            .insert_user("ann@example.com", "hash")
            .await
            .expect("user");
        from.insert_session("token", user, 100)
            .await
            .expect("session");
        let session = only_row(&from, &SESSIONS).await;
        assert_eq!(
            to.put_row(&SESSIONS, &session).await.expect("put"),
            Written::Orphan
        );
        let row = only_row(&from, &USERS).await;
        assert_eq!(
            to.put_row(&USERS, &row).await.expect("put"),
            Written::Copied
        );
        assert_eq!(
            to.put_row(&USERS, &row).await.expect("put"),
            Written::Unchanged
        );
        assert_eq!(
            to.put_row(&SESSIONS, &session).await.expect("put"),
            Written::Copied
        );
        from.revoke_session("token").await.expect("revoke");
        let revoked = only_row(&from, &SESSIONS).await;
        assert_eq!(
            to.put_row(&SESSIONS, &revoked).await.expect("put"),
            Written::Updated
        );
        assert_eq!(only_row(&to, &SESSIONS).await, revoked);

        let other = catalog(dir.path(), "c.db").await;
        other
            .insert_user("bob@example.com", "hash")
            .await
            .expect("user");
        let bob = only_row(&other, &USERS).await;
        assert_eq!(
            to.put_row(&USERS, &bob).await.expect("put"),
            Written::Clash,
            "same id"
        );
        other
            .insert_user("ann@example.com", "hash")
            .await
            .expect("user");
        let ann_elsewhere = other
            .rows_after(&USERS, Some(bob.key()), 10)
            .await
            .expect("rows");
        assert_eq!(
            to.put_row(&USERS, &ann_elsewhere[0]).await.expect("put"),
            Written::Clash,
            "same email under another id"
        );
        to.advance_sequence(&USERS)
            .await
            .expect("nothing to do on SQLite");
    }
}
