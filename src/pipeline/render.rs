//! Renders a variant of a stored original for a template URL: decode once (shrinking JPEGs
//! on load), fit or fill the asked size without upscaling, encode. Stored originals are
//! already upright, sRGB and free of metadata, so none of that is redone.

use super::{
    Deadline, DecodeLimits, Effort, Output, PipelineError, Pixels, decode, encode, fit_within,
    probe, stage,
};
use crate::media::FileType;
use crate::metrics::Stage;

/// What a variant does to the original's pixels, with its sizes resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Fit inside `width` x `height`, keeping the aspect ratio.
    Fit { width: u32, height: u32 },
    /// Cover `width` x `height` and crop the centre.
    Fill { width: u32, height: u32 },
    /// The original's pixels.
    Identity,
}

impl Operation {
    /// The most pixels the result can have, made from a source of `dimensions` (None:
    /// unknown). Nothing is upscaled, so it is never more than the source has.
    pub fn most_pixels(self, dimensions: Option<(u32, u32)>) -> u64 {
        let source = dimensions.map_or(u64::MAX, |(w, h)| u64::from(w) * u64::from(h));
        match self {
            Operation::Fit { width, height } | Operation::Fill { width, height } => {
                source.min(u64::from(width) * u64::from(height))
            }
            Operation::Identity => source,
        }
    }
}

pub fn render(
    bytes: &[u8],
    stored: FileType,
    operation: Operation,
    format: FileType,
    quality: u8,
    limits: &DecodeLimits,
) -> Result<Output, PipelineError> {
    let deadline = Deadline::start(limits.max_job_time);
    let probe = stage(Stage::Probe, || probe(bytes, stored))?;
    limits.check(probe.width, probe.height, 1)?;
    limits.check_scans(probe.scans)?;
    let min_side = match operation {
        Operation::Fit { width, height } => {
            fit_scale_need(probe.width, probe.height, width, height)
        }
        Operation::Fill { width, height } => width.max(height),
        Operation::Identity => u32::MAX,
    };
    let pixels = stage(Stage::Decode, || decode(bytes, &probe, limits, min_side))?;
    deadline.check("decoding")?;
    let shaped = stage(Stage::Resize, || match operation {
        Operation::Fit { width, height } => fit_inside(pixels, width, height),
        Operation::Fill { width, height } => fill(&pixels, width, height),
        Operation::Identity => pixels,
    });
    deadline.check("resizing")?;
    let format = if format == FileType::Gif {
        FileType::Png
    } else {
        format
    };
    Ok(Output {
        bytes: stage(Stage::Encode, || {
            encode(&shaped, format, quality, Effort::Fast)
        })?,
        format,
        width: shaped.width,
        height: shaped.height,
        frames: 1,
    })
}

/// The shorter side the decoder must keep so that fitting into `w x h` needs no upscale.
fn fit_scale_need(source_w: u32, source_h: u32, w: u32, h: u32) -> u32 {
    let scale = (f64::from(w) / f64::from(source_w))
        .min(f64::from(h) / f64::from(source_h))
        .min(1.0);
    (f64::from(source_w.min(source_h)) * scale).ceil() as u32
}

/// Fits inside `w x h`, keeping the aspect ratio, never upscaling.
fn fit_inside(pixels: Pixels, w: u32, h: u32) -> Pixels {
    let scale =
        (f64::from(w) / f64::from(pixels.width)).min(f64::from(h) / f64::from(pixels.height));
    if scale >= 1.0 {
        return pixels;
    }
    let long = (f64::from(pixels.width.max(pixels.height)) * scale)
        .round()
        .max(1.0) as u32;
    fit_within(pixels, long)
}

/// Covers `w x h` and centre-crops to it; a source too small keeps its size but takes the
/// asked aspect ratio.
fn fill(pixels: &Pixels, w: u32, h: u32) -> Pixels {
    let scale =
        (f64::from(w) / f64::from(pixels.width)).max(f64::from(h) / f64::from(pixels.height));
    let (out_w, out_h) = if scale > 1.0 {
        let shrink = 1.0 / scale;
        (
            (f64::from(w) * shrink).round().max(1.0) as u32,
            (f64::from(h) * shrink).round().max(1.0) as u32,
        )
    } else {
        (w, h)
    };
    super::resize::cover(pixels, out_w, out_h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_pixels_never_exceed_the_source_or_the_asked_box() {
        let fit = Operation::Fit {
            width: 256,
            height: 256,
        };
        let fill = Operation::Fill {
            width: 4000,
            height: 10,
        };
        assert_eq!(fit.most_pixels(Some((4000, 3000))), 65_536);
        assert_eq!(fit.most_pixels(Some((100, 50))), 5_000);
        assert_eq!(fill.most_pixels(Some((4000, 3000))), 40_000);
        assert_eq!(
            Operation::Identity.most_pixels(Some((4000, 3000))),
            12_000_000
        );
        assert_eq!(Operation::Identity.most_pixels(None), u64::MAX);
        assert_eq!(fit.most_pixels(None), 65_536);
    }
}
