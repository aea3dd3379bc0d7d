//! What a processing job is expected to cost, read from the image's header before the job
//! is queued: the pixel passes (width x height, times frames, times the scans of a
//! progressive JPEG in tens), so the pool can keep small jobs moving beside big ones; and
//! the memory decoding needs, so the pool admits no more at once than its memory budget
//! holds. A file that is no image costs its size. What the header cannot tell is taken as
//! big.

use super::{Probe, jpeg, probe};
use crate::media::{self, Category, Detected, FileType};

/// Jobs up to this many pixel passes are small (a 2000x2000 still).
const SMALL: u64 = 4_000_000;

/// Bytes of working memory per decoded pixel: the decoded RGBA buffer and the copy the
/// steps after it (orientation, colour conversion, resizing) make.
const BYTES_PER_PIXEL: u64 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobCost {
    passes: u64,
    memory: u64,
}

impl JobCost {
    /// A job whose cost the header does not tell.
    pub const UNKNOWN: Self = Self {
        passes: u64::MAX,
        memory: 0,
    };

    pub fn is_small(self) -> bool {
        self.passes <= SMALL
    }

    /// Bytes of memory the job is expected to hold while it runs.
    pub fn memory(self) -> u64 {
        self.memory
    }

    /// The same job with its decoding memory at most `max_decode` (what the decode limits
    /// let through: a header that claims more is refused by them, with their message).
    pub fn capped(self, max_decode: u64) -> Self {
        Self {
            memory: self.memory.min(max_decode),
            ..self
        }
    }

    /// The same job, also holding `bytes` of input (the file, waiting and while it runs).
    pub fn holding(self, bytes: u64) -> Self {
        Self {
            memory: self.memory.saturating_add(bytes),
            ..self
        }
    }

    pub fn of_probe(probe: &Probe) -> Self {
        let pixels = u64::from(probe.width) * u64::from(probe.height);
        let scans = u64::from(probe.scans.div_ceil(10).max(1));
        // Animations hold the canvas and the frame being decoded.
        let held = if probe.frames > 1 { 2 } else { 1 };
        Self {
            passes: pixels
                .saturating_mul(u64::from(probe.frames.max(1)))
                .saturating_mul(scans),
            memory: pixels.saturating_mul(BYTES_PER_PIXEL * held),
        }
    }

    /// The cost of processing a file from its bytes, or from only its first bytes: the
    /// header says the size even where the rest is not there. The bytes themselves are
    /// not counted ([`JobCost::holding`] adds them).
    pub fn estimate(head: &[u8]) -> Self {
        let format = match media::sniff(head) {
            Detected::File(found) if found.category() == Category::Image => found,
            _ => return Self::of_bytes(head.len() as u64),
        };
        if let Ok(probed) = probe(head, format) {
            return Self::of_probe(&probed);
        }
        let size = match format {
            FileType::Jpeg => jpeg::frame_size(head),
            FileType::Png => png_size(head),
            _ => None,
        };
        size.map_or(Self::UNKNOWN, |(w, h)| {
            Self::of_pixels(u64::from(w) * u64::from(h))
        })
    }

    /// A still of `pixels` pixels.
    pub fn of_pixels(pixels: u64) -> Self {
        Self {
            passes: pixels,
            memory: pixels.saturating_mul(BYTES_PER_PIXEL),
        }
    }

    /// A job that only checks and hashes `len` bytes (no image to decode).
    pub fn of_bytes(len: u64) -> Self {
        Self {
            passes: len,
            memory: 0,
        }
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
