//! What is accepted: the bytes checked against the declared type and the biz type's rules,
//! and images run through the pipeline of the biz type's profile.

use super::{IngestError, Prepared, PreparedFile};
use crate::biz::BizType;
use crate::media::{self, Category, Detected, FileType};
use crate::pipeline::{self, PipelineSettings};

/// Checks the bytes against the declared type and the biz type's rules, and answers the
/// type to store them as.
pub fn accept(biz: BizType, declared: FileType, bytes: &[u8]) -> Result<FileType, IngestError> {
    accept_detected(biz, declared, media::sniff(bytes))
}

/// [`accept`], for bytes already identified (streamed through a `media::Sniffer`).
pub fn accept_detected(
    biz: BizType,
    declared: FileType,
    detected: Detected,
) -> Result<FileType, IngestError> {
    let found = media::resolve_detected(declared, detected)?;
    if !found.is_input() {
        return Err(IngestError::OutputOnly(found));
    }
    if biz.accepts(found.category()) {
        Ok(found)
    } else {
        Err(IngestError::NotAllowed {
            biz,
            accepted: biz.accepted_description(),
            found: found.extension(),
        })
    }
}

/// The type a file name's extension declares, or, without one, the type of the bytes.
pub fn declared_type(name: &str, bytes: &[u8]) -> Result<FileType, IngestError> {
    declared_or_detected(name, || media::sniff(bytes))
}

/// The type a file name's extension declares, or, without one, the type `detected` says.
pub fn declared_or_detected(
    name: &str,
    detected: impl FnOnce() -> Detected,
) -> Result<FileType, IngestError> {
    let name = name.rsplit('/').next().unwrap_or(name);
    if let Some((_, ext)) = name.rsplit_once('.') {
        return FileType::from_extension(ext)
            .ok_or_else(|| IngestError::UnknownFileType(ext.to_owned()));
    }
    match detected() {
        Detected::File(found) => Ok(found),
        _ => Err(IngestError::UnknownFileType(
            "(none, and the bytes are not a supported type)".into(),
        )),
    }
}

/// Checks the bytes, runs images through the pipeline of the biz type's profile, and
/// hashes what is to be stored. CPU work: run it on the processing pool.
pub fn prepare(
    biz: BizType,
    declared: FileType,
    bytes: Vec<u8>,
    settings: &PipelineSettings,
) -> Result<Prepared, IngestError> {
    let file_type = accept(biz, declared, &bytes)?;
    if file_type.category() != Category::Image {
        let original = PreparedFile::new(file_type, bytes, None);
        return Ok(Prepared {
            original,
            variants: Vec::new(),
        });
    }
    let profile = if biz.is_icon() {
        &settings.icon
    } else {
        &settings.image
    };
    let processed = pipeline::process(&bytes, file_type, profile, &settings.limits)?;
    drop(bytes);
    Ok(Prepared {
        original: PreparedFile::from_output(processed.original),
        variants: processed
            .variants
            .into_iter()
            .map(|v| (v.size, PreparedFile::from_output(v.output)))
            .collect(),
    })
}
