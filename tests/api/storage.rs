//! The storage contract: every backend must pass these, the same way.

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream;
use imgate::storage::{
    ByteRange, LocalStorage, ObjectKey, Storage, StorageError, read_all, stream_of,
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

/// Runs the whole contract against one backend; `visible_files` counts what a reader of the
/// backend could see (temporary files included), to prove failed writes leave nothing.
async fn contract(storage: &dyn Storage) {
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
