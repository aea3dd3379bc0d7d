//! Decode limits, checked from the header before any pixel buffer is allocated. Each
//! refusal names the limit, its value and the setting that changes it.

use serde::{Deserialize, Serialize};

use super::PipelineError;

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecodeLimits {
    /// Largest width x height, in pixels. Default 50,000,000.
    pub max_pixels: u64,
    /// Largest width or height, in pixels. Default 16384.
    pub max_side: u32,
    /// Most frames of an animation. Default 300.
    pub max_frames: u32,
    /// Most memory for decoded pixels (width x height x 4 x frames held), in bytes.
    /// Default 512 MiB.
    pub max_decode_bytes: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_pixels: 50_000_000,
            max_side: 16_384,
            max_frames: 300,
            max_decode_bytes: 512 * 1024 * 1024,
        }
    }
}

impl DecodeLimits {
    /// Refuses an image whose header says it is over a limit.
    pub fn check(&self, width: u32, height: u32, frames: u32) -> Result<(), PipelineError> {
        let over = |what: String, limit: String, setting: &'static str| {
            Err(PipelineError::OverLimit {
                what,
                limit,
                setting,
            })
        };
        if width == 0 || height == 0 {
            return Err(PipelineError::Undecodable(format!(
                "the header says {width}x{height}"
            )));
        }
        if width.max(height) > self.max_side {
            return over(
                format!("image is {width}x{height}"),
                format!("{} pixel side", self.max_side),
                "pipeline.limits.max_side",
            );
        }
        let pixels = u64::from(width) * u64::from(height);
        if pixels > self.max_pixels {
            return over(
                format!("image is {width}x{height} ({pixels} pixels)"),
                format!("{} pixel", self.max_pixels),
                "pipeline.limits.max_pixels",
            );
        }
        if frames > self.max_frames {
            return over(
                format!("animation has {frames} frames"),
                format!("{} frame", self.max_frames),
                "pipeline.limits.max_frames",
            );
        }
        // Animations are decoded a frame at a time beside the canvas: two buffers.
        let held = if frames > 1 { 2 } else { 1 };
        let bytes = pixels * 4 * held;
        if bytes > self.max_decode_bytes {
            return over(
                format!("decoding needs {bytes} bytes"),
                format!("{} byte decode memory", self.max_decode_bytes),
                "pipeline.limits.max_decode_bytes",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_limit_is_named() {
        let limits = DecodeLimits::default();
        assert!(limits.check(4000, 3000, 1).is_ok());
        let cases = [
            (100_000, 100_000, 1, "max_side"),
            (10_000, 10_000, 1, "max_pixels"),
            (16, 16, 301, "max_frames"),
        ];
        for (w, h, frames, setting) in cases {
            let err = limits.check(w, h, frames).expect_err("over");
            assert!(err.to_string().contains(setting), "{err}");
        }
        let tight = DecodeLimits {
            max_decode_bytes: 1000,
            ..limits
        };
        assert!(
            tight
                .check(16, 16, 1)
                .is_err_and(|e| e.to_string().contains("decode"))
        );
        assert!(limits.check(0, 5, 1).is_err());
    }
}
