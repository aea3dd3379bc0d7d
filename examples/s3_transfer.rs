//! Times imgate's S3 backend storing and reading one body, for `benches/s3_vs_boto3.py` to
//! set beside boto3 doing the same against the same server in the same run. Prints one
//! JSON line: seconds per put and per get.
//!
//! ```text
//! s3_transfer ENDPOINT BUCKET ACCESS_KEY SECRET_KEY MIB
//! ```

use std::time::Instant;

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use imgate::storage::{ObjectKey, S3Settings, S3Storage, Storage};

/// Chunk size of the body, as a request body arrives from the HTTP server.
const CHUNK: usize = 64 * 1024;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| {
        args.get(i)
            .cloned()
            .ok_or("usage: ENDPOINT BUCKET KEY SECRET MIB")
    };
    let settings = S3Settings {
        endpoint: Some(arg(0)?),
        bucket: arg(1)?,
        access_key_id: Some(arg(2)?),
        secret_access_key: Some(arg(3)?),
        path_style: true,
        ..S3Settings::default()
    };
    let size = arg(4)?.parse::<usize>()? * 1024 * 1024;
    let store = S3Storage::connect(&settings).await?;
    let data = Bytes::from((0..size).map(|i| (i % 251) as u8).collect::<Vec<_>>());
    let key = ObjectKey::parse(&format!("bench/imgate-{size}"))?;

    let chunks: Vec<std::io::Result<Bytes>> = (0..size)
        .step_by(CHUNK)
        .map(|start| Ok(data.slice(start..(start + CHUNK).min(size))))
        .collect();
    let start = Instant::now();
    store.put(&key, stream::iter(chunks).boxed()).await?;
    let put = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let mut read = store.get(&key, None).await?;
    let mut got = 0;
    while let Some(chunk) = read.body.next().await {
        got += chunk?.len();
    }
    let get = start.elapsed().as_secs_f64();
    if got != size {
        return Err(format!("read {got} bytes of {size}").into());
    }
    store.delete(&key).await?;
    println!("{{\"put\": {put}, \"get\": {get}}}");
    Ok(())
}
