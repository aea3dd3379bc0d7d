//! AVIF: variants from template URLs (checked by decoding them with Pillow), `auto`
//! negotiation in the configured order, AVIF variants made at upload when a profile asks
//! for them, and AVIF uploads refused with the reason (imgate encodes AVIF, it does not
//! decode it).

use crate::helpers::{TestApp, assert_error, fixture, spawn_app, spawn_app_with};
use crate::pillow;
use imgate::cdn::AutoFormat;
use imgate::pipeline::{self, Pixels, VariantFormat};

/// `GET url` (with `accept`), which must answer 200.
async fn get(app: &TestApp, url: &str, accept: Option<&str>) -> reqwest::Response {
    let response = app.get_accepting(url, accept).await;
    assert_eq!(response.status(), 200, "{url}");
    response
}

/// The Content-Type `template` of `uri` is answered in, for a client sending `accept`.
async fn served_type(app: &TestApp, uri: &str, template: &str, accept: Option<&str>) -> String {
    let response = get(app, &app.variant_url(uri, template), accept).await;
    header(&response, "content-type").to_owned()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// Mean absolute difference of two RGB images of one size, per channel value.
fn mean_difference(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "the same size");
    let total: u64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.len() as f64
}

#[tokio::test]
async fn avif_variants_are_the_picture_at_the_asked_size() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let uri = app.uploaded(&key, "images/photo-progressive.jpg", 2).await;
    for (template, size) in [("resize:256:256", (256, 192)), ("crop:100:100", (100, 100))] {
        let url = app.variant_url(&uri, &format!("{template}.avif"));
        let response = get(&app, &url, None).await;
        assert_eq!(header(&response, "content-type"), "image/avif");
        assert_eq!(header(&response, "x-imgate-cache"), "miss");
        let avif = response.bytes().await.expect("bytes");
        assert_eq!(&avif[4..12], b"ftypavif", "{template}: an AVIF file");
        let decoded = pillow::decode(&avif).await;
        assert_eq!(
            (decoded.format.as_str(), decoded.width, decoded.height),
            ("AVIF", size.0, size.1),
            "{template}"
        );
        // The same template losslessly, as the picture the AVIF must show.
        let png = get(
            &app,
            &app.variant_url(&uri, &format!("{template}.png")),
            None,
        )
        .await;
        let png = image::load_from_memory(&png.bytes().await.expect("bytes")).expect("png");
        let difference = mean_difference(&decoded.rgb, png.to_rgb8().as_raw());
        assert!(
            difference < 6.0,
            "{template}: off by {difference:.2} on average"
        );

        let again = get(&app, &url, None).await;
        assert_eq!(header(&again, "x-imgate-cache"), "hit");
        assert_eq!(again.bytes().await.expect("bytes"), avif, "served as made");
    }
}

#[tokio::test]
async fn auto_answers_the_first_configured_format_the_client_names() {
    let chrome = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
    let orders = [
        (vec![AutoFormat::Avif, AutoFormat::Webp], "image/avif"),
        (vec![AutoFormat::Webp, AutoFormat::Avif], "image/webp"),
        (Vec::new(), "image/jpeg"),
    ];
    for (order, for_chrome) in orders {
        let app = spawn_app_with(|s| s.cdn.auto_formats = order.clone()).await;
        let key = app.upload_key().await;
        let uri = app.uploaded(&key, "images/photo-progressive.jpg", 2).await;
        let url = app.variant_url(&uri, "resize:64:64.auto");
        let cases = [
            (Some(chrome), for_chrome),
            (
                Some("image/avif;q=0, image/webp"),
                if order.is_empty() {
                    "image/jpeg"
                } else {
                    "image/webp"
                },
            ),
            (Some("image/*"), "image/jpeg"),
            (None, "image/jpeg"),
        ];
        for (accept, want) in cases {
            let response = get(&app, &url, accept).await;
            assert_eq!(
                header(&response, "content-type"),
                want,
                "{order:?} {accept:?}"
            );
            assert_eq!(header(&response, "vary"), "Accept");
            if want == "image/avif" {
                let bytes = response.bytes().await.expect("bytes");
                assert_eq!(pillow::decode(&bytes).await.width, 64);
            }
        }
    }
}

#[tokio::test]
async fn avif_stops_at_its_pixel_limit_and_auto_moves_on() {
    let app = spawn_app_with(|s| s.cdn.avif_max_pixels = 10_000).await;
    let key = app.upload_key().await;
    let uri = app.uploaded(&key, "images/photo-progressive.jpg", 2).await;
    let before = app.stored().await;
    let big = app.variant_url(&uri, "resize:256:256.avif");
    let response = app.client.get(&big).send().await.expect("get");
    let msg = assert_error(response, 400, 40000).await;
    assert!(
        msg.contains("at most 10000 pixels (cdn.avif_max_pixels)") && msg.contains("65536"),
        "{msg}"
    );
    assert_eq!(app.stored().await, before, "nothing was made");

    let chrome = "image/avif,image/webp,*/*";
    let auto = served_type(&app, &uri, "resize:256:256.auto", Some(chrome)).await;
    assert_eq!(auto, "image/webp", "the next format");
    let small = served_type(&app, &uri, "resize:64:64.auto", Some(chrome)).await;
    assert_eq!(small, "image/avif", "under the limit");
    // A 640x480 original: the limit counts what can come out, which is never more than
    // the original has, though a crop may ask for a larger box.
    let app = spawn_app_with(|s| s.cdn.avif_max_pixels = 640 * 480).await;
    let key = app.upload_key().await;
    let uri = app.uploaded(&key, "images/photo-progressive.jpg", 2).await;
    for template in ["noop.avif", "crop:1000:1000.avif"] {
        let served = served_type(&app, &uri, template, None).await;
        assert_eq!(served, "image/avif", "{template}");
    }
}

/// rav1e holds about 20 bytes per pixel it encodes, so an AVIF variant's job asks the
/// memory budget for that too: here a 640x480 AVIF does not fit where the WebP does.
#[tokio::test]
async fn an_avif_job_counts_its_encoder_in_the_memory_budget() {
    let app = spawn_app_with(|s| s.pipeline.memory_budget = 8 * 1024 * 1024).await;
    let key = app.upload_key().await;
    let uri = app.uploaded(&key, "images/photo-progressive.jpg", 2).await;
    let webp = served_type(&app, &uri, "noop.webp", None).await;
    assert_eq!(webp, "image/webp");
    let small = served_type(&app, &uri, "resize:64:64.avif", None).await;
    assert_eq!(small, "image/avif");
    let url = app.variant_url(&uri, "noop.avif");
    let response = app.client.get(&url).send().await.expect("get");
    let msg = assert_error(response, 422, 50001).await;
    assert!(
        msg.contains("pipeline.memory_budget") && msg.contains("8388608"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_profile_may_make_avif_variants_at_upload() {
    let app = spawn_app_with(|s| {
        s.pipeline.icon.variants = vec![128, 64];
        s.pipeline.icon.variant_formats = vec![VariantFormat::Avif, VariantFormat::Webp];
    })
    .await;
    let key = app.upload_key().await;
    let reply = app
        .upload_file_json(&key, "jpg", 1, &fixture("images/photo-progressive.jpg"))
        .await;
    let variants = reply["data"]["variants"].as_array().expect("variants");
    let avif: Vec<&str> = variants
        .iter()
        .filter_map(|v| v["url"].as_str())
        .filter(|url| url.ends_with(".avif"))
        .collect();
    let mut sides = Vec::new();
    for url in avif {
        let response = get(&app, url, None).await;
        assert_eq!(header(&response, "content-type"), "image/avif");
        let decoded = pillow::decode(&response.bytes().await.expect("bytes")).await;
        assert_eq!(decoded.width, decoded.height, "{url}: a square");
        sides.push(decoded.width);
    }
    sides.sort_unstable();
    assert_eq!(sides, [64, 128], "one AVIF of each size: {reply}");
}

#[tokio::test]
async fn avif_uploads_are_refused_with_the_reason() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let picture = image::load_from_memory(&fixture("images/photo-progressive.jpg")).expect("jpeg");
    let avif = pipeline::encode_avif(&Pixels::from_dynamic(picture.thumbnail(64, 64)), 80, 10)
        .expect("encodes");
    for declared in ["avif", "png"] {
        let response = app.upload_file(&key, declared, 2, &avif).await;
        let msg = assert_error(response, 415, 50001).await;
        assert!(msg.contains("an AVIF image"), "{declared}: {msg}");
    }
    let response = app.upload_file(&key, "avif", 2, &avif).await;
    let msg = assert_error(response, 415, 50001).await;
    assert!(msg.contains("not accepted as an upload"), "{msg}");
    assert_eq!(app.stored().await, (0, 0), "nothing was stored");

    // A name may say avif; the bytes decide, as for every image type.
    let jpeg = app
        .upload_file_json(&key, "avif", 2, &fixture("images/photo-progressive.jpg"))
        .await;
    assert!(
        jpeg["data"]["upload_uri"]
            .as_str()
            .is_some_and(|u| u.ends_with(".jpg")),
        "{jpeg}"
    );

    let (_, limits) = app.get_json("/api/upload/limits").await;
    for biz in limits["data"]["biz_types"].as_array().expect("biz types") {
        let types = biz["file_types"].as_array().expect("file types");
        assert!(!types.iter().any(|t| t == "avif"), "{biz}");
        assert!(types.iter().any(|t| t == "webp"), "{biz}");
    }
}
