//! Checks of lossless metadata stripping (JPEG, PNG, GIF, WebP): what comes out is no
//! larger than what went in, strips to itself again, and holds no metadata anywhere, as
//! walked here independently of the stripper.

use imgate::media::FileType;
use imgate::pipeline;

use super::images::IMAGES;

pub fn strip(data: &[u8]) {
    for format in IMAGES {
        let Ok(once) = pipeline::strip(data, format) else {
            continue;
        };
        // A GIF gains its trailer when the input had none.
        assert!(once.len() <= data.len() + 1, "{format:?} grew");
        let twice = pipeline::strip(&once, format).expect("stripped bytes strip again");
        assert!(
            twice == once,
            "{format:?}: stripping twice changes the bytes"
        );
        match format {
            FileType::Jpeg => jpeg_has_no_metadata(&once),
            FileType::Png => png_has_no_metadata(&once),
            FileType::Gif => gif_has_no_metadata(&once),
            _ => webp_has_no_metadata(&once),
        }
    }
}

fn be16(bytes: &[u8], at: usize) -> Option<usize> {
    let b = bytes.get(at..at + 2)?;
    Some(usize::from(u16::from_be_bytes([b[0], b[1]])))
}

/// Every marker segment up to EOI, before and between the scans: none is an APPn segment
/// but JFIF (APP0) and Adobe (APP14), nor a comment. Walked as the stripper reads a JPEG:
/// in the header every marker has a length; in scan data, stuffed zeros and restart
/// markers have none.
fn jpeg_has_no_metadata(bytes: &[u8]) {
    let (mut at, mut in_scans) = (2, false);
    while at + 1 < bytes.len() {
        let marker = bytes[at + 1];
        if bytes[at] != 0xFF || marker == 0xFF {
            at += 1;
            continue;
        }
        if in_scans && matches!(marker, 0x00 | 0xD0..=0xD7) {
            at += 2;
            continue;
        }
        if marker == 0xD9 {
            return;
        }
        let metadata = matches!(marker, 0xE1..=0xED | 0xEF | 0xFE);
        assert!(!metadata, "JPEG marker 0x{marker:02X} kept at offset {at}");
        in_scans |= marker == 0xDA;
        at += 2 + be16(bytes, at + 2).unwrap_or(bytes.len());
    }
}

/// Every chunk is one a viewer needs.
fn png_has_no_metadata(bytes: &[u8]) {
    const KEPT: [&[u8]; 9] = [
        b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND", b"gAMA", b"cHRM", b"sRGB", b"sBIT",
    ];
    let mut at = 8;
    while let Some(header) = bytes.get(at..at + 8) {
        let kind = &header[4..8];
        assert!(KEPT.contains(&kind), "PNG chunk {kind:?} kept");
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        at += 12 + length as usize;
    }
}

/// Extensions are frame controls and the loop count only.
fn gif_has_no_metadata(bytes: &[u8]) {
    let table = |packed: u8| {
        if packed & 0x80 == 0 {
            0
        } else {
            3 << ((packed & 7) + 1)
        }
    };
    let skip = |mut at: usize| {
        while let Some(&len) = bytes.get(at) {
            at += 1 + usize::from(len);
            if len == 0 {
                break;
            }
        }
        at
    };
    let mut at = 13 + table(bytes[10]);
    while let Some(&block) = bytes.get(at) {
        match block {
            0x21 => {
                let label = bytes[at + 1];
                let looping = matches!(
                    bytes.get(at + 3..at + 14),
                    Some(b"NETSCAPE2.0" | b"ANIMEXTS1.0")
                );
                assert!(
                    label == 0xF9 || (label == 0xFF && looping),
                    "GIF extension 0x{label:02X} kept"
                );
                at = skip(at + 2);
            }
            0x2C => at = skip(at + 11 + table(bytes[at + 9])),
            _ => return,
        }
    }
}

/// No EXIF, XMP or ICC chunk at the top level, and no VP8X flag announcing one.
fn webp_has_no_metadata(bytes: &[u8]) {
    let mut at = 12;
    while let Some(header) = bytes.get(at..at + 8) {
        let kind = &header[..4];
        assert!(
            !matches!(kind, b"EXIF" | b"XMP " | b"ICCP"),
            "WebP chunk {kind:?} kept"
        );
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        if kind == b"VP8X"
            && size > 0
            && let Some(&flags) = bytes.get(at + 8)
        {
            assert_eq!(
                flags & (0x20 | 0x08 | 0x04),
                0,
                "VP8X still announces metadata"
            );
        }
        at += 8 + size + (size & 1);
    }
}
