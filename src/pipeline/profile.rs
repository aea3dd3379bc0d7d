//! Processing profiles: what a biz type's images become. Icon biz types use `icon`, every
//! other biz type uses `image`.

use serde::{Deserialize, Serialize};

use super::{DecodeLimits, Effort};
use crate::media::FileType;

/// Format of the stored original.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FormatPolicy {
    /// The uploaded format (a still GIF that must be re-encoded becomes PNG).
    Keep,
    Jpeg,
    Png,
    Webp,
}

/// Format of a variant; `auto` is PNG for images with transparency and JPEG otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VariantFormat {
    Webp,
    Avif,
    Jpeg,
    Png,
    Auto,
}

impl VariantFormat {
    pub fn resolve(self, transparent: bool) -> FileType {
        match self {
            VariantFormat::Webp => FileType::Webp,
            VariantFormat::Avif => FileType::Avif,
            VariantFormat::Jpeg => FileType::Jpeg,
            VariantFormat::Png => FileType::Png,
            VariantFormat::Auto if transparent => FileType::Png,
            VariantFormat::Auto => FileType::Jpeg,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Longest side of the stored original, in pixels; larger images are downscaled.
    pub max_edge: u32,
    /// Byte target of the stored original.
    pub max_bytes: u64,
    /// Format of the stored original.
    pub format: FormatPolicy,
    /// Highest quality (1-100) for lossy output; the size target may lower it.
    pub quality: u8,
    /// JPEG effort for originals: `perceptual-progressive` or `perceptual` (jpegli, with
    /// progressive scans or without), `smallest` (mozjpeg's trellis) or
    /// `fast` (libjpeg-turbo's size).
    pub jpeg_effort: Effort,
    /// Square variants made at upload time, in pixels (never upscaled).
    #[serde(default)]
    pub variants: Vec<u32>,
    /// Formats each variant is made in.
    #[serde(default)]
    pub variant_formats: Vec<VariantFormat>,
    /// Quality (1-100) of lossy variants.
    pub variant_quality: u8,
}

impl Profile {
    pub fn icon() -> Self {
        Self {
            max_edge: 1024,
            max_bytes: 2 * 1024 * 1024,
            format: FormatPolicy::Keep,
            quality: 85,
            jpeg_effort: Effort::Perceptual,
            variants: vec![512, 256, 128, 64],
            variant_formats: vec![VariantFormat::Webp, VariantFormat::Auto],
            variant_quality: 80,
        }
    }

    pub fn image() -> Self {
        Self {
            max_edge: 4096,
            max_bytes: 10 * 1024 * 1024,
            format: FormatPolicy::Keep,
            quality: 85,
            jpeg_effort: Effort::PerceptualProgressive,
            variants: Vec::new(),
            variant_formats: vec![VariantFormat::Webp, VariantFormat::Auto],
            variant_quality: 80,
        }
    }

    /// The format a re-encoded original is written in.
    pub fn output_format(&self, uploaded: FileType) -> FileType {
        match self.format {
            FormatPolicy::Keep if uploaded == FileType::Gif => FileType::Png,
            FormatPolicy::Keep => uploaded,
            FormatPolicy::Jpeg => FileType::Jpeg,
            FormatPolicy::Png => FileType::Png,
            FormatPolicy::Webp => FileType::Webp,
        }
    }

    /// Whether the uploaded format may be stored as it is.
    pub fn keeps(&self, uploaded: FileType) -> bool {
        self.format == FormatPolicy::Keep || self.output_format(uploaded) == uploaded
    }
}

/// The `[pipeline]` settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineSettings {
    /// Threads of the processing pool; 0 = one per core. Default 0.
    pub threads: usize,
    /// Jobs that may wait for a thread; beyond them requests get 503. Default 16.
    pub queue: usize,
    /// Working memory processing jobs may hold at once, in bytes: decoded pixels (an
    /// estimate from the header) and the files being processed. A job waits in the queue
    /// until its estimate fits; one that needs more than the whole budget is refused
    /// (422). 0 derives it from the machine: a quarter of the memory the process may use
    /// (its cgroup limit, else physical memory), at least 256 MiB. Default 0.
    pub memory_budget: u64,
    pub limits: DecodeLimits,
    pub icon: Profile,
    pub image: Profile,
}

impl Default for PipelineSettings {
    fn default() -> Self {
        Self {
            threads: 0,
            queue: 16,
            memory_budget: 0,
            limits: DecodeLimits::default(),
            icon: Profile::icon(),
            image: Profile::image(),
        }
    }
}
