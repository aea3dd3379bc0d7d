//! Hostile and imperfect images through both upload methods: EXIF damaged anywhere but its
//! orientation still comes out upright; CPU bombs inside every size limit are refused
//! naming the limit; a job past its time budget is abandoned; small jobs are answered while
//! big ones run.

use std::io::Cursor;

use image::{DynamicImage, GenericImageView};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, fixture, spawn_app, spawn_app_with};
use crate::helpers::{apply, commit, crc_hex, host, host_json, store_info};

/// Photos whose EXIF is malformed somewhere other than the Orientation (see
/// fixtures/README.md), each stored turned so that the Orientation shows it upright.
const IMPERFECT_EXIF: [&str; 10] = [
    "exif-subifd-next.jpg",
    "exif-subifd-next-be.jpg",
    "exif-overlap.jpg",
    "exif-past-end.jpg",
    "exif-loop.jpg",
    "exif-truncated.jpg",
    "exif-two-app1.jpg",
    "exif-subifd-next.png",
    "exif-after-idat.png",
    "exif-past-end.webp",
];

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
    assert!(w > h, "{name}: stored sideways ({w}x{h})");
    let at = |fx: f32, fy: f32| image.get_pixel((w as f32 * fx) as u32, (h as f32 * fy) as u32);
    assert_close(name, at(0.25, 0.25), [255, 0, 0]);
    assert_close(name, at(0.75, 0.25), [0, 255, 0]);
    assert_close(name, at(0.25, 0.75), [0, 0, 255]);
    assert_close(name, at(0.75, 0.75), [255, 255, 255]);
}

async fn fetch(app: &TestApp, url: &Value) -> DynamicImage {
    let url = url.as_str().expect("url");
    let response = app.client.get(url).send().await.expect("get");
    assert_eq!(response.status(), 200, "{url}");
    let bytes = response.bytes().await.expect("body");
    image::load_from_memory(&bytes).expect("stored file decodes")
}

#[tokio::test]
async fn imperfect_exif_still_turns_every_stored_file_upright() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    for name in IMPERFECT_EXIF {
        let ext = name.rsplit('.').next().expect("extension");
        let bytes = fixture(&format!("images/{name}"));
        let reply = app.upload_file_json(&key, ext, 1, &bytes).await;
        let data = &reply["data"];
        assert_eq!(
            (data["width"].as_u64(), data["height"].as_u64()),
            (Some(120), Some(80)),
            "{name}: {reply}"
        );
        assert_upright(name, &fetch(&app, &data["upload_url"]).await);
        let variants = data["variants"].as_array().expect("variants");
        assert!(!variants.is_empty(), "{name}");
        for variant in variants {
            let label = format!("{name} -> {}", variant["uri"]);
            let image = fetch(&app, &variant["url"]).await;
            // Variants are centre-cropped squares: the left half is red over blue.
            let (w, h) = image.dimensions();
            assert_close(&label, image.get_pixel(w / 8, h / 4), [255, 0, 0]);
            assert_close(&label, image.get_pixel(w / 8, h * 3 / 4), [0, 0, 255]);
            assert_close(&label, image.get_pixel(w * 7 / 8, h / 4), [0, 255, 0]);
        }
    }
}

/// The finding as reported: the strict EXIF reader refuses this block whole, though its
/// IFD0 says Orientation 6, which a tolerant read recovers.
#[test]
fn the_attack_fixture_is_refused_by_a_strict_reader() {
    let bytes = fixture("images/exif-subifd-next.jpg");
    let strict = exif::Reader::new().read_from_container(&mut Cursor::new(&bytes));
    let Err(err) = strict else {
        panic!("the strict reader took the block");
    };
    assert!(err.to_string().contains("Unexpected next IFD"), "{err}");
    let partial = exif::Reader::new()
        .continue_on_error(true)
        .read_from_container(&mut Cursor::new(&bytes))
        .or_else(|e| e.distill_partial_result(|_| {}))
        .expect("partial result");
    let orientation = partial
        .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|f| f.value.get_uint(0));
    assert_eq!(orientation, Some(6));
}

/// A greyscale progressive JPEG of one DC scan and `scans - 1` AC scans, each a run of
/// end-of-band codes over every block: a pass over the whole image per scan, a few bytes
/// each. The same shape as fixtures/make_hostile.py's `scan_bomb_jpeg`.
fn scan_bomb(width: u16, height: u16, scans: usize) -> Vec<u8> {
    fn segment(out: &mut Vec<u8>, marker: u8, body: &[u8]) {
        out.extend_from_slice(&[0xFF, marker]);
        out.extend_from_slice(&(body.len() as u16 + 2).to_be_bytes());
        out.extend_from_slice(body);
    }
    let mut out = vec![0xFF, 0xD8];
    segment(&mut out, 0xDB, &[&[0u8][..], &[1; 64]].concat());
    let [h1, h0] = height.to_be_bytes();
    let [w1, w0] = width.to_be_bytes();
    segment(&mut out, 0xC2, &[8, h1, h0, w1, w0, 1, 1, 0x11, 0]);
    let one_code = |class: u8, symbol: u8| {
        let mut table = vec![class, 1];
        table.extend_from_slice(&[0; 15]);
        table.push(symbol);
        table
    };
    segment(
        &mut out,
        0xC4,
        &[one_code(0x00, 0x00), one_code(0x10, 0xE0)].concat(),
    );
    let blocks = usize::from(width).div_ceil(8) * usize::from(height).div_ceil(8);
    segment(&mut out, 0xDA, &[1, 1, 0, 0, 0, 0]);
    // One "0" code (no DC change) per block, padded with one bits.
    out.extend(std::iter::repeat_n(0u8, blocks / 8));
    if blocks % 8 != 0 {
        out.push(0xFF >> (blocks % 8));
    }
    // Each end-of-band run: the code "0" then fourteen one bits, 32767 blocks.
    let runs = blocks.div_ceil(32767);
    let mut bits: Vec<bool> = (0..runs)
        .flat_map(|_| std::iter::once(false).chain(std::iter::repeat_n(true, 14)))
        .collect();
    bits.resize(bits.len().div_ceil(8) * 8, true);
    let mut ac = Vec::new();
    for byte in bits.chunks(8) {
        let value = byte.iter().fold(0u8, |acc, &bit| acc << 1 | u8::from(bit));
        ac.push(value);
        if value == 0xFF {
            ac.push(0);
        }
    }
    for _ in 1..scans {
        segment(&mut out, 0xDA, &[1, 1, 0, 1, 63, 0]);
        out.extend_from_slice(&ac);
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

/// A GIF of `frames` full frames of `side` x `side` pixels of one colour, the LZW data
/// encoded once and repeated.
fn frame_bomb(side: u16, frames: usize) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let palette = [0, 0, 0, 255, 255, 255];
        let mut encoder = gif::Encoder::new(&mut out, side, side, &palette).expect("encoder");
        encoder.set_repeat(gif::Repeat::Infinite).expect("repeat");
        let pixels = vec![0u8; usize::from(side) * usize::from(side)];
        let mut frame = gif::Frame::from_indexed_pixels(side, side, pixels, None);
        frame.delay = 2;
        frame.make_lzw_pre_encoded();
        for _ in 0..frames {
            encoder.write_lzw_pre_encoded_frame(&frame).expect("frame");
        }
    }
    out
}

/// The bombs of the report and what each refusal says.
fn bombs() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    vec![
        (
            "jpg",
            "JPEG has 15000 scans, over the 100 scan limit (setting pipeline.limits.max_scans)",
            scan_bomb(7000, 7000, 15_000),
        ),
        (
            "gif",
            "animation has 300 frames of 4000x4000 (4800000000 pixels), over the 500000000 \
             animation pixel limit (setting pipeline.limits.max_animation_pixels)",
            frame_bomb(4000, 300),
        ),
        (
            "jpg",
            "JPEG is truncated: scan 1 has no image data",
            fixture("bad/no-scan-data.jpg"),
        ),
    ]
}

/// Apply, upload and commit one file by the ImageX flow; answers the commit's status and
/// reply.
async fn imagex_upload(app: &TestApp, key: &str, ext: &str, bytes: &[u8]) -> (u16, Value) {
    let extra = format!("&FileExtension=.{ext}&FileSize={}", bytes.len());
    let (status, reply) = apply(app, key, &extra).await;
    assert_eq!(status, 200, "{reply}");
    let (uri, auth, _) = store_info(&reply, 0);
    let put = host(app, reqwest::Method::POST, &uri, "", &auth)
        .header("content-crc32", crc_hex(bytes))
        .body(bytes.to_vec());
    let (status, body) = host_json(put).await;
    assert_eq!((status, &body["success"]), (200, &json!(0)), "{body}");
    let session = reply["Result"]["UploadAddress"]["SessionKey"]
        .as_str()
        .expect("SessionKey");
    commit(app, key, session, &[&uri]).await
}

#[tokio::test]
async fn bombs_are_refused_by_both_methods_naming_their_limit() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    for (ext, message, bytes) in bombs() {
        let response = app.upload_file(&key, ext, 2, &bytes).await;
        let msg = assert_error(response, 422, 50001).await;
        assert!(msg.contains(message), "Base64: {msg}");
        let (status, reply) = imagex_upload(&app, &key, ext, &bytes).await;
        assert_eq!(status, 422, "{reply}");
        let error = &reply["ResponseMetadata"]["Error"];
        assert_eq!(error["CodeN"], 50001, "{reply}");
        let msg = error["Message"].as_str().expect("message");
        assert!(msg.contains(message), "ImageX: {msg}");
    }
    assert_eq!(app.stored().await, (0, 0));
}

#[tokio::test]
async fn a_job_past_its_time_budget_is_abandoned_naming_the_limit() {
    let app = spawn_app_with(|s| {
        s.pipeline.limits.max_job_time = imgate::config::Duration::from_secs(0);
    })
    .await;
    let key = app.upload_key().await;
    let photo = fixture("images/photo-progressive.jpg");
    let response = app.upload_file(&key, "jpg", 2, &photo).await;
    let msg = assert_error(response, 422, 50001).await;
    assert!(
        msg.contains("over the 0s job time limit (setting pipeline.limits.max_job_time)"),
        "{msg}"
    );
    let (status, reply) = imagex_upload(&app, &key, "jpg", &photo).await;
    assert_eq!(status, 422, "{reply}");
    assert!(reply.to_string().contains("pipeline.limits.max_job_time"));
    let response = app
        .upload_file(&key, "txt", 2, b"documents are not images")
        .await;
    assert_eq!(response.status(), 200, "no image, no pipeline");
}

#[tokio::test]
async fn an_icon_is_answered_while_two_bombs_run() {
    // One main worker and one place in its queue: the two bombs take both.
    let app = std::sync::Arc::new(
        spawn_app_with(|s| {
            s.pipeline.threads = 1;
            s.pipeline.queue = 1;
        })
        .await,
    );
    let key = app.upload_key().await;
    let bombs: Vec<_> = bombs()
        .into_iter()
        .take(2)
        .map(|(ext, message, bytes)| {
            let (app, key) = (std::sync::Arc::clone(&app), key.clone());
            tokio::spawn(async move {
                let response = app.upload_file(&key, ext, 2, &bytes).await;
                (message, assert_error(response, 422, 50001).await)
            })
        })
        .collect();
    let icon = fixture("images/orient-1.jpg");
    let reply = app.upload_file_json(&key, "jpg", 1, &icon).await;
    assert_eq!(reply["code"], 0, "{reply}");
    assert_eq!(reply["data"]["width"], 120, "{reply}");
    for bomb in bombs {
        let (message, msg) = bomb.await.expect("joined");
        assert!(msg.contains(message), "{msg}");
    }
}
