//! Fits an encoded image under a byte target: the highest quality that fits, found by
//! binary search; then, if even the lowest quality is too big, a smaller image.

use super::encode::{Effort, encode};
use super::resize::fit_within;
use super::{PipelineError, Pixels};
use crate::media::FileType;

/// Lowest quality the search goes down to before shrinking the image instead.
const MIN_QUALITY: u8 = 40;
/// Smallest longer side the image may be shrunk to.
const MIN_EDGE: u32 = 16;

#[derive(Debug)]
pub struct Fitted {
    pub pixels: Pixels,
    pub bytes: Vec<u8>,
    pub quality: u8,
}

pub fn fit_to_target(
    mut pixels: Pixels,
    format: FileType,
    max_quality: u8,
    effort: Effort,
    target: u64,
) -> Result<Fitted, PipelineError> {
    let lossy = matches!(format, FileType::Jpeg | FileType::Webp);
    loop {
        let best = encode(&pixels, format, max_quality, effort)?;
        if best.len() as u64 <= target {
            return Ok(Fitted {
                pixels,
                bytes: best,
                quality: max_quality,
            });
        }
        let floor = if lossy {
            encode(&pixels, format, MIN_QUALITY, effort)?
        } else {
            best
        };
        if floor.len() as u64 <= target {
            let (bytes, quality) = search(&pixels, format, max_quality, effort, target, floor)?;
            return Ok(Fitted {
                pixels,
                bytes,
                quality,
            });
        }
        // Bytes scale roughly with area: aim a little under the target.
        let area_ratio = target as f64 / floor.len() as f64;
        let scale = (area_ratio.sqrt() * 0.9).clamp(0.25, 0.9);
        let long = pixels.width.max(pixels.height);
        let next = (f64::from(long) * scale) as u32;
        if next < MIN_EDGE {
            return Err(PipelineError::TargetUnreachable { target });
        }
        pixels = fit_within(pixels, next);
    }
}

/// Highest quality below `max_quality` whose output fits `target`; `floor` is the output
/// at MIN_QUALITY, which is known to fit.
fn search(
    pixels: &Pixels,
    format: FileType,
    max_quality: u8,
    effort: Effort,
    target: u64,
    floor: Vec<u8>,
) -> Result<(Vec<u8>, u8), PipelineError> {
    let (mut lo, mut hi) = (MIN_QUALITY, max_quality.saturating_sub(1).max(MIN_QUALITY));
    let mut best = floor;
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        let bytes = encode(pixels, format, mid, effort)?;
        if bytes.len() as u64 <= target {
            lo = mid;
            best = bytes;
        } else {
            hi = mid - 1;
        }
    }
    Ok((best, lo))
}
