//! Identifies a file's type from its bytes, never from its name.
//!
//! The declared extension only says which category the client wants; the
//! stored type is always the one the bytes prove. Anything a browser could
//! run (HTML, SVG, XML) or a machine could execute is reported as such so the
//! caller can refuse it.

use std::fmt;

use super::FileType;

/// What the bytes turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    File(FileType),
    /// Text that a browser would render as active content: "an HTML document", "an SVG image", "an XML document".
    Markup(&'static str),
    /// A program: "an ELF executable", "a Windows executable", "a Mach-O executable", "a shell script".
    Executable(&'static str),
    Empty,
    Unrecognised,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";
const HEAD: usize = 1024;
#[rustfmt::skip]
const HTML: [&[u8]; 6] = [b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe"];
const MACH_O: Detected = Detected::Executable("a Mach-O executable");
/// Signatures found at offset 0 (WebP, ZIP and tar are left to `container`).
#[rustfmt::skip]
const MAGIC: [(&[u8], Detected); 15] = [
    (b"\xFF\xD8\xFF", Detected::File(FileType::Jpeg)),
    (b"\x89PNG\r\n\x1A\n", Detected::File(FileType::Png)),
    (b"GIF87a", Detected::File(FileType::Gif)),
    (b"GIF89a", Detected::File(FileType::Gif)),
    (b"%PDF-", Detected::File(FileType::Pdf)),
    (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", Detected::File(FileType::Doc)),
    (b"\x1F\x8B\x08", Detected::File(FileType::Gz)),
    (b"\x7FELF", Detected::Executable("an ELF executable")),
    (b"MZ", Detected::Executable("a Windows executable")),
    (b"\xFE\xED\xFA\xCE", MACH_O),
    (b"\xFE\xED\xFA\xCF", MACH_O),
    (b"\xCE\xFA\xED\xFE", MACH_O),
    (b"\xCF\xFA\xED\xFE", MACH_O),
    (b"\xCA\xFE\xBA\xBE", MACH_O),
    (b"#!", Detected::Executable("a shell script")),
];

/// Identifies the bytes. Binary signatures win over text; text that a
/// browser would treat as markup is never plain text.
pub fn sniff(bytes: &[u8]) -> Detected {
    let mut sniffer = Sniffer::default();
    sniffer.update(bytes);
    sniffer.finish()
}

/// Identifies bytes that arrive in pieces, holding a few KiB whatever their size: the
/// head (signatures sit in its first 1 KiB), whether everything so far is text, and for
/// a ZIP whether an entry names a `word/` path. Feeding the whole file in any pieces
/// gives what [`sniff`] gives for it.
#[derive(Debug, Default)]
pub struct Sniffer {
    head: Vec<u8>,
    len: u64,
    text: TextCheck,
    opening: Opening,
    zip: ZipScan,
}

impl Sniffer {
    pub fn update(&mut self, chunk: &[u8]) {
        let keep = HEAD.saturating_sub(self.head.len()).min(chunk.len());
        self.head.extend_from_slice(&chunk[..keep]);
        self.opening.update(chunk);
        self.text.update(chunk);
        if self.head.len() < 4 || is_zip(&self.head) {
            self.zip.update(chunk);
        }
        self.len += chunk.len() as u64;
    }

    /// Bytes seen so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn finish(self) -> Detected {
        let head = &self.head;
        if self.len == 0 {
            return Detected::Empty;
        }
        if let Some((_, found)) = MAGIC.iter().find(|(sig, _)| head.starts_with(sig)) {
            return *found;
        }
        let word_entry = is_zip(head) && self.zip.finish();
        if let Some(found) = container(head, word_entry) {
            return Detected::File(found);
        }
        if self.text.finish() {
            let opening = self.opening.finish();
            return markup(&opening, head).map_or(Detected::File(FileType::Txt), Detected::Markup);
        }
        // Checked after text so that a page quoting "%PDF-" is not a PDF.
        if find(head, b"%PDF-").is_some() {
            return Detected::File(FileType::Pdf);
        }
        Detected::Unrecognised
    }
}

fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

/// WebP (RIFF), AVIF (ISO-BMFF), ZIP or docx (`word_entry`: an entry under `word/`), and tar.
fn container(b: &[u8], word_entry: bool) -> Option<FileType> {
    if b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        Some(FileType::Webp)
    } else if is_avif(b) {
        Some(FileType::Avif)
    } else if is_zip(b) {
        Some(if word_entry {
            FileType::Docx
        } else {
            FileType::Zip
        })
    } else if b.get(257..262) == Some(b"ustar") {
        Some(FileType::Tar)
    } else {
        None
    }
}

/// An ISO-BMFF `ftyp` box whose major or one of whose compatible brands is `avif` (a
/// still image) or `avis` (a sequence).
fn is_avif(b: &[u8]) -> bool {
    if b.get(4..8) != Some(b"ftyp") {
        return false;
    }
    let size = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
    // The major brand at 8, its version at 12, compatible brands from 16 to the box's end.
    let major = b.get(8..12).unwrap_or_default();
    let compatible = b.get(16..size.min(b.len())).unwrap_or_default();
    std::iter::once(major)
        .chain(compatible.chunks_exact(4))
        .any(|brand| brand == b"avif" || brand == b"avis")
}

/// The first bytes of the text after a BOM at the very start and any leading whitespace,
/// which say whether it opens as markup.
#[derive(Debug, Default)]
struct Opening {
    /// The first bytes of the file while they may still be a BOM.
    start: Vec<u8>,
    started: bool,
    past_whitespace: bool,
    window: Vec<u8>,
}

impl Opening {
    /// Bytes of the opening kept: enough for the longest tag looked for.
    const LEN: usize = 16;

    fn update(&mut self, chunk: &[u8]) {
        let mut rest = chunk;
        if !self.started {
            let take = (BOM.len() - self.start.len()).min(rest.len());
            self.start.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.start.len() < BOM.len() {
                return;
            }
            self.begin();
        }
        self.feed(rest);
    }

    /// Decides whether the first bytes were a BOM: if not, they are text like the rest.
    fn begin(&mut self) {
        self.started = true;
        let start = std::mem::take(&mut self.start);
        if start != BOM {
            self.feed(&start);
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        let mut bytes = bytes;
        if !self.past_whitespace {
            match bytes.iter().position(|c| !c.is_ascii_whitespace()) {
                Some(i) => {
                    self.past_whitespace = true;
                    bytes = &bytes[i..];
                }
                None => return,
            }
        }
        let room = Self::LEN - self.window.len();
        self.window
            .extend_from_slice(&bytes[..room.min(bytes.len())]);
    }

    fn finish(mut self) -> Vec<u8> {
        if !self.started {
            self.begin();
        }
        self.window
    }
}

/// Whether any ZIP local file header names an entry under `word/`, over bytes that
/// arrive in pieces. A header is judged once its whole name has arrived; one whose name
/// runs past the end names nothing.
#[derive(Debug, Default)]
struct ZipScan {
    /// Bytes not yet judged: from the first header whose name has not all arrived, or
    /// the last three bytes (a signature may be cut between pieces).
    pending: Vec<u8>,
    found: bool,
}

impl ZipScan {
    const SIGNATURE: &[u8] = b"PK\x03\x04";

    fn update(&mut self, chunk: &[u8]) {
        if self.found {
            return;
        }
        if self.pending.is_empty() {
            match Self::scan(chunk, false) {
                None => self.found = true,
                Some(from) => self.pending = chunk[from..].to_vec(),
            }
            return;
        }
        self.pending.extend_from_slice(chunk);
        match Self::scan(&self.pending, false) {
            None => {
                self.found = true;
                self.pending = Vec::new();
            }
            Some(from) => drop(self.pending.drain(..from)),
        }
    }

    /// Judges the headers in `bytes` (at the end, those cut short too): `None` when one
    /// names a `word/` entry, else where the bytes still to judge start.
    fn scan(bytes: &[u8], at_end: bool) -> Option<usize> {
        let mut at = 0;
        while let Some(pos) = find(&bytes[at..], Self::SIGNATURE) {
            let header = at + pos;
            let name = bytes
                .get(header + 26..header + 28)
                .map(|n| usize::from(u16::from_le_bytes([n[0], n[1]])))
                .and_then(|len| bytes.get(header + 30..header + 30 + len));
            match name {
                Some(name) if name.starts_with(b"word/") => return None,
                // Its name is still on its way: judge it with the next piece.
                None if !at_end => return Some(header),
                _ => at = header + 4,
            }
        }
        Some(at.max(bytes.len().saturating_sub(Self::SIGNATURE.len() - 1)))
    }

    fn finish(self) -> bool {
        self.found || Self::scan(&self.pending, true).is_none()
    }
}

/// UTF-8 with no control characters but tab, line feed, carriage return and form feed,
/// over bytes that arrive in pieces (a character may be cut between two).
#[derive(Debug)]
struct TextCheck {
    ok: bool,
    /// The start of a character cut at the end of the last piece.
    carry: Vec<u8>,
}

impl Default for TextCheck {
    fn default() -> Self {
        Self {
            ok: true,
            carry: Vec::new(),
        }
    }
}

impl TextCheck {
    fn update(&mut self, chunk: &[u8]) {
        if !self.ok {
            return;
        }
        let joined;
        let bytes = if self.carry.is_empty() {
            chunk
        } else {
            joined = [std::mem::take(&mut self.carry).as_slice(), chunk].concat();
            &joined
        };
        let (valid, rest) = match std::str::from_utf8(bytes) {
            Ok(text) => (text, &[][..]),
            Err(e) if e.error_len().is_none() => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                (std::str::from_utf8(valid).unwrap_or_default(), rest)
            }
            Err(_) => {
                self.ok = false;
                return;
            }
        };
        self.ok = valid
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c'));
        self.carry = rest.to_vec();
    }

    fn finish(self) -> bool {
        self.ok && self.carry.is_empty()
    }
}

/// What kind of active markup the text opens with, if any: `opening` is its start after
/// a BOM and leading whitespace, `head` the file's first KiB.
fn markup(opening: &[u8], head: &[u8]) -> Option<&'static str> {
    let opens =
        |tag: &[u8]| opening.len() >= tag.len() && opening[..tag.len()].eq_ignore_ascii_case(tag);
    if HTML.iter().any(|tag| opens(tag)) {
        Some("an HTML document")
    } else if opens(b"<svg") {
        Some("an SVG image")
    } else if opens(b"<?xml") {
        let svg = find(&head.to_ascii_lowercase(), b"<svg").is_some();
        Some(if svg {
            "an SVG image"
        } else {
            "an XML document"
        })
    } else {
        None
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Why the bytes cannot be accepted as the declared type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeMismatch {
    pub declared: FileType,
    pub found: Detected,
}

impl fmt::Display for TypeMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let declared = self.declared.extension();
        let found = match self.found {
            Detected::File(t) => t.describe(),
            Detected::Markup(what) | Detected::Executable(what) => what,
            Detected::Empty => return write!(f, "declared {declared} but the file is empty"),
            Detected::Unrecognised => "not a recognised file type",
        };
        write!(f, "declared {declared} but the bytes are {found}")
    }
}

impl std::error::Error for TypeMismatch {}

/// The type to store the bytes as, given what the client declared.
///
/// The bytes must be of the declared category; the detected type wins within
/// it (a PNG declared as jpg is stored as png). A docx declared as zip is
/// stored as docx. Markup declared as txt is stored as plain text.
pub fn resolve(declared: FileType, bytes: &[u8]) -> Result<FileType, TypeMismatch> {
    resolve_detected(declared, sniff(bytes))
}

/// [`resolve`], for bytes already identified (by a [`Sniffer`] they streamed through).
pub fn resolve_detected(declared: FileType, found: Detected) -> Result<FileType, TypeMismatch> {
    match found {
        Detected::File(FileType::Docx) if declared == FileType::Zip => Ok(FileType::Docx),
        Detected::File(found) if found.category() == declared.category() => Ok(found),
        Detected::Markup(_) if declared == FileType::Txt => Ok(FileType::Txt),
        found => Err(TypeMismatch { declared, found }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use FileType::*;

    fn zip_entry(name: &str) -> Vec<u8> {
        let len = u16::try_from(name.len()).unwrap().to_le_bytes();
        [&b"PK\x03\x04"[..], &[0; 22], &len, &[0, 0], name.as_bytes()].concat()
    }

    fn tar() -> Vec<u8> {
        let mut b = vec![0u8; 512];
        b[257..263].copy_from_slice(b"ustar\0");
        b
    }

    fn padded(pad: usize, tail: &[u8]) -> Vec<u8> {
        [vec![0; pad], tail.to_vec()].concat()
    }

    #[test]
    fn sniffs_every_kind_of_bytes() {
        let html = Detected::Markup("an HTML document");
        let svg = Detected::Markup("an SVG image");
        let docx = [zip_entry("[Content_Types].xml"), zip_entry("word/x.xml")].concat();
        #[rustfmt::skip]
        let cases: Vec<(Vec<u8>, Detected)> = vec![
            (b"\xFF\xD8\xFF\xE0\0\x10JFIF".to_vec(), Detected::File(Jpeg)),
            (b"\x89PNG\r\n\x1A\n\0\0\0\rIHDR".to_vec(), Detected::File(Png)),
            (b"GIF89a\x01\0\x01\0".to_vec(), Detected::File(Gif)),
            (b"GIF87a\x01\0\x01\0".to_vec(), Detected::File(Gif)),
            (b"RIFF\x1a\0\0\0WEBPVP8L".to_vec(), Detected::File(Webp)),
            (b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf".to_vec(), Detected::File(Avif)),
            (b"\0\0\0\x18ftypmif1\0\0\0\0mif1avis".to_vec(), Detected::File(Avif)),
            (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec(), Detected::Unrecognised),
            (b"%PDF-1.4\n".to_vec(), Detected::File(Pdf)),
            (padded(700, b"%PDF-1.7"), Detected::File(Pdf)),
            (padded(1100, b"%PDF-1.7"), Detected::Unrecognised),
            (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0".to_vec(), Detected::File(Doc)),
            (docx, Detected::File(Docx)),
            (b"w\xC3\xB6rld\r\n\tform\x0cfeed <html>".to_vec(), Detected::File(Txt)),
            (zip_entry("notes/a.txt"), Detected::File(Zip)),
            (b"PK\x05\x06\0\0\0\0".to_vec(), Detected::File(Zip)),
            (tar(), Detected::File(Tar)),
            (b"\x1F\x8B\x08\0\0\0\0\0\0\x03".to_vec(), Detected::File(Gz)),
            (b"".to_vec(), Detected::Empty),
            (b"\0\x01\x02\x03".to_vec(), Detected::Unrecognised),
            (b"plain\x07bell".to_vec(), Detected::Unrecognised),
            (b"\xEF\xBB\xBF \n<!DOCTYPE HTML><p>".to_vec(), html),
            (b"<Script>alert(1)</script>".to_vec(), html),
            (b"\t<iframe src=x>".to_vec(), html),
            (b"<svg onload=alert(1)>".to_vec(), svg),
            (b"<?xml version=\"1.0\"?>\n<SVG>".to_vec(), svg),
            (b"<?xml version=\"1.0\"?><feed/>".to_vec(), Detected::Markup("an XML document")),
            (b"\x7FELF\x02\x01".to_vec(), Detected::Executable("an ELF executable")),
            (b"MZ\x90\0".to_vec(), Detected::Executable("a Windows executable")),
            (b"\xCF\xFA\xED\xFE\x07".to_vec(), MACH_O),
            (b"\xCA\xFE\xBA\xBE\0".to_vec(), MACH_O),
            (b"#!/bin/sh\necho hi\n".to_vec(), Detected::Executable("a shell script")),
        ];
        for (bytes, want) in cases {
            assert_eq!(sniff(&bytes), want, "{bytes:?}");
        }
    }

    #[test]
    fn resolve_rules() {
        let html: &[u8] = b"<html><script>alert(1)</script></html>";
        let (docx, zip) = (zip_entry("word/document.xml"), zip_entry("a.txt"));
        let png: &[u8] = b"\x89PNG\r\n\x1A\n";
        #[rustfmt::skip]
        let cases: [(FileType, &[u8], Result<FileType, Detected>); 12] = [
            (Jpeg, png, Ok(Png)),
            (Pdf, png, Err(Detected::File(Png))),
            (Pdf, b"just text", Ok(Txt)),
            (Gz, &tar(), Ok(Tar)),
            (Zip, &docx, Ok(Docx)),
            (Docx, &docx, Ok(Docx)),
            (Docx, &zip, Err(Detected::File(Zip))),
            (Txt, html, Ok(Txt)),
            (Jpeg, html, Err(Detected::Markup("an HTML document"))),
            (Png, b"\x7FELF\x02", Err(Detected::Executable("an ELF executable"))),
            (Txt, b"#!/bin/sh\n", Err(Detected::Executable("a shell script"))),
            (Png, b"", Err(Detected::Empty)),
        ];
        for (declared, bytes, want) in cases {
            let got = resolve(declared, bytes).map_err(|e| e.found);
            assert_eq!(got, want, "{declared:?} {bytes:?}");
        }
    }

    #[test]
    fn messages() {
        let msg = |declared, found| TypeMismatch { declared, found }.to_string();
        #[rustfmt::skip]
        let cases = [
            (Jpeg, Detected::Markup("an HTML document"), "jpg but the bytes are an HTML document"),
            (Png, Detected::Executable("an ELF executable"), "png but the bytes are an ELF executable"),
            (Png, Detected::File(Pdf), "png but the bytes are a PDF document"),
            (Gif, Detected::Empty, "gif but the file is empty"),
            (Pdf, Detected::Unrecognised, "pdf but the bytes are not a recognised file type"),
        ];
        for (declared, found, want) in cases {
            assert_eq!(msg(declared, found), format!("declared {want}"));
        }
    }

    /// Bytes fed in pieces of every size identify as the whole does.
    #[test]
    fn pieces_identify_as_the_whole() {
        let docx_late = [vec![b'x'; 70_000], zip_entry("word/document.xml")].concat();
        let bom_html = b"\xEF\xBB\xBF \n\t<!DOCTYPE html><p>".to_vec();
        #[rustfmt::skip]
        let cases: Vec<Vec<u8>> = vec![
            [zip_entry("[Content_Types].xml"), zip_entry("word/x.xml")].concat(),
            [zip_entry("a.txt"), b"PK\x03\x04".to_vec()].concat(),
            [b"PK\x03\x04".to_vec(), docx_late.clone()].concat(),
            bom_html,
            b"\xEF\xBB<html>".to_vec(),
            b"   \n  <?xml version=\"1.0\"?><svg/>".to_vec(),
            "w\u{f6}rld \u{1F600} text\n".repeat(300).into_bytes(),
            b"caf\xC3".to_vec(),
            tar(),
            padded(700, b"%PDF-1.7"),
            b"PK".to_vec(),
            b"\x89PNG\r\n\x1A\n".to_vec(),
        ];
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = |bound: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % bound as u64) as usize
        };
        for bytes in &cases {
            let whole = sniff(bytes);
            for round in 0..40 {
                let mut sniffer = Sniffer::default();
                let mut at = 0;
                while at < bytes.len() {
                    let piece = if round < 3 { round + 1 } else { 1 + next(4096) };
                    let end = (at + piece).min(bytes.len());
                    sniffer.update(&bytes[at..end]);
                    at = end;
                }
                assert_eq!(
                    sniffer.finish(),
                    whole,
                    "{round}: {:?}",
                    &bytes[..bytes.len().min(40)]
                );
            }
        }
        assert_eq!(sniff(&docx_late), Detected::Unrecognised);
        assert_eq!(
            sniff(&[b"PK\x03\x04".to_vec(), docx_late].concat()),
            Detected::File(Docx)
        );
    }
}
