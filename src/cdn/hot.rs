//! The hot cache: recently served objects' records, and the bytes of small ones, in
//! memory, so a repeated GET touches neither the catalog nor the disk. Objects never change
//! under a URI, so an entry is only ever wrong once the object is deleted: this instance
//! forgets it at once, other instances after the entry's time to live.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, UNIX_EPOCH};

use actix_web::http::header::{HeaderValue, HttpDate};

use bytes::Bytes;

use crate::catalog::ObjectRecord;

#[derive(Debug, Clone)]
pub struct Hot {
    pub record: Arc<ObjectRecord>,
    /// The whole object, when it is small enough to keep.
    pub body: Option<Bytes>,
    /// Its validators and type, formatted once.
    pub etag: HeaderValue,
    pub last_modified: HeaderValue,
    pub content_type: HeaderValue,
}

impl Hot {
    pub fn new(record: ObjectRecord, body: Option<Bytes>) -> Self {
        let etag = HeaderValue::from_str(&super::etag_for(&record.sha256))
            .unwrap_or_else(|_| HeaderValue::from_static("\"\""));
        let modified =
            UNIX_EPOCH + Duration::from_secs(u64::try_from(record.created_at).unwrap_or(0));
        let last_modified = HeaderValue::from_str(&HttpDate::from(modified).to_string())
            .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"));
        let content_type = HeaderValue::from_str(&record.content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
        Self {
            record: Arc::new(record),
            body,
            etag,
            last_modified,
            content_type,
        }
    }
}

#[derive(Debug)]
struct Entry {
    hot: Hot,
    stored_at: Instant,
    used: u64,
}

/// URIs are hashed on every GET: foldhash, seeded per map, is several times faster than
/// SipHash on keys of this length and still keeps other people's collisions out.
type Map<V> = HashMap<String, V, foldhash::fast::RandomState>;

#[derive(Debug, Default)]
struct Inner {
    entries: Map<Entry>,
    bytes: usize,
    clock: u64,
    /// Objects deleted lately: a request that read one just before its deletion must not
    /// put it back.
    deleted: Map<Instant>,
}

impl Inner {
    fn was_deleted(&self, uri: &str, ttl: Duration) -> bool {
        let base = uri.split_once('~').map_or(uri, |(base, _)| base);
        self.deleted.get(base).is_some_and(|at| at.elapsed() < ttl)
    }
}

#[derive(Debug)]
pub struct HotCache {
    inner: Mutex<Inner>,
    budget: usize,
    max_entries: usize,
    ttl: Duration,
}

impl HotCache {
    /// Holds up to `budget` bytes of bodies and `max_entries` records for `ttl` each.
    pub fn new(budget: usize, max_entries: usize, ttl: Duration) -> Self {
        Self {
            inner: Mutex::default(),
            budget,
            max_entries: max_entries.max(1),
            ttl,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn get(&self, uri: &str) -> Option<Hot> {
        let mut inner = self.lock();
        inner.clock += 1;
        let now = inner.clock;
        let fresh = match inner.entries.get_mut(uri) {
            Some(entry) if entry.stored_at.elapsed() < self.ttl => {
                entry.used = now;
                return Some(entry.hot.clone());
            }
            Some(_) => false,
            None => return None,
        };
        if !fresh {
            remove(&mut inner, uri);
        }
        None
    }

    /// Keeps `record`, with its `body` if that fits the budget.
    pub fn put(&self, record: ObjectRecord, body: Option<Bytes>) {
        self.keep(Hot::new(record, body));
    }

    /// Keeps `hot` as it is, its body only if that fits the budget.
    pub fn keep(&self, mut hot: Hot) {
        hot.body = hot.body.filter(|b| b.len() <= self.budget / 8);
        let uri = hot.record.uri.clone();
        let mut inner = self.lock();
        if inner.was_deleted(&uri, self.ttl) {
            return;
        }
        inner.clock += 1;
        let used = inner.clock;
        remove(&mut inner, &uri);
        inner.bytes += hot.body.as_ref().map_or(0, Bytes::len);
        inner.entries.insert(
            uri,
            Entry {
                hot,
                stored_at: Instant::now(),
                used,
            },
        );
        if inner.bytes > self.budget || inner.entries.len() > self.max_entries {
            evict(&mut inner, self.budget * 3 / 4, self.max_entries * 3 / 4);
        }
    }

    /// Forgets every object held (when deletions elsewhere may have been missed).
    pub fn forget_all(&self) {
        let mut inner = self.lock();
        inner.entries.clear();
        inner.bytes = 0;
    }

    /// Forgets `uri` and every variant of it (`uri~...`).
    pub fn forget_object(&self, uri: &str) {
        let variants = format!("{uri}~");
        let mut inner = self.lock();
        let ttl = self.ttl;
        inner.deleted.retain(|_, at| at.elapsed() < ttl);
        inner.deleted.insert(uri.to_owned(), Instant::now());
        let doomed: Vec<String> = inner
            .entries
            .keys()
            .filter(|key| *key == uri || key.starts_with(&variants))
            .cloned()
            .collect();
        for key in doomed {
            remove(&mut inner, &key);
        }
    }
}

fn remove(inner: &mut Inner, uri: &str) {
    if let Some(entry) = inner.entries.remove(uri) {
        inner.bytes -= entry.hot.body.as_ref().map_or(0, Bytes::len);
    }
}

/// Drops the least recently used entries until both limits are met.
fn evict(inner: &mut Inner, bytes: usize, entries: usize) {
    let mut by_use: Vec<(u64, String)> = inner
        .entries
        .iter()
        .map(|(k, e)| (e.used, k.clone()))
        .collect();
    by_use.sort_unstable();
    for (_, uri) in by_use {
        if inner.bytes <= bytes && inner.entries.len() <= entries {
            break;
        }
        remove(inner, &uri);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(uri: &str) -> ObjectRecord {
        ObjectRecord {
            uri: uri.to_owned(),
            owner: "key:1".into(),
            biz_type: 1,
            kind: "image".into(),
            content_type: "image/png".into(),
            size: 4,
            sha256: "00".repeat(32),
            md5: "00".repeat(16),
            width: None,
            height: None,
            frames: None,
            parent: None,
            created_at: 0,
            origin: None,
        }
    }

    #[test]
    fn keeps_recent_entries_within_budget() {
        let cache = HotCache::new(80, 3, Duration::from_secs(60));
        for uri in ["a", "b", "c"] {
            cache.put(record(uri), Some(Bytes::from_static(b"1234567890")));
        }
        assert!(cache.get("a").is_some());
        cache.put(record("d"), Some(Bytes::from_static(b"1234567890")));
        assert!(cache.get("a").is_some(), "recently used");
        assert!(cache.get("b").is_none(), "least recently used goes first");
        cache.put(record("huge"), Some(Bytes::from(vec![0u8; 50])));
        assert!(
            cache.get("huge").expect("record kept").body.is_none(),
            "too big a body is not kept"
        );
    }

    #[test]
    fn forgets_objects_with_their_variants_and_expires() {
        let cache = HotCache::new(1000, 100, Duration::from_secs(60));
        cache.put(record("x/a.png"), None);
        cache.put(record("x/a.png~tplv-s-crop:1:1.webp"), None);
        cache.put(record("x/ab.png"), None);
        cache.forget_object("x/a.png");
        assert!(
            cache.get("x/a.png").is_none() && cache.get("x/a.png~tplv-s-crop:1:1.webp").is_none()
        );
        assert!(cache.get("x/ab.png").is_some());
        cache.put(record("x/a.png"), None);
        cache.put(record("x/a.png~tplv-s-crop:2:2.webp"), None);
        assert!(
            cache.get("x/a.png").is_none(),
            "a late put of a deleted object is ignored"
        );
        assert!(cache.get("x/a.png~tplv-s-crop:2:2.webp").is_none());
        let short = HotCache::new(1000, 100, Duration::ZERO);
        short.put(record("y"), None);
        assert!(short.get("y").is_none(), "expired entries are not served");
    }
}
