//! A still image through the pipeline: decode once, orient, convert to sRGB, then either
//! strip the original as it is or resize and fit it to the byte target, and make the
//! variants from the same pixels. The deadline is checked between the steps.

use super::{
    Deadline, DecodeLimits, Effort, Output, PipelineError, Pixels, Probe, Processed, Profile,
    Variant, decode, encode, fit, fit_within, square, stage, strip,
};
use crate::media::FileType;
use crate::metrics::Stage;

pub fn process(
    bytes: &[u8],
    probe: &Probe,
    profile: &Profile,
    limits: &DecodeLimits,
    deadline: &Deadline,
) -> Result<Processed, PipelineError> {
    let (width, height) = probe.display_size();
    let (long, short) = (width.max(height), width.min(height));
    let unchanged = probe.orientation == 1
        && probe.icc.is_none()
        && !probe.cmyk
        && long <= profile.max_edge
        && profile.keeps(probe.format)
        && bytes.len() as u64 <= profile.max_bytes;
    let original_long = if unchanged {
        0
    } else {
        long.min(profile.max_edge)
    };
    let largest_variant = profile.variants.iter().copied().max().unwrap_or(0);
    let min_side = largest_variant
        .max((u64::from(original_long) * u64::from(short)).div_ceil(u64::from(long)) as u32);
    let mut pixels = stage(Stage::Decode, || decode(bytes, probe, limits, min_side))?;
    deadline.check("decoding")?;
    pixels = stage(Stage::Orient, || {
        let upright = pixels.orient(probe.orientation);
        match &probe.icc {
            Some(icc) => upright.to_srgb(icc),
            None => upright,
        }
    });
    deadline.check("orienting and converting to sRGB")?;
    let (original, source) = if unchanged {
        let output = Output {
            format: probe.format,
            bytes: stage(Stage::Strip, || strip(bytes, probe.format))?,
            width,
            height,
            frames: 1,
        };
        (output, pixels)
    } else {
        re_encode(pixels, probe.format, profile, deadline)?
    };
    let variants = variants(&source, profile, deadline)?;
    Ok(Processed { original, variants })
}

/// The original resized to the profile's edge and fitted to its byte target, and the
/// pixels it was encoded from.
fn re_encode(
    pixels: Pixels,
    uploaded: FileType,
    profile: &Profile,
    deadline: &Deadline,
) -> Result<(Output, Pixels), PipelineError> {
    let target_format = profile.output_format(uploaded);
    let resized = stage(Stage::Resize, || fit_within(pixels, profile.max_edge));
    deadline.check("resizing")?;
    let target = fit::Target {
        format: target_format,
        max_quality: profile.quality,
        effort: profile.jpeg_effort,
        max_bytes: profile.max_bytes,
    };
    let fitted = stage(Stage::Fit, || {
        fit::fit_to_target(resized, &target, deadline)
    })?;
    tracing::debug!(
        quality = fitted.quality,
        bytes = fitted.bytes.len(),
        "fitted original"
    );
    let output = Output {
        format: target_format,
        bytes: fitted.bytes,
        width: fitted.pixels.width,
        height: fitted.pixels.height,
        frames: 1,
    };
    Ok((output, fitted.pixels))
}

/// Square variants, largest first, each made from the one before it.
pub fn variants(
    source: &Pixels,
    profile: &Profile,
    deadline: &Deadline,
) -> Result<Vec<Variant>, PipelineError> {
    let mut sizes = profile.variants.clone();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    sizes.dedup();
    let transparent = source.uses_alpha();
    let mut formats: Vec<FileType> = profile
        .variant_formats
        .iter()
        .map(|f| f.resolve(transparent))
        .collect();
    formats.dedup();
    let mut out = Vec::with_capacity(sizes.len() * formats.len());
    let mut previous: Option<Pixels> = None;
    for size in sizes {
        let from = previous.as_ref().unwrap_or(source);
        let square = stage(Stage::Resize, || square(from, size));
        for &format in &formats {
            deadline.check(&format!("the {size} px {} variant", format.extension()))?;
            out.push(Variant {
                size,
                output: Output {
                    format,
                    bytes: stage(Stage::Encode, || {
                        encode(&square, format, profile.variant_quality, Effort::Fast)
                    })?,
                    width: square.width,
                    height: square.height,
                    frames: 1,
                },
            });
        }
        previous = Some(square);
    }
    Ok(out)
}
