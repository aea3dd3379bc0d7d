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
    if bytes.is_empty() {
        return Detected::Empty;
    }
    if let Some((_, found)) = MAGIC.iter().find(|(sig, _)| bytes.starts_with(sig)) {
        return *found;
    }
    if let Some(found) = container(bytes) {
        return Detected::File(found);
    }
    if is_text(bytes) {
        return markup(bytes).map_or(Detected::File(FileType::Txt), Detected::Markup);
    }
    // Checked after text so that a page quoting "%PDF-" is not a PDF.
    if find(&bytes[..bytes.len().min(HEAD)], b"%PDF-").is_some() {
        return Detected::File(FileType::Pdf);
    }
    Detected::Unrecognised
}

/// WebP (RIFF), ZIP or docx, and tar.
fn container(b: &[u8]) -> Option<FileType> {
    if b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        Some(FileType::Webp)
    } else if b.starts_with(b"PK\x03\x04") || b.starts_with(b"PK\x05\x06") {
        let docx = has_word_entry(b);
        Some(if docx { FileType::Docx } else { FileType::Zip })
    } else if b.get(257..262) == Some(b"ustar") {
        Some(FileType::Tar)
    } else {
        None
    }
}

/// True when any ZIP local file header names an entry under `word/`.
fn has_word_entry(b: &[u8]) -> bool {
    let mut at = 0;
    while let Some(pos) = find(&b[at..], b"PK\x03\x04") {
        let header = at + pos;
        let name_len = b
            .get(header + 26..header + 28)
            .map_or(0, |n| usize::from(u16::from_le_bytes([n[0], n[1]])));
        let name = b
            .get(header + 30..header + 30 + name_len)
            .unwrap_or_default();
        if name.starts_with(b"word/") {
            return true;
        }
        at = header + 4;
    }
    false
}

/// UTF-8 (after an optional BOM) with no control characters but tab, line
/// feed, carriage return and form feed.
fn is_text(bytes: &[u8]) -> bool {
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    std::str::from_utf8(body).is_ok_and(|s| {
        s.chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c'))
    })
}

/// What kind of active markup the text opens with, if any.
fn markup(bytes: &[u8]) -> Option<&'static str> {
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let text = &body[body.iter().position(|c| !c.is_ascii_whitespace())?..];
    let opens = |tag: &[u8]| text.len() >= tag.len() && text[..tag.len()].eq_ignore_ascii_case(tag);
    if HTML.iter().any(|tag| opens(tag)) {
        Some("an HTML document")
    } else if opens(b"<svg") {
        Some("an SVG image")
    } else if opens(b"<?xml") {
        let svg = find(
            &bytes[..bytes.len().min(HEAD)].to_ascii_lowercase(),
            b"<svg",
        )
        .is_some();
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
    match sniff(bytes) {
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
}
