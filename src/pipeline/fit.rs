//! Fits an encoded image under a byte target: the highest quality that fits, found by
//! binary search; then, if even the lowest quality is too big, a smaller image.

use super::encode::{Effort, encode};
use super::resize::fit_within;
use super::{Deadline, PipelineError, Pixels};
use crate::media::FileType;

/// Lowest quality the search goes down to before shrinking the image instead.
const MIN_QUALITY: u8 = 40;
/// Smallest longer side the image may be shrunk to.
const MIN_EDGE: u32 = 16;

/// What the original must become: its format, the quality to start from, the JPEG effort
/// and the byte target.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub format: FileType,
    pub max_quality: u8,
    pub effort: Effort,
    pub max_bytes: u64,
}

impl Target {
    fn encode(
        &self,
        pixels: &Pixels,
        quality: u8,
        deadline: &Deadline,
    ) -> Result<Vec<u8>, PipelineError> {
        deadline.check(&format!(
            "fitting the original to the byte target (quality {quality}, {}x{})",
            pixels.width, pixels.height
        ))?;
        encode(pixels, self.format, quality, self.effort)
    }

    fn fits(&self, bytes: &[u8]) -> bool {
        bytes.len() as u64 <= self.max_bytes
    }
}

#[derive(Debug)]
pub struct Fitted {
    pub pixels: Pixels,
    pub bytes: Vec<u8>,
    pub quality: u8,
}

/// Encodes at the highest quality that fits; shrinks the image when none does. The deadline
/// is checked before every encode.
pub fn fit_to_target(
    mut pixels: Pixels,
    target: &Target,
    deadline: &Deadline,
) -> Result<Fitted, PipelineError> {
    let lossy = matches!(target.format, FileType::Jpeg | FileType::Webp);
    loop {
        let best = target.encode(&pixels, target.max_quality, deadline)?;
        if target.fits(&best) {
            return Ok(Fitted {
                pixels,
                bytes: best,
                quality: target.max_quality,
            });
        }
        let floor = if lossy {
            target.encode(&pixels, MIN_QUALITY, deadline)?
        } else {
            best
        };
        if target.fits(&floor) {
            let (bytes, quality) = search(&pixels, target, floor, deadline)?;
            return Ok(Fitted {
                pixels,
                bytes,
                quality,
            });
        }
        // Bytes scale roughly with area: aim a little under the target.
        let area_ratio = target.max_bytes as f64 / floor.len() as f64;
        let scale = (area_ratio.sqrt() * 0.9).clamp(0.25, 0.9);
        let long = pixels.width.max(pixels.height);
        let next = (f64::from(long) * scale) as u32;
        if next < MIN_EDGE {
            return Err(PipelineError::TargetUnreachable {
                target: target.max_bytes,
            });
        }
        pixels = fit_within(pixels, next);
    }
}

/// Highest quality below `max_quality` whose output fits the target; `floor` is the output
/// at MIN_QUALITY, which is known to fit.
fn search(
    pixels: &Pixels,
    target: &Target,
    floor: Vec<u8>,
    deadline: &Deadline,
) -> Result<(Vec<u8>, u8), PipelineError> {
    let (mut lo, mut hi) = (
        MIN_QUALITY,
        target.max_quality.saturating_sub(1).max(MIN_QUALITY),
    );
    let mut best = floor;
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        let bytes = target.encode(pixels, mid, deadline)?;
        if target.fits(&bytes) {
            lo = mid;
            best = bytes;
        } else {
            hi = mid - 1;
        }
    }
    Ok((best, lo))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Duration;

    #[test]
    fn an_expired_deadline_stops_the_search() {
        let pixels = Pixels::from_parts(64, 64, 3, (0..64 * 64 * 3).map(|i| i as u8).collect());
        let target = Target {
            format: FileType::Jpeg,
            max_quality: 90,
            effort: Effort::Fast,
            max_bytes: 1_000_000,
        };
        let roomy = Deadline::start(Duration::from_secs(60));
        assert!(fit_to_target(pixels.clone(), &target, &roomy).is_ok());
        let spent = Deadline::start(Duration::from_secs(0));
        let err = fit_to_target(pixels, &target, &spent).expect_err("out of time");
        assert!(matches!(err, PipelineError::TimedOut { .. }), "{err}");
        assert!(err.to_string().contains("fitting the original"), "{err}");
    }
}
