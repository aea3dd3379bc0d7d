//! The storage contract: every backend must pass these, the same way.

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream;
use imgate::storage::{
    ByteRange, ByteStream, LocalStorage, ObjectKey, Storage, StorageError, read_all, stream_of,
};

fn key(text: &str) -> ObjectKey {
    ObjectKey::parse(text).expect("valid key")
}

async fn put(storage: &dyn Storage, k: &str, bytes: &'static [u8]) {
    let size = storage
        .put(&key(k), stream_of(Bytes::from_static(bytes)))
        .await
        .expect("put");
    assert_eq!(size, bytes.len() as u64);
}

/// Runs the whole contract against one backend.
pub async fn contract(storage: &dyn Storage) {
    storage.check().await.expect("backend ready");

    put(storage, "a/one.txt", b"hello world").await;
    assert_eq!(
        read_all(storage, &key("a/one.txt"))
            .await
            .expect("read")
            .as_ref(),
        b"hello world"
    );
    assert_eq!(
        storage.head(&key("a/one.txt")).await.expect("head").size,
        11
    );

    let mut part = storage
        .get(&key("a/one.txt"), Some(ByteRange { start: 6, end: 10 }))
        .await
        .expect("ranged get");
    let mut got = Vec::new();
    while let Some(chunk) = part.body.next().await {
        got.extend_from_slice(&chunk.expect("chunk"));
    }
    assert_eq!(got, b"world");
    assert_eq!(part.info.size, 11, "info is of the whole object");

    put(storage, "a/one.txt", b"replaced").await;
    assert_eq!(
        read_all(storage, &key("a/one.txt"))
            .await
            .expect("read")
            .as_ref(),
        b"replaced"
    );

    let failing = stream::iter(vec![
        Ok(Bytes::from_static(b"partial")),
        Err(std::io::Error::other("client went away")),
    ])
    .boxed();
    assert!(storage.put(&key("a/broken.txt"), failing).await.is_err());
    assert!(matches!(
        storage.head(&key("a/broken.txt")).await,
        Err(StorageError::NotFound(_))
    ));

    large_objects(storage).await;

    put(storage, "a/two.txt", b"2").await;
    put(storage, "b/three.txt", b"3").await;
    let mut listed: Vec<String> = storage
        .list("a/")
        .await
        .expect("list")
        .iter()
        .map(|k| k.to_string())
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        ["a/one.txt", "a/two.txt"],
        "no temporary or half-written objects listed"
    );
    assert!(storage.list("zzz/").await.expect("list").is_empty());

    assert!(storage.delete(&key("a/two.txt")).await.expect("delete"));
    assert!(
        !storage
            .delete(&key("a/two.txt"))
            .await
            .expect("delete twice")
    );
    assert!(matches!(
        storage.get(&key("a/two.txt"), None).await,
        Err(StorageError::NotFound(_))
    ));
}

/// A body of `size` bytes that no two offsets of a part confuse, in 64 KiB chunks, which
/// fails with an I/O error after `fail_after` bytes when given.
fn big_body(size: usize, fail_after: Option<usize>) -> (Vec<u8>, ByteStream) {
    let bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let end = fail_after.unwrap_or(size);
    let mut chunks: Vec<std::io::Result<Bytes>> = bytes[..end]
        .chunks(64 * 1024)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    if fail_after.is_some() {
        chunks.push(Err(std::io::Error::other("client went away")));
    }
    (bytes, stream::iter(chunks).boxed())
}

/// Bodies larger than a part (S3 sends them in parts): streamed in, read back whole and by
/// a range across a part boundary, and a failure part way that keeps the old object.
async fn large_objects(storage: &dyn Storage) {
    const SIZE: usize = 12 * 1024 * 1024 + 17;
    let (bytes, body) = big_body(SIZE, None);
    let big = key("big/object.bin");
    assert_eq!(storage.put(&big, body).await.expect("put"), SIZE as u64);
    assert_eq!(storage.head(&big).await.expect("head").size, SIZE as u64);
    let read = read_all(storage, &big).await.expect("read");
    assert!(
        read.as_ref() == bytes.as_slice(),
        "the same bytes come back"
    );
    let boundary = 8 * 1024 * 1024;
    let range = ByteRange {
        start: boundary - 10,
        end: boundary + 9,
    };
    let mut part = storage.get(&big, Some(range)).await.expect("range");
    let mut got = Vec::new();
    while let Some(chunk) = part.body.next().await {
        got.extend_from_slice(&chunk.expect("chunk"));
    }
    assert_eq!(got, &bytes[boundary as usize - 10..boundary as usize + 10]);

    let (_, failing) = big_body(SIZE, Some(10 * 1024 * 1024));
    assert!(storage.put(&big, failing).await.is_err());
    assert_eq!(
        storage.head(&big).await.expect("still there").size,
        SIZE as u64,
        "a failed write keeps the object it would have replaced"
    );
    assert!(storage.delete(&big).await.expect("delete"));
}

#[tokio::test]
async fn local_disk_keeps_the_contract() {
    let root = tempfile::tempdir().expect("root");
    let storage = LocalStorage::open(root.path()).await.expect("open");
    contract(&storage).await;
    let leftovers: Vec<_> = walk(root.path())
        .into_iter()
        .filter(|p| p.contains(".tmp-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files left behind: {leftovers:?}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .flat_map(|e| {
                    let path = e.path();
                    if path.is_dir() {
                        walk(&path)
                    } else {
                        vec![path.display().to_string()]
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}
