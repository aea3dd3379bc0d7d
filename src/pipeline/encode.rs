//! Encoders: JPEG by mozjpeg, WebP by libwebp, PNG by the `png` crate with fast
//! compression and adaptive filtering. None of them writes metadata.
//!
//! JPEG has two efforts, chosen by measurement (BENCHMARKS.md): `Smallest` (trellis
//! quantisation, optimised progressive scans, MS-SSIM-tuned quantisation tables) makes
//! files about 7% smaller than libjpeg-turbo at equal SSIM but costs ~100 ms per megapixel;
//! `Fast` (baseline, optimised Huffman tables) runs ~20x faster at libjpeg-turbo's size.
//! Each profile says which its originals get (`jpeg_effort`); small variants get `Fast`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};

use super::decode::panic_message;
use super::{PipelineError, Pixels};
use crate::media::FileType;

/// How hard the JPEG encoder works for smaller files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effort {
    Fast,
    Smallest,
}

/// Encodes `pixels` as `format` (JPEG, PNG or WebP) at `quality` (1-100; PNG ignores it).
pub fn encode(
    pixels: &Pixels,
    format: FileType,
    quality: u8,
    effort: Effort,
) -> Result<Vec<u8>, PipelineError> {
    match format {
        FileType::Jpeg => encode_jpeg(pixels, quality, effort),
        FileType::Webp => Ok(encode_webp(pixels, quality)),
        _ => encode_png(pixels),
    }
}

fn encode_jpeg(pixels: &Pixels, quality: u8, effort: Effort) -> Result<Vec<u8>, PipelineError> {
    use mozjpeg::qtable::{MSSSIM_Chroma, MSSSIM_Luma};
    let rgb = flatten_alpha(pixels);
    let run = || -> std::io::Result<Vec<u8>> {
        let mut compress = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
        compress.set_size(pixels.width as usize, pixels.height as usize);
        let q = f32::from(quality);
        match effort {
            Effort::Fast => {
                compress.set_fastest_defaults();
                compress.set_quality(q);
                compress.set_optimize_coding(true);
            }
            Effort::Smallest => {
                compress.set_luma_qtable(&MSSSIM_Luma.scaled(q, q));
                compress.set_chroma_qtable(&MSSSIM_Chroma.scaled(q, q));
            }
        }
        let mut started = compress.start_compress(Vec::new())?;
        started.write_scanlines(&rgb)?;
        started.finish()
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => Err(PipelineError::Encode(format!("JPEG: {e}"))),
        Err(panic) => Err(PipelineError::Encode(panic_message(&panic))),
    }
}

fn encode_webp(pixels: &Pixels, quality: u8) -> Vec<u8> {
    let encoder = if pixels.has_alpha() {
        webp::Encoder::from_rgba(&pixels.data, pixels.width, pixels.height)
    } else {
        webp::Encoder::from_rgb(&pixels.data, pixels.width, pixels.height)
    };
    encoder.encode(f32::from(quality)).to_vec()
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
