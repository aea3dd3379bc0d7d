//! What a processing job is expected to cost, read from the image's header before the job
//! is queued, so the pool can keep small jobs moving beside big ones. The estimate is the
//! pixels decoded: width x height, times frames, times the scans of a progressive JPEG in
//! tens; a file that is no image costs its size (it is only checked and hashed). Whatever
//! the header cannot tell is taken as big.

use super::{Probe, jpeg, probe};
use crate::media::FileType;

/// Jobs up to this many pixel passes are small (a 2000x2000 still).
const SMALL: u64 = 4_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct JobCost(u64);

impl JobCost {
    /// A job whose cost the header does not tell.
    pub const UNKNOWN: Self = Self(u64::MAX);

    pub fn is_small(self) -> bool {
        self.0 <= SMALL
    }

    pub fn of_probe(probe: &Probe) -> Self {
        let pixels = u64::from(probe.width) * u64::from(probe.height);
        let passes = u64::from(probe.scans.div_ceil(10).max(1));
        Self(
            pixels
                .saturating_mul(u64::from(probe.frames.max(1)))
                .saturating_mul(passes),
        )
    }

    /// The cost of processing a file from its bytes, or from only its first bytes: the
    /// header says the size even where the rest is not there.
    pub fn estimate(head: &[u8]) -> Self {
        let Some(format) = image_format(head) else {
            return Self::of_bytes(head.len() as u64);
        };
        if let Ok(probed) = probe(head, format) {
            return Self::of_probe(&probed);
        }
        let size = match format {
            FileType::Jpeg => jpeg::frame_size(head),
            FileType::Png => png_size(head),
            _ => None,
        };
        size.map_or(Self::UNKNOWN, |(w, h)| Self(u64::from(w) * u64::from(h)))
    }

    /// A job that only checks and hashes `len` bytes (no image to decode).
    pub fn of_bytes(len: u64) -> Self {
        Self(len)
    }
}

/// The image format the bytes start like, if any.
fn image_format(head: &[u8]) -> Option<FileType> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileType::Jpeg)
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(FileType::Png)
    } else if head.starts_with(b"GIF8") {
        Some(FileType::Gif)
    } else if head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
        Some(FileType::Webp)
    } else {
        None
    }
}

/// Width and height from a PNG's IHDR.
fn png_size(head: &[u8]) -> Option<(u32, u32)> {
    if head.get(12..16)? != b"IHDR" {
        return None;
    }
    let word = |at: usize| Some(u32::from_be_bytes(head.get(at..at + 4)?.try_into().ok()?));
    Some((word(16)?, word(20)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name);
        std::fs::read(path).expect("fixture")
    }

    #[test]
    fn small_and_big_images_are_told_apart_from_their_headers() {
        assert!(JobCost::estimate(&fixture("images/orient-6.jpg")).is_small());
        assert!(JobCost::estimate(&fixture("images/animated.gif")).is_small());
        let photo = fixture("images/photo-12mp.jpg");
        assert!(!JobCost::estimate(&photo).is_small());
        assert!(
            !JobCost::estimate(&photo[..4096]).is_small(),
            "a prefix tells the size"
        );
        let bomb = fixture("bad/bomb.png");
        assert!(!JobCost::estimate(&bomb[..64]).is_small());
        assert!(!JobCost::estimate(b"GIF89a").is_small(), "unknown is big");
        assert!(
            JobCost::estimate(b"%PDF-1.4").is_small(),
            "no image to decode"
        );
    }
}
