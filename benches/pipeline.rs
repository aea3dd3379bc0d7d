//! The image pipeline stage by stage over the fixtures: decode (full and shrink-on-load),
//! resize, encode per format, and whole profiles.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use imgate::media::FileType;
use imgate::pipeline::{self, DecodeLimits, Effort, Pixels, Profile};

fn read(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/images/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn decoded(bytes: &[u8], min_side: u32) -> Pixels {
    let probe = pipeline::probe(bytes, FileType::Jpeg).expect("probe");
    pipeline::decode(bytes, &probe, &DecodeLimits::default(), min_side).expect("decode")
}

fn decode(c: &mut Criterion) {
    let photo = read("photo-12mp.jpg");
    let probe = pipeline::probe(&photo, FileType::Jpeg).expect("probe");
    let limits = DecodeLimits::default();
    let mut group = c.benchmark_group("decode_12mp_jpeg");
    group.sample_size(10);
    group.bench_function("full", |b| {
        b.iter(|| pipeline::decode(black_box(&photo), &probe, &limits, 3000))
    });
    group.bench_function("shrink_on_load_to_256", |b| {
        b.iter(|| pipeline::decode(black_box(&photo), &probe, &limits, 256))
    });
    group.bench_function("header_probe", |b| {
        b.iter(|| pipeline::probe(black_box(&photo), FileType::Jpeg))
    });
    group.finish();
}

fn resize(c: &mut Criterion) {
    let full = decoded(&read("photo-12mp.jpg"), 3000);
    let medium = pipeline::fit_within(full.clone(), 1024);
    let mut group = c.benchmark_group("resize");
    group.sample_size(10);
    group.bench_function("12mp_to_1024", |b| {
        b.iter(|| pipeline::fit_within(black_box(full.clone()), 1024))
    });
    group.bench_function("1024_to_square_256", |b| {
        b.iter(|| pipeline::square(black_box(&medium), 256))
    });
    group.finish();
}

fn encode(c: &mut Criterion) {
    let medium = pipeline::fit_within(decoded(&read("photo-12mp.jpg"), 768), 1024);
    let mut group = c.benchmark_group("encode_1024x768");
    group.sample_size(10);
    for (name, format, quality, effort) in [
        ("jpeg_q85_smallest", FileType::Jpeg, 85, Effort::Smallest),
        ("jpeg_q85_fast", FileType::Jpeg, 85, Effort::Fast),
        ("webp_q80", FileType::Webp, 80, Effort::Fast),
        ("png", FileType::Png, 0, Effort::Fast),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| pipeline::encode(black_box(&medium), format, quality, effort))
        });
    }
    group.finish();
}

fn profiles(c: &mut Criterion) {
    let photo = read("photo-12mp.jpg");
    let progressive = read("photo-progressive.jpg");
    let limits = DecodeLimits::default();
    let (icon, image) = (Profile::icon(), Profile::image());
    let mut group = c.benchmark_group("profile");
    group.sample_size(10);
    group.bench_function("icon_from_12mp_jpeg", |b| {
        b.iter(|| pipeline::process(black_box(&photo), FileType::Jpeg, &icon, &limits))
    });
    group.bench_function("image_from_12mp_jpeg_lossless_strip", |b| {
        b.iter(|| pipeline::process(black_box(&photo), FileType::Jpeg, &image, &limits))
    });
    group.bench_function("icon_from_640x480_progressive", |b| {
        b.iter(|| pipeline::process(black_box(&progressive), FileType::Jpeg, &icon, &limits))
    });
    group.finish();
}

criterion_group!(benches, decode, resize, encode, profiles);
criterion_main!(benches);
