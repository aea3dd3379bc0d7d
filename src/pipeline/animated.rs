//! An animation through the pipeline: stored as uploaded with its metadata stripped
//! losslessly, its variants stills of the first frame. The byte target is checked on the
//! stripped bytes before any frame is decoded.

use super::{
    Deadline, DecodeLimits, Output, PipelineError, Probe, Processed, Profile, chunks, decode,
    stage, still, strip,
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
    let stripped = stage(Stage::Strip, || strip(bytes, probe.format))?;
    if stripped.len() as u64 > profile.max_bytes {
        return Err(PipelineError::TargetUnreachable {
            target: profile.max_bytes,
        });
    }
    deadline.check("stripping metadata")?;
    if probe.format == FileType::Gif {
        chunks::check_gif_frames(&stripped, deadline)?;
    }
    let largest_variant = profile.variants.iter().copied().max().unwrap_or(0);
    let first = stage(Stage::Decode, || {
        decode(bytes, probe, limits, largest_variant)
    })?;
    deadline.check("decoding the first frame")?;
    let original = Output {
        format: probe.format,
        bytes: stripped,
        width: probe.width,
        height: probe.height,
        frames: probe.frames,
    };
    Ok(Processed {
        original,
        variants: still::variants(&first, profile, deadline)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Duration;

    #[test]
    fn the_byte_target_is_checked_before_any_frame_is_decoded() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/images");
        let gif = std::fs::read(path.join("animated.gif")).expect("fixture");
        let profile = Profile {
            max_bytes: 100,
            ..Profile::icon()
        };
        let limits = DecodeLimits::default();
        let probed = super::super::probe(&gif, FileType::Gif).expect("probes");
        // With no time at all, only what comes before the first deadline check can answer.
        let spent = Deadline::start(Duration::from_secs(0));
        let err = process(&gif, &probed, &profile, &limits, &spent).expect_err("over");
        assert_eq!(err, PipelineError::TargetUnreachable { target: 100 });
    }
}
