//! Stored objects: what each URI holds, who uploaded it, and the hashes it is served with.
//! An original and its variants are recorded together, in one transaction. Originals are
//! listed newest first, a page at a time, by keyset on (created_at, uri).

use super::cluster::DELETED_CHANNEL;
use super::intents::forget_intents;
use super::sql::{Sql, Value};
use super::{Catalog, CatalogError, Dialect, conflict_as};

pub(in crate::catalog) const COLUMNS: &str =
    "uri, owner, biz_type, kind, content_type, size, sha256, md5,
                       width, height, frames, parent, created_at, origin";

#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
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

impl ObjectRecord {
    /// Width and height of an image, when both are recorded.
    pub fn dimensions(&self) -> Option<(u32, u32)> {
        let side = |v: Option<i64>| v.and_then(|v| u32::try_from(v).ok());
        side(self.width).zip(side(self.height))
    }
}

/// Which originals a listing covers, and where its page starts.
#[derive(Debug, Clone, Default)]
pub struct ObjectQuery<'a> {
    /// Only objects of these owners (`user:<id>`, `key:<id>`); `None` for every owner.
    pub owners: Option<&'a [String]>,
    pub biz_type: Option<i64>,
    /// Only objects listed after this `(created_at, uri)`: the last of the previous page.
    pub before: Option<(i64, String)>,
    /// Most records answered.
    pub limit: u32,
}

/// The query of one owner's (or everyone's) page; `lead` goes before it (`EXPLAIN ...`).
fn originals_sql(lead: &str, owner: Option<&str>, query: &ObjectQuery<'_>) -> Sql {
    let mut sql = Sql::new(format!(
        "{lead}SELECT {COLUMNS} FROM objects WHERE parent IS NULL"
    ));
    if let Some(owner) = owner {
        sql.push(" AND owner = ").bind(owner);
    }
    if let Some(biz_type) = query.biz_type {
        sql.push(" AND biz_type = ").bind(biz_type);
    }
    if let Some((created_at, uri)) = &query.before {
        sql.push(" AND (created_at, uri) < (")
            .bind(*created_at)
            .push(", ")
            .bind(uri.as_str())
            .push(")");
    }
    sql.push(" ORDER BY created_at DESC, uri DESC LIMIT ")
        .bind(i64::from(query.limit));
    sql
}

impl Catalog {
    /// Records all of `objects` or none of them, and forgets their write intents.
    pub async fn insert_objects(&self, objects: &[ObjectRecord]) -> Result<(), CatalogError> {
        self.measured("insert_objects", async move {
            let Some(first) = objects.first() else {
                return Ok(());
            };
            let mut insert = Sql::new(format!("INSERT INTO objects ({COLUMNS}) VALUES "));
            insert.bind_rows(objects.iter().map(|o| {
                [
                    Value::from(o.uri.as_str()),
                    o.owner.as_str().into(),
                    o.biz_type.into(),
                    o.kind.as_str().into(),
                    o.content_type.as_str().into(),
                    o.size.into(),
                    o.sha256.as_str().into(),
                    o.md5.as_str().into(),
                    o.width.into(),
                    o.height.into(),
                    o.frames.into(),
                    o.parent.as_deref().into(),
                    o.created_at.into(),
                    o.origin.as_deref().into(),
                ]
            }));
            let keys: Vec<String> = objects.iter().map(|o| o.uri.clone()).collect();
            let mut tx = self.pool.begin().await?;
            insert
                .execute(&mut *tx)
                .await
                .map_err(conflict_as(format!("object {}", first.uri)))?;
            forget_intents(&keys).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    pub async fn find_object(&self, uri: &str) -> Result<Option<ObjectRecord>, CatalogError> {
        self.measured("find_object", async move {
            Ok(sqlx::query_as(
                "SELECT uri, owner, biz_type, kind, content_type, size, sha256, md5,
                        width, height, frames, parent, created_at, origin
                 FROM objects WHERE uri = $1",
            )
            .bind(uri)
            .fetch_optional(&self.pool)
            .await?)
        })
        .await
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
        self.measured("delete_object", async move {
            let mut tx = self.pool.begin().await?;
            sqlx::query("DELETE FROM objects WHERE parent = $1")
                .bind(uri)
                .execute(&mut *tx)
                .await?;
            let done = sqlx::query("DELETE FROM objects WHERE uri = $1")
                .bind(uri)
                .execute(&mut *tx)
                .await?;
            if self.dialect == Dialect::Postgres {
                // Delivered to every node when the deletion commits.
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(DELETED_CHANNEL)
                    .bind(uri)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    /// One page of originals, newest first (by `created_at`, then `uri`, descending).
    /// Each owner is read through its own index range, so a page costs `limit` rows per
    /// owner however many objects there are.
    pub async fn list_originals(
        &self,
        query: &ObjectQuery<'_>,
    ) -> Result<Vec<ObjectRecord>, CatalogError> {
        let Some(owners) = query.owners else {
            return self.originals_page(None, query).await;
        };
        let mut page = Vec::new();
        for owner in owners {
            page.extend(self.originals_page(Some(owner), query).await?);
        }
        page.sort_by(|a, b| (b.created_at, &b.uri).cmp(&(a.created_at, &a.uri)));
        page.truncate(query.limit as usize);
        Ok(page)
    }

    async fn originals_page(
        &self,
        owner: Option<&str>,
        query: &ObjectQuery<'_>,
    ) -> Result<Vec<ObjectRecord>, CatalogError> {
        originals_sql("", owner, query).fetch_all(&self.pool).await
    }

    /// The variants of each of `parents`, in one query.
    pub async fn variants_of_many(
        &self,
        parents: &[String],
    ) -> Result<Vec<ObjectRecord>, CatalogError> {
        if parents.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(format!("SELECT {COLUMNS} FROM objects WHERE parent IN ("));
        sql.bind_list(parents.iter().map(String::as_str))
            .push(") ORDER BY parent, uri");
        sql.fetch_all(&self.pool).await
    }

    pub async fn count_objects(&self) -> Result<i64, CatalogError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM objects")
            .fetch_one(&self.pool)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn catalog(dir: &std::path::Path) -> Catalog {
        let url = format!("sqlite://{}", dir.join("t.db").display());
        Catalog::connect(&url, 1).await.expect("catalog")
    }

    fn original(uri: &str, owner: &str, biz_type: i64, created_at: i64) -> ObjectRecord {
        ObjectRecord {
            uri: uri.into(),
            owner: owner.into(),
            biz_type,
            kind: "image".into(),
            content_type: "image/png".into(),
            size: 1,
            sha256: String::new(),
            md5: String::new(),
            width: None,
            height: None,
            frames: None,
            parent: None,
            created_at,
            origin: None,
        }
    }

    #[tokio::test]
    async fn pages_follow_each_other_across_owners_and_equal_times() {
        let dir = tempfile::tempdir().expect("dir");
        let catalog = catalog(dir.path()).await;
        let mut all = Vec::new();
        for i in 0..23 {
            let owner = if i % 3 == 0 { "key:1" } else { "user:1" };
            all.push(original(
                &format!("B/{i:02}.png"),
                owner,
                i % 2,
                100 + i / 4,
            ));
        }
        all.push(original("B/other.png", "user:2", 0, 200));
        catalog.insert_objects(&all).await.expect("insert");
        let owners = vec!["user:1".to_owned(), "key:1".to_owned()];
        let mut seen = Vec::new();
        let mut query = ObjectQuery {
            owners: Some(&owners),
            limit: 5,
            ..ObjectQuery::default()
        };
        loop {
            let page = catalog.list_originals(&query).await.expect("page");
            let Some(last) = page.last() else { break };
            query.before = Some((last.created_at, last.uri.clone()));
            seen.extend(page.into_iter().map(|o| (o.created_at, o.uri)));
        }
        let mut expected: Vec<_> = all[..23]
            .iter()
            .map(|o| (o.created_at, o.uri.clone()))
            .collect();
        expected.sort_by(|a, b| b.cmp(a));
        assert_eq!(seen, expected);
        query.before = None;
        query.biz_type = Some(1);
        query.limit = 100;
        let odd = catalog.list_originals(&query).await.expect("biz page");
        assert_eq!(odd.len(), 11);
        assert!(odd.iter().all(|o| o.biz_type == 1));
    }

    /// The plan SQLite chooses for every shape of the listing: an index range, read in
    /// order, never a sort of the whole library.
    #[tokio::test]
    async fn every_listing_reads_an_index_in_order() {
        let dir = tempfile::tempdir().expect("dir");
        let catalog = catalog(dir.path()).await;
        let before = Some((5, "B/x.png".to_owned()));
        for (owner, biz_type, index) in [
            (Some("user:1"), None, "objects_owner_newest"),
            (Some("user:1"), Some(2), "objects_owner_biz_newest"),
            (None, None, "objects_newest"),
            (None, Some(2), "objects_biz_newest"),
        ] {
            let query = ObjectQuery {
                owners: None,
                biz_type,
                before: before.clone(),
                limit: 50,
            };
            let rows: Vec<(i64, i64, i64, String)> =
                originals_sql("EXPLAIN QUERY PLAN ", owner, &query)
                    .fetch_all(&catalog.pool)
                    .await
                    .expect("plan");
            let plan: Vec<String> = rows.into_iter().map(|r| r.3).collect();
            let plan = plan.join("; ");
            assert!(
                plan.contains(&format!("INDEX {index} ")),
                "{owner:?} {biz_type:?}: {plan}"
            );
            assert!(
                !plan.contains("TEMP B-TREE"),
                "{owner:?} {biz_type:?}: {plan}"
            );
        }
    }
}
