//! Reads a JPEG's structure without decoding it: its frame header, its metadata segments,
//! and where the image really ends. Used to probe, to find truncation and trailing data
//! (polyglots), and to strip metadata without re-encoding.

use super::PipelineError;

/// One marker segment: the marker byte and the bytes of the whole segment (marker included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub marker: u8,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JpegLayout {
    pub width: u32,
    pub height: u32,
    pub components: u8,
    /// Header segments before the first scan, in order.
    pub segments: Vec<Segment>,
    /// Offset of the first scan's SOS marker: everything from here to `end` is image data.
    pub scan_start: usize,
    /// Offset just past the EOI marker; bytes after it are not part of the image.
    pub end: usize,
    /// SOS markers: 1 for most baseline files, about 10 for progressive ones.
    pub scans: u32,
    /// APPn and comment segments between the scans (JPEG allows them before every scan),
    /// each with the fill bytes before it: `strip` drops these too.
    pub scan_metadata: Vec<Segment>,
}

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const APP1: u8 = 0xE1;
const APP2: u8 = 0xE2;

pub fn parse(bytes: &[u8]) -> Result<JpegLayout, PipelineError> {
    let bad = |why: &str| PipelineError::Undecodable(format!("JPEG {why}"));
    if bytes.get(..2) != Some(&[0xFF, SOI][..]) {
        return Err(bad("does not start with SOI"));
    }
    let mut at = 2;
    let mut segments = Vec::new();
    let mut frame = None;
    loop {
        let marker =
            next_marker(bytes, &mut at).ok_or_else(|| bad("is truncated in its header"))?;
        if marker == EOI {
            return Err(bad("ends before any image data"));
        }
        let length = bytes
            .get(at..at + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            .filter(|&n| n >= 2 && at + n <= bytes.len())
            .ok_or_else(|| bad("is truncated in a segment"))?;
        let segment = Segment {
            marker,
            start: at - 2,
            end: at + length,
        };
        if is_frame_header(marker) {
            frame = Some(
                read_frame(&bytes[at + 2..at + length])
                    .ok_or_else(|| bad("has a broken frame header"))?,
            );
        }
        if marker == SOS {
            let (width, height, components) =
                frame.ok_or_else(|| bad("has a scan before its frame header"))?;
            let scans = walk_scans(bytes, segment.end)
                .ok_or_else(|| bad("is truncated: no end-of-image marker"))?;
            if let Some(n) = scans.empty {
                return Err(bad(&format!("is truncated: scan {n} has no image data")));
            }
            return Ok(JpegLayout {
                width,
                height,
                components,
                segments,
                scan_start: segment.start,
                end: scans.end,
                scans: scans.count,
                scan_metadata: scans.metadata,
            });
        }
        segments.push(segment);
        at += length;
    }
}

/// The frame size of a JPEG from its first bytes alone: the end need not be there.
pub fn frame_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.get(..2)? != [0xFF, SOI] {
        return None;
    }
    let mut at = 2;
    loop {
        let marker = next_marker(bytes, &mut at)?;
        let length = usize::from(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]));
        if is_frame_header(marker) {
            let (width, height, _) = read_frame(bytes.get(at + 2..at + length)?)?;
            return Some((width, height));
        }
        if marker == SOS || marker == EOI || length < 2 {
            return None;
        }
        at += length;
    }
}

/// Skips fill bytes and answers the next marker, leaving `at` just past it.
fn next_marker(bytes: &[u8], at: &mut usize) -> Option<u8> {
    if *bytes.get(*at)? != 0xFF {
        return None;
    }
    while *bytes.get(*at)? == 0xFF {
        *at += 1;
    }
    let marker = *bytes.get(*at)?;
    *at += 1;
    Some(marker)
}

fn is_frame_header(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

fn read_frame(body: &[u8]) -> Option<(u32, u32, u8)> {
    let height = u32::from(u16::from_be_bytes([*body.get(1)?, *body.get(2)?]));
    let width = u32::from(u16::from_be_bytes([*body.get(3)?, *body.get(4)?]));
    Some((width, height, *body.get(5)?))
}

/// The scans of a JPEG, as counted from their markers.
struct Scans {
    /// Offset just past the EOI that ends the image.
    end: usize,
    count: u32,
    /// The first scan (1-based) with no entropy-coded data, if any.
    empty: Option<u32>,
    /// The metadata segments between the scans.
    metadata: Vec<Segment>,
}

impl Scans {
    /// Notes the end of the scan being walked, which coded data or not.
    fn close(&mut self, had_data: bool) {
        if !had_data {
            self.empty.get_or_insert(self.count);
        }
    }

    /// Steps over the marker segment at `at` (its fill bytes start at `from`): a new scan
    /// or a segment between scans, noted if it is metadata. Answers where it ends.
    fn segment(&mut self, bytes: &[u8], from: usize, at: usize, had_data: bool) -> Option<usize> {
        let marker = bytes[at + 1];
        if marker == SOS {
            self.close(had_data);
            self.count += 1;
        }
        let length = u16::from_be_bytes([*bytes.get(at + 2)?, *bytes.get(at + 3)?]);
        let end = at + 2 + usize::from(length);
        if !keeps(marker) {
            self.metadata.push(Segment {
                marker,
                start: from,
                end,
            });
        }
        Some(end)
    }
}

/// Walks from just past the first SOS header to the EOI, through the scans and the
/// segments between them (progressive JPEGs have many). Every real scan codes at least one
/// byte of data, so a scan followed at once by a marker is a cut-off file.
fn walk_scans(bytes: &[u8], mut at: usize) -> Option<Scans> {
    let mut scans = Scans {
        end: 0,
        count: 1,
        empty: None,
        metadata: Vec::new(),
    };
    let mut has_data = false;
    // Where the run of fill bytes before the byte at `at` began, if it is in one.
    let mut fill = None;
    while at + 1 < bytes.len() {
        if bytes[at] != 0xFF {
            // Entropy-coded data up to the next marker byte: found with SIMD, since every
            // variant of a stored original walks the whole file.
            has_data = true;
            at = memchr::memchr(0xFF, &bytes[at..]).map_or(bytes.len(), |i| at + i);
            continue;
        }
        let from = fill.take().unwrap_or(at);
        match bytes[at + 1] {
            0x00 => {
                has_data = true;
                at += 1;
            }
            0xFF => {
                fill = Some(from);
                at += 1;
            }
            0xD0..=0xD7 => at += 1,
            EOI => {
                scans.close(has_data);
                scans.end = at + 2;
                return Some(scans);
            }
            SOS => {
                at = scans.segment(bytes, from, at, has_data)?;
                has_data = false;
            }
            _ => at = scans.segment(bytes, from, at, has_data)?,
        }
    }
    None
}

/// Refuses a JPEG that carries another kind of file after its end (a polyglot: an image
/// that is also a ZIP, an HTML page or a program). Another JPEG there (a multi-picture or
/// gain-map trailer, as phones write) or stray bytes are allowed, and cut off when stored.
pub fn check_trailer(trailer: &[u8]) -> Result<(), PipelineError> {
    use crate::media::{Category, Detected, FileType, sniff};
    let found = match sniff(trailer) {
        Detected::File(t) if t.category() == Category::Image || t == FileType::Txt => return Ok(()),
        Detected::Empty | Detected::Unrecognised => return Ok(()),
        Detected::File(t) => t.describe(),
        Detected::Markup(what) | Detected::Executable(what) => what,
    };
    Err(PipelineError::Undecodable(format!(
        "{} bytes after the end of the image are {found} (a polyglot file)",
        trailer.len()
    )))
}

impl JpegLayout {
    /// The EXIF payloads (TIFF bytes) of the `Exif` APP1 segments, in order.
    pub fn exif_blocks<'a>(&self, bytes: &'a [u8]) -> impl Iterator<Item = &'a [u8]> {
        self.segments
            .iter()
            .filter(|s| s.marker == APP1)
            .filter_map(move |s| bytes[s.start + 4..s.end].strip_prefix(b"Exif\0\0"))
    }

    /// The embedded ICC profile, reassembled from its APP2 chunks.
    pub fn icc(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let mut chunks: Vec<(u8, &[u8])> = self
            .segments
            .iter()
            .filter(|s| s.marker == APP2)
            .filter_map(|s| bytes[s.start + 4..s.end].strip_prefix(b"ICC_PROFILE\0"))
            .filter_map(|rest| Some((*rest.first()?, rest.get(2..)?)))
            .collect();
        chunks.sort_by_key(|(seq, _)| *seq);
        let profile: Vec<u8> = chunks
            .into_iter()
            .flat_map(|(_, data)| data.iter().copied())
            .collect();
        (!profile.is_empty()).then_some(profile)
    }

    /// The same image without metadata: keeps only the segments a decoder needs (and the
    /// JFIF and Adobe markers that say how to read the colours), drops EXIF, XMP, ICC,
    /// IPTC and comments, before the first scan and between the scans, and everything
    /// after the end of the image.
    pub fn strip(&self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.end);
        out.extend_from_slice(&[0xFF, SOI]);
        for segment in &self.segments {
            if keeps(segment.marker) {
                out.extend_from_slice(&bytes[segment.start..segment.end]);
            }
        }
        let mut from = self.scan_start;
        for segment in &self.scan_metadata {
            out.extend_from_slice(&bytes[from..segment.start]);
            from = segment.end;
        }
        out.extend_from_slice(&bytes[from..self.end]);
        out
    }
}

/// APP0 (JFIF), APP14 (Adobe colour transform) and every non-APP, non-comment segment.
fn keeps(marker: u8) -> bool {
    match marker {
        0xE0 | 0xEE => true,
        0xE1..=0xEF | 0xFE => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A structurally valid JPEG: SOI, APP1 Exif, COM, SOF0 8x4 with 3 components, SOS, data, EOI.
    fn sample(trailer: &[u8]) -> Vec<u8> {
        let mut b = vec![0xFF, SOI];
        b.extend_from_slice(&[0xFF, APP1, 0, 12]);
        b.extend_from_slice(b"Exif\0\0II*\0");
        b.extend_from_slice(&[0xFF, 0xFE, 0, 6, b'h', b'i', b'!', b'!']);
        b.extend_from_slice(&[0xFF, 0xC0, 0, 8, 8, 0, 4, 0, 8, 3]);
        b.extend_from_slice(&[0xFF, SOS, 0, 2, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56]);
        b.extend_from_slice(&[0xFF, EOI]);
        b.extend_from_slice(trailer);
        b
    }

    #[test]
    fn reads_the_frame_and_finds_the_end() {
        let bytes = sample(b"PK\x03\x04 trailing zip");
        let layout = parse(&bytes).expect("parses");
        assert_eq!((layout.width, layout.height, layout.components), (8, 4, 3));
        assert_eq!(layout.end, bytes.len() - b"PK\x03\x04 trailing zip".len());
        assert_eq!(layout.exif_blocks(&bytes).next(), Some(&b"II*\0"[..]));
    }

    #[test]
    fn strip_drops_metadata_and_trailers() {
        let bytes = sample(b"PK\x03\x04");
        let stripped = parse(&bytes).expect("parses").strip(&bytes);
        assert!(!stripped.windows(4).any(|w| w == b"Exif"));
        assert!(!stripped.windows(4).any(|w| w == b"hi!!"));
        assert!(stripped.ends_with(&[0xFF, EOI]));
        let again = parse(&stripped).expect("still a JPEG");
        assert_eq!((again.width, again.height), (8, 4));
    }

    #[test]
    fn strip_drops_metadata_between_scans_too() {
        let bytes = sample(b"");
        let eoi = bytes.len() - 2;
        let table_and_scan: &[u8] = &[0xFF, 0xC4, 0, 3, 0x10, 0xFF, SOS, 0, 2, 0x55];
        let metadata = [
            &[0xFF, 0xFF, APP1, 0, 8][..],
            b"Exif\0\0",
            &[0xFF, 0xFE, 0, 3, b'!'],
        ];
        let progressive = [
            &bytes[..eoi],
            &metadata.concat(),
            table_and_scan,
            &bytes[eoi..],
        ];
        let progressive = progressive.concat();
        let layout = parse(&progressive).expect("parses");
        assert_eq!(layout.scans, 2);
        let plain = parse(&bytes).expect("parses").strip(&bytes);
        let (head, eoi) = plain.split_at(plain.len() - 2);
        let want = [head, table_and_scan, eoi].concat();
        assert_eq!(layout.strip(&progressive), want);
    }

    #[test]
    fn scans_are_counted_and_an_empty_one_is_truncation() {
        let bytes = sample(b"");
        assert_eq!(parse(&bytes).expect("parses").scans, 1);
        let eoi = bytes.len() - 2;
        let mut progressive = bytes[..eoi].to_vec();
        for _ in 0..4 {
            progressive.extend_from_slice(&[0xFF, 0xC4, 0, 3, 0x10]);
            progressive.extend_from_slice(&[0xFF, SOS, 0, 2, 0x55, 0xFF, 0x00]);
        }
        progressive.extend_from_slice(&[0xFF, EOI]);
        assert_eq!(parse(&progressive).expect("parses").scans, 5);
        let sos = bytes
            .windows(2)
            .position(|w| w == [0xFF, SOS])
            .expect("SOS");
        let no_data = [&bytes[..sos + 4], &[0xFF, EOI][..]].concat();
        let err = parse(&no_data).expect_err("no scan data");
        assert!(
            err.to_string().contains("truncated: scan 1 has no"),
            "{err}"
        );
        let mut second_empty = bytes[..eoi].to_vec();
        second_empty.extend_from_slice(&[0xFF, SOS, 0, 2, 0xFF, EOI]);
        let err = parse(&second_empty).expect_err("empty second scan");
        assert!(err.to_string().contains("scan 2 has no"), "{err}");
    }

    #[test]
    fn truncation_is_refused() {
        let bytes = sample(b"");
        for cut in [1, 5, 20, bytes.len() - 2] {
            assert!(parse(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }
}
