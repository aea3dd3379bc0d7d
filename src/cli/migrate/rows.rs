//! The lasting rows of one table, copied page by page under their own keys: new rows are
//! written, rows changed since an earlier run (a key revoked, a session signed out) are
//! brought up to date, and the rest are counted as already there.

use super::{Ends, MigrateError};
use crate::catalog::copy::{Cell, Table, Written};

/// Rows read from the source at a time.
const PAGE: i64 = 500;

/// What copying one table did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowCounts {
    pub copied: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows whose parent row was made during the run, after its table was copied: the
    /// next run copies them.
    pub waiting: u64,
}

/// Copies the rows of `table` the migration keeps, then moves the destination's id
/// sequence past them.
pub async fn copy(ends: &Ends, table: &Table) -> Result<RowCounts, MigrateError> {
    let mut counts = RowCounts::default();
    let mut after: Option<Cell> = None;
    loop {
        let page = ends.from.rows_after(table, after.as_ref(), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.key().clone());
        for row in &page {
            match ends.to.put_row(table, row).await? {
                Written::Copied => counts.copied += 1,
                Written::Updated => counts.updated += 1,
                Written::Unchanged => counts.unchanged += 1,
                Written::Orphan => counts.waiting += 1,
                Written::Clash => {
                    return Err(MigrateError::Clash {
                        noun: table.noun,
                        identity: table.identity,
                        key: row.key().to_string(),
                    });
                }
            }
        }
    }
    ends.to.advance_sequence(table).await?;
    Ok(counts)
}
