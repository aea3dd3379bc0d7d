//! Lossless metadata stripping for PNG and WebP (chunk formats) and GIF (re-written frame
//! by frame with the same palette indices): pixels stay bit-identical.

use super::PipelineError;

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

/// Re-writes a GIF from its decoded frames and palettes, keeping only the loop count:
/// comments, XMP and other application extensions are gone; pixels are unchanged.
pub fn strip_gif(bytes: &[u8]) -> Result<Vec<u8>, PipelineError> {
    let bad = |e: &dyn std::fmt::Display| PipelineError::Undecodable(format!("GIF: {e}"));
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    let mut decoder = options.read_info(bytes).map_err(|e| bad(&e))?;
    let (width, height) = (decoder.width(), decoder.height());
    let global = decoder.global_palette().unwrap_or_default().to_vec();
    let repeat = decoder.repeat();
    let mut out = Vec::with_capacity(bytes.len());
    {
        let mut encoder =
            gif::Encoder::new(&mut out, width, height, &global).map_err(|e| bad(&e))?;
        encoder.set_repeat(repeat).map_err(|e| bad(&e))?;
        while let Some(frame) = decoder.read_next_frame().map_err(|e| bad(&e))? {
            encoder.write_frame(frame).map_err(|e| bad(&e))?;
        }
    }
    Ok(out)
}

/// Frames in a GIF, counted without decompressing them.
pub fn count_gif_frames(bytes: &[u8]) -> Result<(u32, u32, u32), PipelineError> {
    let bad = |e: gif::DecodingError| PipelineError::Undecodable(format!("GIF: {e}"));
    let mut options = gif::DecodeOptions::new();
    options.skip_frame_decoding(true);
    let mut decoder = options.read_info(bytes).map_err(bad)?;
    let (width, height) = (u32::from(decoder.width()), u32::from(decoder.height()));
    let mut frames = 0u32;
    while decoder.read_next_frame().map_err(bad)?.is_some() {
        frames += 1;
    }
    Ok((width, height, frames))
}
