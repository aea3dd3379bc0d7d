//! Checks of what reads image bytes before anything is decoded (type sniffing, header
//! probing and its limits, EXIF and its carriers), and of the whole pipeline on small
//! inputs under tight limits.

use imgate::media::{self, Category, Detected, FileType};
use imgate::pipeline::{self, DecodeLimits, JobCost, Profile};

pub const IMAGES: [FileType; 4] = [FileType::Jpeg, FileType::Png, FileType::Gif, FileType::Webp];

/// The sniffed type is the one every declaration resolves to, within its category.
pub fn sniff(data: &[u8]) {
    let found = media::sniff(data);
    for declared in FileType::ALL {
        match media::resolve(declared, data) {
            Ok(stored) => {
                let docx_as_zip = declared == FileType::Zip && stored == FileType::Docx;
                assert!(
                    stored.category() == declared.category() || docx_as_zip,
                    "{declared:?} resolved to {stored:?}"
                );
                let markup_as_text =
                    stored == FileType::Txt && matches!(found, Detected::Markup(_));
                assert!(
                    found == Detected::File(stored) || markup_as_text,
                    "{found:?} stored as {stored:?}"
                );
            }
            Err(mismatch) => {
                assert_eq!(mismatch.found, found);
                assert!(mismatch.to_string().starts_with("declared "));
            }
        }
    }
}

/// Most a colour profile may inflate to from a file smaller than it (PNG's are compressed).
const MAX_INFLATED_PROFILE: usize = 16 * 1024 * 1024;

/// Every image format's header reader, the limits and the cost estimate, on any bytes
/// (a PNG also with its chunk CRCs made right, so mutations get past the CRC check).
pub fn probe(data: &[u8]) {
    probe_as_is(data);
    if let Some(fixed) = with_png_crcs(data) {
        probe_as_is(&fixed);
    }
}

fn probe_as_is(data: &[u8]) {
    let limits = DecodeLimits::default();
    for format in IMAGES {
        let Ok(probed) = pipeline::probe(data, format) else {
            continue;
        };
        assert_eq!(probed.format, format);
        assert!((1..=8).contains(&probed.orientation), "{probed:?}");
        let profile = probed.icc.as_ref().map_or(0, Vec::len);
        assert!(
            profile <= data.len().max(MAX_INFLATED_PROFILE),
            "a {profile} byte profile"
        );
        let _ = limits.check_probe(&probed);
        let _ = (probed.display_size(), JobCost::of_probe(&probed));
    }
    let _ = JobCost::estimate(data);
}

/// A PNG's bytes with every whole chunk's CRC recomputed, when one was wrong.
pub fn with_png_crcs(data: &[u8]) -> Option<Vec<u8>> {
    if !data.starts_with(b"\x89PNG\r\n\x1a\n") {
        return None;
    }
    let mut fixed = data.to_vec();
    let mut at = 8;
    while let Some(header) = data.get(at..at + 8) {
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let Some(body) = data.get(at + 4..at + 8 + length) else {
            break;
        };
        let crc = crc32fast::hash(body).to_be_bytes();
        let Some(slot) = fixed.get_mut(at + 8 + length..at + 12 + length) else {
            break;
        };
        slot.copy_from_slice(&crc);
        at += 12 + length;
    }
    (fixed != data).then_some(fixed)
}

/// The IFD0 reader on raw bytes and in each carrier; a JPEG carrying the bytes as its
/// EXIF segment is oriented as the reader says.
pub fn exif(data: &[u8]) {
    let orientation = pipeline::exif_orientation(data);
    assert!((1..=8).contains(&orientation));
    for block in pipeline::png_blocks(data)
        .into_iter()
        .chain(pipeline::webp_blocks(data))
    {
        assert!((1..=8).contains(&pipeline::exif_orientation(block)));
    }
    let fits = &data[..data.len().min(usize::from(u16::MAX) - 8)];
    let probed =
        pipeline::probe(&jpeg_with_exif(fits), FileType::Jpeg).expect("a well-formed JPEG probes");
    assert_eq!(probed.orientation, pipeline::exif_orientation(fits));
}

/// A 1x1 greyscale JPEG (structurally whole, not decodable) whose one APP1 segment is
/// `Exif\0\0` and then `exif` (at most 65527 bytes).
fn jpeg_with_exif(exif: &[u8]) -> Vec<u8> {
    let length = u16::try_from(exif.len() + 8).expect("fits");
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1];
    jpeg.extend_from_slice(&length.to_be_bytes());
    jpeg.extend_from_slice(b"Exif\0\0");
    jpeg.extend_from_slice(exif);
    jpeg.extend_from_slice(&[0xFF, 0xC0, 0, 11, 8, 0, 1, 0, 1, 1, 1, 0x11, 0]);
    jpeg.extend_from_slice(&[0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0, 0x12, 0xFF, 0xD9]);
    jpeg
}

/// Limits a few times above what the seeds need, so every input stays small to decode.
fn tight_limits() -> DecodeLimits {
    DecodeLimits {
        max_pixels: 1 << 20,
        max_side: 4096,
        max_frames: 32,
        max_decode_bytes: 8 << 20,
        max_scans: 100,
        max_animation_pixels: 4 << 20,
        ..DecodeLimits::default()
    }
}

/// The whole pipeline on whatever the bytes sniff as (a PNG also with its CRCs made right):
/// what it stores is of the format it says, upright, without a colour profile, and no
/// larger than the profile allows.
pub fn process(data: &[u8]) {
    process_as_is(data);
    if let Some(fixed) = with_png_crcs(data) {
        process_as_is(&fixed);
    }
}

fn process_as_is(data: &[u8]) {
    let Detected::File(format) = media::sniff(data) else {
        return;
    };
    if format.category() != Category::Image {
        return;
    }
    let profile = Profile {
        max_edge: 256,
        max_bytes: 256 * 1024,
        variants: vec![64, 32],
        ..Profile::icon()
    };
    let Ok(processed) = pipeline::process(data, format, &profile, &tight_limits()) else {
        return;
    };
    let original = &processed.original;
    let stored = pipeline::probe(&original.bytes, original.format).expect("the original probes");
    assert_eq!(
        (stored.width, stored.height),
        (original.width, original.height)
    );
    assert_eq!(stored.orientation, 1, "stored turned");
    assert_eq!(stored.icc, None, "stored with a colour profile");
    if original.frames == 1 {
        assert!(original.width.max(original.height) <= profile.max_edge);
    }
    assert!(original.bytes.len() as u64 <= profile.max_bytes);
    for variant in &processed.variants {
        let output = &variant.output;
        assert_eq!(media::sniff(&output.bytes), Detected::File(output.format));
        assert!(
            output.width.max(output.height) <= variant.size,
            "{variant:?}"
        );
    }
}
