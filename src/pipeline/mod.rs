//! The image pipeline: probe the header and check limits, decode once (shrinking JPEGs on
//! load), orient, convert to sRGB, resize, encode within the byte target, and make the
//! profile's variants from the same pixels, largest first. Where no pixel needs to change,
//! the original's metadata is stripped without re-encoding.

mod chunks;
mod decode;
mod encode;
mod exif;
mod fit;
mod jpeg;
mod limits;
mod pixels;
mod pool;
mod probe;
mod profile;
mod render;
mod resize;

pub use decode::{decode, scale_eighths};
pub use encode::{Effort, encode};
pub use exif::exif_orientation;
pub use limits::DecodeLimits;
pub use pixels::Pixels;
pub use pool::{PoolError, ProcessingPool};
pub use probe::{Probe, probe};
pub use profile::{FormatPolicy, PipelineSettings, Profile, VariantFormat};
pub use render::render;
pub use resize::{cover, fit_within, square};

use crate::ingest::FileType;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PipelineError {
    #[error("image cannot be decoded: {0}")]
    Undecodable(String),
    #[error("{what}, over the {limit} limit (setting {setting})")]
    OverLimit {
        what: String,
        limit: String,
        setting: &'static str,
    },
    #[error("the image cannot be made to fit the profile's {target} byte target")]
    TargetUnreachable { target: u64 },
    #[error("encoding failed: {0}")]
    Encode(String),
}

/// One stored file: an original or a variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub format: FileType,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub frames: u32,
}

/// A variant and the slot it fills (its requested square size).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub size: u32,
    pub output: Output,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    pub original: Output,
    pub variants: Vec<Variant>,
}

/// Runs the whole pipeline over an uploaded image.
pub fn process(
    bytes: &[u8],
    format: FileType,
    profile: &Profile,
    limits: &DecodeLimits,
) -> Result<Processed, PipelineError> {
    let probe = probe(bytes, format)?;
    limits.check(probe.width, probe.height, probe.frames)?;
    let largest_variant = profile.variants.iter().copied().max().unwrap_or(0);
    if probe.is_animated() {
        return animated(bytes, &probe, profile, limits, largest_variant);
    }
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
    let min_side = largest_variant
        .max((u64::from(original_long) * u64::from(short)).div_ceil(u64::from(long)) as u32);
    let mut pixels = decode(bytes, &probe, limits, min_side)?.orient(probe.orientation);
    if let Some(icc) = &probe.icc {
        pixels = pixels.to_srgb(icc);
    }
    let (original, source) = if unchanged {
        let stripped = strip(bytes, probe.format)?;
        let output = Output {
            format: probe.format,
            bytes: stripped,
            width,
            height,
            frames: 1,
        };
        (output, pixels)
    } else {
        let target_format = profile.output_format(probe.format);
        let resized = fit_within(pixels, profile.max_edge);
        let fitted = fit::fit_to_target(
            resized,
            target_format,
            profile.quality,
            profile.jpeg_effort,
            profile.max_bytes,
        )?;
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
        (output, fitted.pixels)
    };
    let variants = variants(&source, profile)?;
    Ok(Processed { original, variants })
}

/// Animations are stored as uploaded, with their metadata stripped losslessly; their
/// variants are stills of the first frame.
fn animated(
    bytes: &[u8],
    probe: &Probe,
    profile: &Profile,
    limits: &DecodeLimits,
    largest_variant: u32,
) -> Result<Processed, PipelineError> {
    let stripped = strip(bytes, probe.format)?;
    if stripped.len() as u64 > profile.max_bytes {
        return Err(PipelineError::TargetUnreachable {
            target: profile.max_bytes,
        });
    }
    let first = decode(bytes, probe, limits, largest_variant)?;
    let original = Output {
        format: probe.format,
        bytes: stripped,
        width: probe.width,
        height: probe.height,
        frames: probe.frames,
    };
    Ok(Processed {
        original,
        variants: variants(&first, profile)?,
    })
}

/// The uploaded bytes without metadata (or anything after the image), pixels untouched.
fn strip(bytes: &[u8], format: FileType) -> Result<Vec<u8>, PipelineError> {
    match format {
        FileType::Jpeg => Ok(jpeg::parse(bytes)?.strip(bytes)),
        FileType::Png => chunks::strip_png(bytes),
        FileType::Gif => chunks::strip_gif(bytes),
        _ => chunks::strip_webp(bytes),
    }
}

/// Square variants, largest first, each made from the one before it.
fn variants(source: &Pixels, profile: &Profile) -> Result<Vec<Variant>, PipelineError> {
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
        let square = square(previous.as_ref().unwrap_or(source), size);
        for &format in &formats {
            out.push(Variant {
                size,
                output: Output {
                    format,
                    bytes: encode(&square, format, profile.variant_quality, Effort::Fast)?,
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
