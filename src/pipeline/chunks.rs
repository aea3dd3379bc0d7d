//! Lossless metadata stripping for PNG and WebP (chunk formats) and GIF (copied block by
//! block): pixels stay bit-identical and nothing is decoded.

use super::{Deadline, PipelineError};

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// PNG chunks a viewer needs to show the pixels as intended; every other chunk (text,
/// time, EXIF, ICC, private chunks) is dropped.
const PNG_KEEP: [&[u8; 4]; 9] = [
    b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND", b"gAMA", b"cHRM", b"sRGB", b"sBIT",
];

pub fn strip_png(bytes: &[u8]) -> Result<Vec<u8>, PipelineError> {
    let bad = |why: &str| PipelineError::Undecodable(format!("PNG {why}"));
    let mut at = PNG_SIGNATURE.len();
    if bytes.get(..at) != Some(PNG_SIGNATURE) {
        return Err(bad("signature missing"));
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(PNG_SIGNATURE);
    loop {
        let header = bytes.get(at..at + 8).ok_or_else(|| bad("is truncated"))?;
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = &header[4..8];
        let end = at + 12 + length;
        let chunk = bytes.get(at..end).ok_or_else(|| bad("is truncated"))?;
        if PNG_KEEP.iter().any(|k| k.as_slice() == kind) {
            out.extend_from_slice(chunk);
        }
        if kind == b"IEND" {
            return Ok(out);
        }
        at = end;
    }
}

/// Removes the EXIF, XMP and ICC chunks of a WebP (still or animated) and clears their
/// flags in the VP8X header.
pub fn strip_webp(bytes: &[u8]) -> Result<Vec<u8>, PipelineError> {
    let bad = |why: &str| PipelineError::Undecodable(format!("WebP {why}"));
    if bytes.get(..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WEBP") {
        return Err(bad("header missing"));
    }
    let riff_end = 8 + u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    let body = bytes
        .get(12..riff_end.min(bytes.len()))
        .ok_or_else(|| bad("is truncated"))?;
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(b"RIFF\0\0\0\0WEBP");
    let mut at = 0;
    while at + 8 <= body.len() {
        let kind = &body[at..at + 4];
        let size =
            u32::from_le_bytes([body[at + 4], body[at + 5], body[at + 6], body[at + 7]]) as usize;
        let end = at + 8 + size + (size & 1);
        let chunk = body
            .get(at..end.min(body.len()))
            .ok_or_else(|| bad("is truncated"))?;
        match kind {
            b"EXIF" | b"XMP " | b"ICCP" => {}
            b"VP8X" if chunk.len() >= 9 => {
                let mut vp8x = chunk.to_vec();
                vp8x[8] &= !(0x20 | 0x08 | 0x04);
                out.extend_from_slice(&vp8x);
            }
            _ => out.extend_from_slice(chunk),
        }
        at = end;
    }
    let size = u32::try_from(out.len() - 8).map_err(|_| bad("is too large"))?;
    out[4..8].copy_from_slice(&size.to_le_bytes());
    Ok(out)
}

/// Copies a GIF block by block without decoding it: the header, the colour tables, each
/// frame's control block and compressed data, and the loop count are kept byte for byte;
/// comments, plain text and other application blocks (XMP, ICC) and anything after the
/// trailer are dropped. Its cost is a walk over the bytes, whatever the frames hold.
pub fn strip_gif(bytes: &[u8]) -> Result<Vec<u8>, PipelineError> {
    let truncated = || PipelineError::Undecodable("GIF is truncated".into());
    let screen = bytes.get(..13).ok_or_else(truncated)?;
    let mut at = 13 + colour_table(screen[10]);
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(bytes.get(..at).ok_or_else(truncated)?);
    loop {
        let start = at;
        match *bytes.get(at).ok_or_else(truncated)? {
            0x3B => break,
            0x21 => {
                let label = *bytes.get(at + 1).ok_or_else(truncated)?;
                let id = bytes.get(at + 3..at + 14);
                at = skip_sub_blocks(bytes, at + 2).ok_or_else(truncated)?;
                let looping =
                    label == 0xFF && matches!(id, Some(b"NETSCAPE2.0") | Some(b"ANIMEXTS1.0"));
                if label == 0xF9 || looping {
                    out.extend_from_slice(&bytes[start..at]);
                }
            }
            0x2C => {
                let packed = *bytes.get(at + 9).ok_or_else(truncated)?;
                at =
                    skip_sub_blocks(bytes, at + 11 + colour_table(packed)).ok_or_else(truncated)?;
                out.extend_from_slice(&bytes[start..at]);
            }
            other => {
                return Err(PipelineError::Undecodable(format!(
                    "GIF has an unknown block 0x{other:02X} at offset {at}"
                )));
            }
        }
    }
    out.push(0x3B);
    Ok(out)
}

/// Bytes of the colour table a packed field announces.
fn colour_table(packed: u8) -> usize {
    if packed & 0x80 == 0 {
        0
    } else {
        3 << ((packed & 7) + 1)
    }
}

/// The offset past a chain of data sub-blocks starting at `at` (its zero-length end).
fn skip_sub_blocks(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = usize::from(*bytes.get(at)?);
        at += 1 + len;
        if len == 0 {
            return (at <= bytes.len()).then_some(at);
        }
    }
}

/// Decodes every frame of a GIF to check that it is whole, checking the deadline between
/// frames; the pixels are thrown away.
pub fn check_gif_frames(bytes: &[u8], deadline: &Deadline) -> Result<(), PipelineError> {
    let bad = |e: gif::DecodingError| PipelineError::Undecodable(format!("GIF: {e}"));
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    let mut decoder = options.read_info(bytes).map_err(bad)?;
    let mut frame = 0u32;
    while decoder.read_next_frame().map_err(bad)?.is_some() {
        frame += 1;
        deadline.check(&format!("checking frame {frame}"))?;
    }
    Ok(())
}

/// Frames in a GIF, counted from their descriptors: none is decompressed or copied. (Read
/// as frames, each would reserve a buffer for the size its descriptor claims, which no
/// limit has checked: up to a gigabyte.)
pub fn count_gif_frames(bytes: &[u8]) -> Result<(u32, u32, u32), PipelineError> {
    let bad = |e: gif::DecodingError| PipelineError::Undecodable(format!("GIF: {e}"));
    let mut options = gif::DecodeOptions::new();
    options.skip_frame_decoding(true);
    let mut decoder = options.read_info(bytes).map_err(bad)?;
    let (width, height) = (u32::from(decoder.width()), u32::from(decoder.height()));
    let mut frames = 0u32;
    while decoder.next_frame_info().map_err(bad)?.is_some() {
        frames += 1;
    }
    Ok((width, height, frames))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Duration;

    /// A two-frame looping GIF with a comment and an XMP block before its first frame, and
    /// bytes after its trailer.
    fn gif_with_metadata() -> Vec<u8> {
        let mut plain = Vec::new();
        {
            let palette = [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255];
            let mut encoder = gif::Encoder::new(&mut plain, 4, 4, &palette).expect("encoder");
            encoder.set_repeat(gif::Repeat::Infinite).expect("repeat");
            for colour in [1u8, 2] {
                let frame = gif::Frame::from_indexed_pixels(4, 4, vec![colour; 16], None);
                encoder.write_frame(&frame).expect("frame");
            }
        }
        let first = plain
            .iter()
            .position(|&b| b == 0x21 || b == 0x2C)
            .expect("a block");
        let loop_end = first + 19;
        assert_eq!(&plain[first + 3..first + 14], b"NETSCAPE2.0");
        let comment = b"\x21\xFE\x05hello\x00";
        let xmp = b"\x21\xFF\x0BXMP DataXMP\x03abc\x00";
        [
            &plain[..loop_end],
            comment,
            xmp,
            &plain[loop_end..],
            b"trailing",
        ]
        .concat()
    }

    fn frames(bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut options = gif::DecodeOptions::new();
        options.set_color_output(gif::ColorOutput::Indexed);
        let mut decoder = options.read_info(bytes).expect("decodes");
        let mut out = Vec::new();
        while let Some(frame) = decoder.read_next_frame().expect("frame") {
            out.push(frame.buffer.to_vec());
        }
        out
    }

    #[test]
    fn gif_blocks_are_copied_without_their_metadata() {
        let bytes = gif_with_metadata();
        let stripped = strip_gif(&bytes).expect("strips");
        for trace in [&b"hello"[..], b"XMP DataXMP", b"trailing"] {
            assert!(!stripped.windows(trace.len()).any(|w| w == trace));
        }
        assert!(
            stripped.windows(11).any(|w| w == b"NETSCAPE2.0"),
            "loop kept"
        );
        assert_eq!(frames(&stripped), frames(&bytes));
        assert_eq!(frames(&stripped), vec![vec![1; 16], vec![2; 16]]);
        for cut in [5, 20, stripped.len() - 1] {
            assert!(strip_gif(&stripped[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn gif_frames_are_checked_within_the_deadline() {
        let stripped = strip_gif(&gif_with_metadata()).expect("strips");
        assert!(check_gif_frames(&stripped, &Deadline::start(Duration::from_secs(60))).is_ok());
        let err = check_gif_frames(&stripped, &Deadline::start(Duration::from_secs(0)))
            .expect_err("no time");
        assert!(err.to_string().contains("up to checking frame 1"), "{err}");
    }
}
