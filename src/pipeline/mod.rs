//! The image pipeline: probe the header and check limits, decode once (shrinking JPEGs on
//! load), orient, convert to sRGB, resize, encode within the byte target, and make the
//! profile's variants from the same pixels, largest first. Where no pixel needs to change,
//! the original's metadata is stripped without re-encoding.

mod animated;
mod budget;
mod chunks;
mod cost;
mod deadline;
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
mod still;

pub use budget::{MemoryBudget, auto_budget};
pub use cost::JobCost;
pub use deadline::Deadline;
pub use decode::{decode, scale_eighths};
pub use encode::{
    AVIF_SPEED, Effort, WEBP_METHOD, encode, encode_avif, encode_memory, encode_webp,
};
pub use exif::{exif_orientation, png_blocks, webp_blocks};
pub use limits::DecodeLimits;
pub use pixels::Pixels;
pub use pool::{PoolError, ProcessingPool, Reservation};
pub use probe::{Probe, probe};
pub use profile::{FormatPolicy, PipelineSettings, Profile, VariantFormat};
pub use render::{Operation, render};
pub use resize::{cover, fit_within, square};

use crate::media::FileType;
use crate::metrics::Stage;

/// Runs one step of the pipeline, timed as `stage` for `/metrics`.
fn stage<T>(stage: Stage, step: impl FnOnce() -> T) -> T {
    crate::metrics::get().pipeline.time(stage, step)
}

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
    /// The job ran past `pipeline.limits.max_job_time` and was abandoned.
    #[error("{what}, over the {limit} job time limit (setting {setting})")]
    TimedOut {
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

/// Runs the whole pipeline over an uploaded image, within `limits.max_job_time`.
pub fn process(
    bytes: &[u8],
    format: FileType,
    profile: &Profile,
    limits: &DecodeLimits,
) -> Result<Processed, PipelineError> {
    let deadline = Deadline::start(limits.max_job_time);
    let probe = stage(Stage::Probe, || probe(bytes, format))?;
    limits.check_probe(&probe)?;
    deadline.check("reading the header")?;
    if probe.is_animated() {
        animated::process(bytes, &probe, profile, limits, &deadline)
    } else {
        still::process(bytes, &probe, profile, limits, &deadline)
    }
}

/// The uploaded bytes without metadata (or anything after the image), pixels untouched.
pub fn strip(bytes: &[u8], format: FileType) -> Result<Vec<u8>, PipelineError> {
    match format {
        FileType::Jpeg => Ok(jpeg::parse(bytes)?.strip(bytes)),
        FileType::Png => chunks::strip_png(bytes),
        FileType::Gif => chunks::strip_gif(bytes),
        _ => chunks::strip_webp(bytes),
    }
}
