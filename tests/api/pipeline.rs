//! Images through the upload: every stored file (original and variants) upright, without
//! metadata, at the profile's dimensions, format and byte target.

use std::io::Cursor;

use image::{AnimationDecoder, DynamicImage, GenericImageView, ImageFormat};
use serde_json::Value;

use crate::helpers::{TestApp, fixture, spawn_app, spawn_app_with};

/// Uploads a fixture and answers the reply's `data`.
async fn upload(app: &TestApp, key: &str, name: &str, biz: i64) -> Value {
    let ext = name.rsplit('.').next().expect("extension");
    let response = app
        .upload_file(key, ext, biz, &fixture(&format!("images/{name}")))
        .await;
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, 200, "{name}: {body}");
    body["data"].clone()
}

async fn fetch(app: &TestApp, url: &str) -> Vec<u8> {
    let response = app.client.get(url).send().await.expect("get");
    assert_eq!(response.status(), 200, "{url}");
    response.bytes().await.expect("body").to_vec()
}

/// Every stored file of an upload: the original, then the variants, with their `data`.
async fn stored_files(app: &TestApp, data: &Value) -> Vec<(Value, Vec<u8>)> {
    let mut files = vec![(
        data.clone(),
        fetch(app, data["upload_url"].as_str().expect("url")).await,
    )];
    for variant in data["variants"].as_array().expect("variants") {
        files.push((
            variant.clone(),
            fetch(app, variant["url"].as_str().expect("url")).await,
        ));
    }
    files
}

fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).expect("stored file decodes")
}

/// Fails on any trace of EXIF, GPS, XMP, IPTC, ICC or comments.
fn assert_no_metadata(name: &str, bytes: &[u8]) {
    let exif = exif::Reader::new().read_from_container(&mut Cursor::new(bytes));
    assert!(exif.is_err(), "{name}: EXIF survived");
    let traces: [&[u8]; 12] = [
        b"Exif\0\0",
        b"http://ns.adobe.com/xap/1.0/",
        b"ICC_PROFILE",
        b"Photoshop 3.0",
        b"imgate fixture comment",
        b"tEXt",
        b"iTXt",
        b"zTXt",
        b"tIME",
        b"eXIf",
        b"iCCP",
        b"XMP DataXMP",
    ];
    for trace in traces {
        assert!(
            !bytes.windows(trace.len()).any(|w| w == trace),
            "{name}: {:?} survived",
            String::from_utf8_lossy(trace)
        );
    }
    if bytes.starts_with(b"RIFF") {
        for chunk in [b"EXIF", b"XMP ", b"ICCP"] {
            assert!(
                !bytes.windows(4).any(|w| w == chunk),
                "{name}: WebP chunk {chunk:?} survived"
            );
        }
    }
    if bytes.starts_with(b"GIF") {
        assert!(
            !bytes.windows(2).any(|w| w == [0x21, 0xFE]),
            "{name}: GIF comment survived"
        );
    }
}

fn assert_close(name: &str, got: image::Rgba<u8>, want: [u8; 3]) {
    let near = got.0[..3]
        .iter()
        .zip(want)
        .all(|(g, w)| (i16::from(*g) - i16::from(w)).abs() <= 40);
    assert!(near, "{name}: pixel {:?}, expected about {want:?}", got.0);
}

/// The upright pattern: red, green / blue, white quadrants.
fn assert_upright(name: &str, image: &DynamicImage) {
    let (w, h) = image.dimensions();
    let at = |fx: f32, fy: f32| image.get_pixel((w as f32 * fx) as u32, (h as f32 * fy) as u32);
    assert_close(name, at(0.25, 0.25), [255, 0, 0]);
    assert_close(name, at(0.75, 0.25), [0, 255, 0]);
    assert_close(name, at(0.25, 0.75), [0, 0, 255]);
    assert_close(name, at(0.75, 0.75), [255, 255, 255]);
}

#[tokio::test]
async fn every_orientation_comes_out_upright_in_every_file() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let names: Vec<String> = (1..=8)
        .map(|n| format!("orient-{n}.jpg"))
        .chain(["orient-6.png".to_owned()])
        .collect();
    for name in names {
        let data = upload(&app, &key, &name, 1).await;
        assert_eq!(
            (data["width"].as_u64(), data["height"].as_u64()),
            (Some(120), Some(80)),
            "{name}"
        );
        for (file, bytes) in stored_files(&app, &data).await {
            let label = format!("{name} -> {}", file["uri"]);
            let image = decode(&bytes);
            assert_eq!(
                u64::from(image.width()),
                file["width"].as_u64().expect("width"),
                "{label}"
            );
            assert!(image.width() >= image.height(), "{label}: stored sideways");
            assert_upright(&label, &image);
            assert_no_metadata(&label, &bytes);
        }
    }
}

#[tokio::test]
async fn no_metadata_survives_in_any_stored_file() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/images");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("fixtures/images")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 20, "{names:?}");
    for name in names {
        for biz in [1, 2] {
            let data = upload(&app, &key, &name, biz).await;
            for (file, bytes) in stored_files(&app, &data).await {
                assert_no_metadata(&format!("{name} -> {}", file["uri"]), &bytes);
                decode(&bytes);
            }
        }
    }
}

#[tokio::test]
async fn icons_fit_the_icon_profile() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let data = upload(&app, &key, "photo-12mp.jpg", 1).await;
    assert_eq!(
        (data["width"].as_u64(), data["height"].as_u64()),
        (Some(1024), Some(768))
    );
    assert_eq!(data["format"], "jpg");
    assert!(data["size"].as_u64().expect("size") <= 2 * 1024 * 1024);
    let variants = data["variants"].as_array().expect("variants");
    let described: Vec<(u64, String)> = variants
        .iter()
        .map(|v| {
            (
                v["width"].as_u64().expect("w"),
                v["format"].as_str().expect("f").to_owned(),
            )
        })
        .collect();
    let expected: Vec<(u64, String)> = [512, 256, 128, 64]
        .into_iter()
        .flat_map(|s| [(s, "webp".to_owned()), (s, "jpg".to_owned())])
        .collect();
    assert_eq!(described, expected);
    for (file, bytes) in stored_files(&app, &data).await.into_iter().skip(1) {
        let format = image::guess_format(&bytes).expect("format");
        let want = if file["format"] == "webp" {
            ImageFormat::WebP
        } else {
            ImageFormat::Jpeg
        };
        assert_eq!(format, want);
        let image = decode(&bytes);
        assert_eq!(image.width(), image.height(), "variants are square");
        assert_eq!(
            u64::from(image.width()),
            file["width"].as_u64().expect("width")
        );
    }
}

#[tokio::test]
async fn transparent_icons_fall_back_to_png() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let data = upload(&app, &key, "rgba.png", 1).await;
    let formats: Vec<&str> = data["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .map(|v| v["format"].as_str().expect("f"))
        .collect();
    assert_eq!(
        formats,
        ["webp", "png", "webp", "png", "webp", "png", "webp", "png"]
    );
    for (_, bytes) in stored_files(&app, &data).await {
        assert!(decode(&bytes).color().has_alpha(), "alpha kept");
    }
}

#[tokio::test]
async fn unchanged_originals_are_stripped_not_re_encoded() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let uploaded = fixture("images/photo-12mp.jpg");
    let data = upload(&app, &key, "photo-12mp.jpg", 2).await;
    assert_eq!(
        (data["width"].as_u64(), data["height"].as_u64()),
        (Some(4000), Some(3000))
    );
    let stored = fetch(&app, data["upload_url"].as_str().expect("url")).await;
    assert!(stored.len() < uploaded.len(), "metadata removed");
    let scan = |b: &[u8]| b.windows(2).position(|w| w == [0xFF, 0xDA]).expect("SOS");
    assert_eq!(
        &stored[scan(&stored)..],
        &uploaded[scan(&uploaded)..],
        "image data is bit-identical"
    );
}

#[tokio::test]
async fn the_byte_target_lowers_quality_then_size() {
    let app = spawn_app_with(|s| s.pipeline.image.max_bytes = 30_000).await;
    let key = app.upload_key().await;
    let data = upload(&app, &key, "photo-progressive.jpg", 2).await;
    assert!(data["size"].as_u64().expect("size") <= 30_000, "{data}");
    assert_eq!(
        (data["width"].as_u64(), data["height"].as_u64()),
        (Some(640), Some(480)),
        "quality alone fits"
    );

    let app = spawn_app_with(|s| s.pipeline.image.max_bytes = 6_000).await;
    let key = app.upload_key().await;
    let data = upload(&app, &key, "photo-progressive.jpg", 2).await;
    assert!(data["size"].as_u64().expect("size") <= 6_000, "{data}");
    assert!(
        data["width"].as_u64().expect("width") < 640,
        "downscaled: {data}"
    );

    let app = spawn_app_with(|s| s.pipeline.image.max_bytes = 50).await;
    let key = app.upload_key().await;
    let response = app
        .upload_file(&key, "jpg", 2, &fixture("images/photo-progressive.jpg"))
        .await;
    let msg = crate::helpers::assert_error(response, 422, 50001).await;
    assert!(msg.contains("50 byte target"), "{msg}");
}

#[tokio::test]
async fn animations_keep_their_frames_and_get_still_variants() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let gif = upload(&app, &key, "animated.gif", 1).await;
    assert_eq!(gif["frames"], 5);
    let bytes = fetch(&app, gif["upload_url"].as_str().expect("url")).await;
    let frames = image::codecs::gif::GifDecoder::new(Cursor::new(bytes))
        .expect("gif")
        .into_frames()
        .count();
    assert_eq!(frames, 5);
    let webp = upload(&app, &key, "animated.webp", 1).await;
    assert_eq!(webp["frames"], 4);
    assert_eq!(webp["variants"][0]["frames"], 1);
}

#[tokio::test]
async fn cmyk_grey_deep_and_profiled_images_become_srgb() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    for name in [
        "photo-cmyk.jpg",
        "gray.jpg",
        "deep-16bit.png",
        "palette-alpha.png",
        "icc-p3.jpg",
        "still.webp",
    ] {
        let data = upload(&app, &key, name, 1).await;
        for (file, bytes) in stored_files(&app, &data).await {
            let image = decode(&bytes);
            assert_eq!(
                u64::from(image.width()),
                file["width"].as_u64().expect("width"),
                "{name}"
            );
            assert_no_metadata(name, &bytes);
        }
    }
}

/// The metadata check above must see what the fixtures carry, or it proves nothing.
#[test]
fn the_metadata_check_catches_fixture_metadata() {
    for name in [
        "orient-6.jpg",
        "palette-alpha.png",
        "still.webp",
        "icc-p3.jpg",
    ] {
        let bytes = fixture(&format!("images/{name}"));
        let caught = std::panic::catch_unwind(|| assert_no_metadata(name, &bytes));
        assert!(caught.is_err(), "{name}: its metadata went unnoticed");
    }
}
