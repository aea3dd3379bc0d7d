//! The Base64 method's CPU path before storage: lenient decoding of the `data` field and
//! sniffing the decoded bytes, over a 4 MiB body (near the 5 MiB default limit).

use std::hint::black_box;

use base64::Engine;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use imgate::biz::BizType;
use imgate::ingest;
use imgate::media::FileType;

const SIZE: usize = 4 * 1024 * 1024;

fn body() -> Vec<u8> {
    let sample = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/files/sample.txt"
    ))
    .expect("fixture");
    sample.iter().copied().cycle().take(SIZE).collect()
}

fn decode(c: &mut Criterion) {
    let bytes = body();
    let plain = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let wrapped: String = plain
        .as_bytes()
        .chunks(76)
        .flat_map(|line| line.iter().copied().chain(*b"\r\n"))
        .map(char::from)
        .collect();
    let mut group = c.benchmark_group("base64_decode");
    group.throughput(Throughput::Bytes(SIZE as u64));
    group.bench_function("one_line", |b| {
        b.iter(|| ingest::decode_base64(black_box(&plain), SIZE as u64))
    });
    group.bench_function("wrapped_76", |b| {
        b.iter(|| ingest::decode_base64(black_box(&wrapped), SIZE as u64))
    });
    group.finish();
}

fn sniff(c: &mut Criterion) {
    let text = body();
    let png = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/files/sample.png"
    ))
    .expect("fixture");
    let mut group = c.benchmark_group("accept");
    group.throughput(Throughput::Bytes(SIZE as u64));
    group.bench_function("text_4mib", |b| {
        b.iter(|| ingest::accept(BizType::BOT_DATASET, FileType::Txt, black_box(&text)))
    });
    group.bench_function("png_magic", |b| {
        b.iter(|| ingest::accept(BizType::BOT_ICON, FileType::Png, black_box(&png)))
    });
    group.finish();
}

criterion_group!(benches, decode, sniff);
criterion_main!(benches);
