//! Decodes a still image (or an animation's first frame) once, into [`Pixels`]. JPEGs are
//! decoded by libjpeg (mozjpeg) scaled in the DCT domain when the output needs far fewer
//! pixels than the source has (shrink on load).

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::{ImageFormat, ImageReader};

use super::probe::Probe;
use super::{DecodeLimits, PipelineError, Pixels};
use crate::media::FileType;

/// Decodes `bytes`; `min_side` is the smallest the shorter side may become (JPEG only
/// scales down by eighths, and never below it).
pub fn decode(
    bytes: &[u8],
    probe: &Probe,
    limits: &DecodeLimits,
    min_side: u32,
) -> Result<Pixels, PipelineError> {
    if probe.format == FileType::Jpeg && !probe.cmyk {
        let eighths = scale_eighths(probe.width.min(probe.height), min_side);
        return decode_jpeg(bytes, eighths);
    }
    let format = match probe.format {
        FileType::Jpeg => ImageFormat::Jpeg,
        FileType::Png => ImageFormat::Png,
        FileType::Gif => ImageFormat::Gif,
        _ => ImageFormat::WebP,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut image_limits = image::Limits::default();
    image_limits.max_image_width = Some(limits.max_side);
    image_limits.max_image_height = Some(limits.max_side);
    image_limits.max_alloc = Some(limits.max_decode_bytes);
    reader.limits(image_limits);
    let image = reader.decode().map_err(|e| refusal(e, limits))?;
    Ok(Pixels::from_dynamic(image))
}

/// The decoder's error; a limit it reached is named as the settings name it. The header
/// was within the limits, so the decoder found more than it said (a GIF frame larger
/// than its screen, say).
fn refusal(error: image::ImageError, limits: &DecodeLimits) -> PipelineError {
    use image::error::{ImageError, LimitErrorKind};
    let ImageError::Limits(limit) = &error else {
        return PipelineError::Undecodable(error.to_string());
    };
    let (what, limit, setting) = match limit.kind() {
        LimitErrorKind::DimensionError => (
            "a frame is larger than the header says",
            format!("{} pixel side", limits.max_side),
            "pipeline.limits.max_side",
        ),
        _ => (
            "decoding needs more memory than the header says",
            format!("{} byte decode memory", limits.max_decode_bytes),
            "pipeline.limits.max_decode_bytes",
        ),
    };
    PipelineError::OverLimit {
        what: what.to_owned(),
        limit,
        setting,
    }
}

/// The smallest n/8 scale that keeps `side * n / 8` at or above `min_side`.
pub fn scale_eighths(side: u32, min_side: u32) -> u8 {
    (1..=8u8)
        .find(|&n| u64::from(side) * u64::from(n) >= u64::from(min_side) * 8)
        .unwrap_or(8)
}

fn decode_jpeg(bytes: &[u8], eighths: u8) -> Result<Pixels, PipelineError> {
    let run = || -> std::io::Result<Pixels> {
        let mut decompress = mozjpeg::Decompress::with_markers(&[]).from_mem(bytes)?;
        decompress.scale(eighths);
        let mut started = decompress.rgb()?;
        let (width, height) = (started.width(), started.height());
        let data = started.read_scanlines::<u8>()?;
        started.finish()?;
        let w = u32::try_from(width).map_err(std::io::Error::other)?;
        let h = u32::try_from(height).map_err(std::io::Error::other)?;
        Ok(Pixels::from_parts(w, h, 3, data))
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(Ok(pixels)) => Ok(pixels),
        Ok(Err(e)) => Err(PipelineError::Undecodable(format!("JPEG: {e}"))),
        Err(panic) => Err(PipelineError::Undecodable(panic_message(&panic))),
    }
}

/// The message libjpeg's error handler unwound with.
pub fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "the codec failed".to_owned())
}

#[cfg(test)]
mod tests {
    use super::scale_eighths;

    #[test]
    fn shrinks_by_eighths_but_never_below_the_need() {
        assert_eq!(scale_eighths(3000, 256), 1);
        assert_eq!(scale_eighths(3000, 512), 2);
        assert_eq!(scale_eighths(3000, 1024), 3);
        assert_eq!(scale_eighths(3000, 3000), 8);
        assert_eq!(scale_eighths(100, 512), 8);
    }
}
