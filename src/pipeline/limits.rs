//! Decode limits, checked from the header before any pixel buffer is allocated. Each
//! refusal names the limit, its value and the setting that changes it.

use serde::{Deserialize, Serialize};

use super::{PipelineError, Probe};
use crate::clock::Duration;

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
    /// Most scans of a progressive JPEG, counted from its markers before decoding (each
    /// scan is a pass over the whole image). Cameras and encoders write about 10. Default 100.
    pub max_scans: u32,
    /// Largest frames x width x height of an animation, in pixels. Default 500,000,000
    /// (300 frames of 1600x1000).
    pub max_animation_pixels: u64,
    /// Longest a processing job may run; past it the job is abandoned and refused.
    /// Default 20s.
    pub max_job_time: Duration,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_pixels: 50_000_000,
            max_side: 16_384,
            max_frames: 300,
            max_decode_bytes: 512 * 1024 * 1024,
            max_scans: 100,
            max_animation_pixels: 500_000_000,
            max_job_time: Duration::from_secs(20),
        }
    }
}

fn over(what: String, limit: String, setting: &'static str) -> Result<(), PipelineError> {
    Err(PipelineError::OverLimit {
        what,
        limit,
        setting,
    })
}

impl DecodeLimits {
    /// Every limit the probed header can be checked against: size, frames, scans and the
    /// pixels of the whole animation.
    pub fn check_probe(&self, probe: &Probe) -> Result<(), PipelineError> {
        self.check(probe.width, probe.height, probe.frames)?;
        self.check_scans(probe.scans)?;
        let total = u64::from(probe.frames) * u64::from(probe.width) * u64::from(probe.height);
        if probe.is_animated() && total > self.max_animation_pixels {
            return over(
                format!(
                    "animation has {} frames of {}x{} ({total} pixels)",
                    probe.frames, probe.width, probe.height
                ),
                format!("{} animation pixel", self.max_animation_pixels),
                "pipeline.limits.max_animation_pixels",
            );
        }
        Ok(())
    }

    /// Refuses a JPEG with more scans than `max_scans`.
    pub fn check_scans(&self, scans: u32) -> Result<(), PipelineError> {
        if scans > self.max_scans {
            return over(
                format!("JPEG has {scans} scans"),
                format!("{} scan", self.max_scans),
                "pipeline.limits.max_scans",
            );
        }
        Ok(())
    }

    /// Refuses an image whose header says it is over a limit.
    pub fn check(&self, width: u32, height: u32, frames: u32) -> Result<(), PipelineError> {
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

    fn probe(width: u32, height: u32, frames: u32, scans: u32) -> Probe {
        Probe {
            format: crate::media::FileType::Gif,
            width,
            height,
            frames,
            orientation: 1,
            icc: None,
            cmyk: false,
            scans,
        }
    }

    #[test]
    fn scans_and_animation_pixels_are_named() {
        let limits = DecodeLimits::default();
        assert!(limits.check_probe(&probe(4000, 3000, 1, 100)).is_ok());
        assert!(limits.check_probe(&probe(1600, 1000, 300, 1)).is_ok());
        let err = limits
            .check_probe(&probe(64, 64, 1, 101))
            .expect_err("scans");
        assert_eq!(
            err.to_string(),
            "JPEG has 101 scans, over the 100 scan limit (setting pipeline.limits.max_scans)"
        );
        let err = limits
            .check_probe(&probe(4000, 4000, 300, 1))
            .expect_err("frames");
        assert_eq!(
            err.to_string(),
            "animation has 300 frames of 4000x4000 (4800000000 pixels), over the 500000000 \
             animation pixel limit (setting pipeline.limits.max_animation_pixels)"
        );
    }
}
