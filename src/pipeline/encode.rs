//! Encoders: JPEG by jpegli or mozjpeg, WebP by libwebp, AVIF by rav1e (through `ravif`),
//! PNG by the `png` crate with fast compression and adaptive filtering. None of them writes
//! metadata.
//!
//! JPEG has four efforts, chosen by bytes at equal SSIMULACRA2 against libjpeg-turbo
//! (medians of 4 photos; BENCHMARKS.md, `benches/jpeg_bytes.py`):
//! - `PerceptualProgressive` is jpegli (libjxl's JPEG encoder: adaptive quantisation,
//!   full-resolution chroma) with progressive scans: 0.90x libjpeg-turbo's bytes for 6-7x
//!   its encode time; `Perceptual` is the same in one sequential scan, 0.92x for 3-5x;
//! - `Smallest` is mozjpeg with trellis quantisation, optimised progressive scans and
//!   MS-SSIM-tuned tables: 0.90-0.91x, for 25-50x;
//! - `Fast` is mozjpeg's baseline with optimised Huffman tables: 0.99x, for 2-3x.
//!
//! Each profile says which its originals get (`jpeg_effort`); small variants get `Fast`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};

use super::decode::panic_message;
use super::{PipelineError, Pixels};
use crate::media::FileType;

/// How hard the JPEG encoder works for smaller files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effort {
    Fast,
    Smallest,
    /// jpegli, one sequential scan.
    Perceptual,
    /// jpegli with progressive scans: 2% fewer bytes for about 1.5x the time.
    PerceptualProgressive,
}

/// rav1e's speed for AVIF (1 slowest and smallest, 10 fastest), chosen by bytes at equal
/// SSIMULACRA2 against WebP and by encode time (`benches/variant_bytes.py`, BENCHMARKS.md): at
/// 256 px, 9 gives 0.69x WebP's bytes for about 3x its encode time; 8 gives 0.54x for 7.6x;
/// 10 gives 0.82x.
pub const AVIF_SPEED: u8 = 9;

/// AVIF quality for a WebP-scale quality, from the same measurement: the AVIF quality that
/// reaches the SSIMULACRA2 score libwebp reaches at 60 and at 90 (means of 4 photos at
/// speed 9, measured at 10 bits per sample; at 8 the qualities needed were within 2),
/// joined to the ends of the scale. `variant_quality` keeps one meaning across
/// formats this way.
const AVIF_QUALITY: [(u8, u8); 4] = [(1, 1), (60, 52), (90, 73), (100, 100)];

/// [`AVIF_QUALITY`], interpolated.
fn avif_quality(quality: u8) -> u8 {
    let quality = quality.clamp(1, 100);
    let upper = AVIF_QUALITY
        .iter()
        .position(|&(webp, _)| webp >= quality)
        .unwrap_or(AVIF_QUALITY.len() - 1)
        .max(1);
    let ((x0, y0), (x1, y1)) = (AVIF_QUALITY[upper - 1], AVIF_QUALITY[upper]);
    let t = f32::from(quality - x0) / f32::from(x1 - x0);
    (f32::from(y0) + t * (f32::from(y1) - f32::from(y0))).round() as u8
}

/// Encodes `pixels` as `format` (JPEG, PNG, WebP or AVIF) at `quality` (1-100; PNG ignores
/// it).
pub fn encode(
    pixels: &Pixels,
    format: FileType,
    quality: u8,
    effort: Effort,
) -> Result<Vec<u8>, PipelineError> {
    match format {
        FileType::Jpeg => encode_jpeg(pixels, quality, effort),
        FileType::Webp => encode_webp(pixels, quality, WEBP_METHOD),
        FileType::Avif => encode_avif(pixels, avif_quality(quality), AVIF_SPEED),
        _ => encode_png(pixels),
    }
}

/// Working memory rav1e holds per pixel of the AVIF it encodes: a 2048x1024 encode at speed 9
/// peaked at 63 MB resident against 24 MB for the same WebP (release build), about 19 bytes
/// per pixel more.
const AVIF_BYTES_PER_PIXEL: u64 = 24;

/// Memory an encode of `pixels` as `format` holds beyond the pixels themselves, for the
/// processing pool's budget. Only AVIF's is large enough to count.
pub fn encode_memory(format: FileType, pixels: u64) -> u64 {
    match format {
        FileType::Avif => pixels.saturating_mul(AVIF_BYTES_PER_PIXEL),
        _ => 0,
    }
}

/// AVIF at ravif's `quality` (1-100, not WebP's scale: see [`AVIF_QUALITY`]) and rav1e
/// `speed` (1-10), 8 bits per sample, on the calling thread: the processing pool runs one
/// job per core, so a job gets one. 10 bits per sample (ravif's default) made the same
/// bytes at the same SSIMULACRA2 (within 1%, 4 photos at 256 px) in 1.1-3x the time.
pub fn encode_avif(pixels: &Pixels, quality: u8, speed: u8) -> Result<Vec<u8>, PipelineError> {
    use ravif::{Img, RGB8, RGBA8};
    let quality = f32::from(quality.clamp(1, 100));
    let encoder = ravif::Encoder::new()
        .with_quality(quality)
        .with_alpha_quality(quality)
        .with_speed(speed.clamp(1, 10))
        .with_bit_depth(ravif::BitDepth::Eight)
        .with_num_threads(Some(1));
    let (width, height) = (pixels.width as usize, pixels.height as usize);
    let encoded = if pixels.has_alpha() {
        let rgba: Vec<RGBA8> = (pixels.data.chunks_exact(4))
            .map(|p| RGBA8::new(p[0], p[1], p[2], p[3]))
            .collect();
        encoder.encode_rgba(Img::new(&rgba[..], width, height))
    } else {
        let rgb: Vec<RGB8> = (pixels.data.chunks_exact(3))
            .map(|p| RGB8::new(p[0], p[1], p[2]))
            .collect();
        encoder.encode_rgb(Img::new(&rgb[..], width, height))
    };
    encoded
        .map(|image| image.avif_file)
        .map_err(|e| PipelineError::Encode(format!("AVIF: {e}")))
}

fn encode_jpeg(pixels: &Pixels, quality: u8, effort: Effort) -> Result<Vec<u8>, PipelineError> {
    let rgb = flatten_alpha(pixels);
    let (width, height) = (pixels.width as usize, pixels.height as usize);
    // Both libraries report errors by unwinding out of their C code.
    let run = || match effort {
        Effort::Perceptual => jpegli(&rgb, width, height, quality, false),
        Effort::PerceptualProgressive => jpegli(&rgb, width, height, quality, true),
        Effort::Fast | Effort::Smallest => mozjpeg(&rgb, width, height, quality, effort),
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => Err(PipelineError::Encode(format!("JPEG: {e}"))),
        Err(panic) => Err(PipelineError::Encode(panic_message(&panic))),
    }
}

fn mozjpeg(
    rgb: &[u8],
    width: usize,
    height: usize,
    quality: u8,
    effort: Effort,
) -> std::io::Result<Vec<u8>> {
    use mozjpeg::qtable::{MSSSIM_Chroma, MSSSIM_Luma};
    let mut compress = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
    compress.set_size(width, height);
    let q = f32::from(quality);
    if effort == Effort::Fast {
        compress.set_fastest_defaults();
        compress.set_quality(q);
        compress.set_optimize_coding(true);
    } else {
        compress.set_luma_qtable(&MSSSIM_Luma.scaled(q, q));
        compress.set_chroma_qtable(&MSSSIM_Chroma.scaled(q, q));
    }
    let mut started = compress.start_compress(Vec::new())?;
    started.write_scanlines(rgb)?;
    started.finish()
}

/// jpegli at its defaults, adaptive quantisation and chroma at full resolution (subsampled
/// chroma needed quality 90 to reach the same SSIMULACRA2, and 1.18x the bytes), in
/// `progressive` scans or one sequential scan.
fn jpegli(
    rgb: &[u8],
    width: usize,
    height: usize,
    quality: u8,
    progressive: bool,
) -> std::io::Result<Vec<u8>> {
    let mut compress = jpegli::Compress::new(jpegli::ColorSpace::JCS_RGB);
    compress.set_size(width, height);
    compress.set_quality(f32::from(quality));
    compress.set_optimize_coding(true);
    if progressive {
        compress.set_progressive_mode();
    }
    let mut started = compress.start_compress(Vec::new())?;
    started.write_scanlines(rgb)?;
    started.finish()
}

/// libwebp's method (0 fastest, 6 smallest) for lossy WebP.
pub const WEBP_METHOD: u8 = 4;

/// Lossy WebP at `quality` (0-100) and libwebp `method` (0-6), alpha compressed lossily.
pub fn encode_webp(pixels: &Pixels, quality: u8, method: u8) -> Result<Vec<u8>, PipelineError> {
    let encoder = if pixels.has_alpha() {
        webp::Encoder::from_rgba(&pixels.data, pixels.width, pixels.height)
    } else {
        webp::Encoder::from_rgb(&pixels.data, pixels.width, pixels.height)
    };
    let mut config = webp::WebPConfig::new()
        .map_err(|()| PipelineError::Encode("WebP: libwebp's version does not match".into()))?;
    config.quality = f32::from(quality.min(100));
    config.method = i32::from(method.min(6));
    config.alpha_compression = 1;
    encoder
        .encode_advanced(&config)
        .map(|memory| memory.to_vec())
        .map_err(|e| PipelineError::Encode(format!("WebP: {e:?}")))
}

fn encode_png(pixels: &Pixels) -> Result<Vec<u8>, PipelineError> {
    let mut out = Vec::new();
    let color = if pixels.has_alpha() {
        ExtendedColorType::Rgba8
    } else {
        ExtendedColorType::Rgb8
    };
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive)
        .write_image(&pixels.data, pixels.width, pixels.height, color)
        .map_err(|e| PipelineError::Encode(format!("PNG: {e}")))?;
    Ok(out)
}

/// RGB rows, with any alpha composed over white (JPEG has no alpha).
fn flatten_alpha(pixels: &Pixels) -> std::borrow::Cow<'_, [u8]> {
    if !pixels.has_alpha() {
        return std::borrow::Cow::Borrowed(&pixels.data);
    }
    let blend = |c: u8, a: u8| {
        ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a)) + 127) / 255) as u8
    };
    pixels
        .data
        .chunks_exact(4)
        .flat_map(|p| [blend(p[0], p[3]), blend(p[1], p[3]), blend(p[2], p[3])])
        .collect::<Vec<u8>>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avif_quality_follows_the_measured_points_and_keeps_the_ends() {
        let mapped: Vec<u8> = [0, 1, 30, 60, 75, 80, 90, 95, 100, 255]
            .into_iter()
            .map(avif_quality)
            .collect();
        assert_eq!(mapped, [1, 1, 26, 52, 63, 66, 73, 87, 100, 100]);
    }
}
