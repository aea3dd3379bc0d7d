//! EXIF as the pipeline reads it: the Orientation field of IFD0, and where the EXIF block
//! sits in each carrier (JPEG APP1, PNG `eXIf`, WebP `EXIF`).
//!
//! Only IFD0 is read, and only as far as it is intact: sub-IFDs, next-IFD pointers and
//! value offsets are never followed, so a block that is malformed elsewhere (a stray
//! next-IFD pointer, overlapping values, offsets past the end, IFD loops) still gives its
//! orientation, as viewers show it. Every read is bounded by the block: no input makes the
//! reader loop or allocate.

/// The Orientation tag (0x0112) of IFD0.
const ORIENTATION: u16 = 0x0112;
const SHORT: u16 = 3;
const LONG: u16 = 4;

#[derive(Debug, Clone, Copy)]
enum ByteOrder {
    Little,
    Big,
}

impl ByteOrder {
    fn u16(self, bytes: &[u8], at: usize) -> Option<u16> {
        let b: [u8; 2] = bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(match self {
            Self::Little => u16::from_le_bytes(b),
            Self::Big => u16::from_be_bytes(b),
        })
    }

    fn u32(self, bytes: &[u8], at: usize) -> Option<u32> {
        let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(match self {
            Self::Little => u32::from_le_bytes(b),
            Self::Big => u32::from_be_bytes(b),
        })
    }
}

/// The EXIF orientation (1-8) in raw EXIF (TIFF) bytes, or 1 when absent or unreadable.
pub fn exif_orientation(raw_exif: &[u8]) -> u8 {
    ifd0_orientation(raw_exif).unwrap_or(1)
}

/// The orientation of the first block whose IFD0 can be read (1 when that IFD0 has no
/// valid Orientation), or 1 when no block has a readable IFD0.
pub fn first_readable<'a>(blocks: impl IntoIterator<Item = &'a [u8]>) -> u8 {
    blocks.into_iter().find_map(ifd0_orientation).unwrap_or(1)
}

/// `None` when IFD0 cannot be read (no TIFF header, or IFD0 outside the block); otherwise
/// the first Orientation entry's value when it is 1-8, else 1. An IFD0 cut short is read
/// up to its last whole entry.
fn ifd0_orientation(raw: &[u8]) -> Option<u8> {
    let tiff = raw.strip_prefix(b"Exif\0\0").unwrap_or(raw);
    let order = match tiff.get(..4)? {
        b"II*\0" => ByteOrder::Little,
        b"MM\0*" => ByteOrder::Big,
        _ => return None,
    };
    let ifd0 = usize::try_from(order.u32(tiff, 4)?).ok()?;
    let count = usize::from(order.u16(tiff, ifd0)?);
    let entries = tiff.get(ifd0 + 2..)?;
    let value = entries
        .chunks_exact(12)
        .take(count)
        .find(|entry| order.u16(entry, 0) == Some(ORIENTATION))
        .and_then(|entry| entry_value(order, entry));
    Some(value.filter(|v| (1..=8).contains(v)).unwrap_or(1))
}

/// The first value of a SHORT or LONG entry, which fits in the entry itself.
fn entry_value(order: ByteOrder, entry: &[u8]) -> Option<u8> {
    if order.u32(entry, 4)? == 0 {
        return None;
    }
    let value = match order.u16(entry, 2)? {
        SHORT => u32::from(order.u16(entry, 8)?),
        LONG => order.u32(entry, 8)?,
        _ => return None,
    };
    u8::try_from(value).ok()
}

/// The EXIF blocks of a PNG: every `eXIf` chunk, before or after the image data, in order.
/// A chunk cut short by the end of the file gives the bytes that are there.
pub fn png_blocks(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 8usize;
    while let Some(header) = bytes.get(at..at + 8) {
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let body = at + 8;
        let end = body.saturating_add(length).min(bytes.len());
        match &header[4..8] {
            b"eXIf" => out.push(&bytes[body..end]),
            b"IEND" => break,
            _ => {}
        }
        at = end.saturating_add(4);
    }
    out
}

/// The EXIF blocks of a WebP: every `EXIF` chunk at the top level, in order, cut short by
/// the end of the file where it is.
pub fn webp_blocks(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 12usize;
    while let Some(header) = bytes.get(at..at + 8) {
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let body = at + 8;
        let end = body.saturating_add(size).min(bytes.len());
        if &header[..4] == b"EXIF" {
            out.push(&bytes[body..end]);
        }
        at = end.saturating_add(size & 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little- or big-endian TIFF block whose IFD0 holds `entries` (tag, type, count,
    /// value) and points to `next`.
    fn tiff(big: bool, entries: &[(u16, u16, u32, u32)], next: u32) -> Vec<u8> {
        let u16b = |v: u16| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let u32b = |v: u32| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut b = if big {
            b"MM\0*".to_vec()
        } else {
            b"II*\0".to_vec()
        };
        b.extend_from_slice(&u32b(8));
        b.extend_from_slice(&u16b(entries.len() as u16));
        for &(tag, kind, count, value) in entries {
            b.extend_from_slice(&u16b(tag));
            b.extend_from_slice(&u16b(kind));
            b.extend_from_slice(&u32b(count));
            if kind == SHORT {
                b.extend_from_slice(&u16b(value as u16));
                b.extend_from_slice(&[0, 0]);
            } else {
                b.extend_from_slice(&u32b(value));
            }
        }
        b.extend_from_slice(&u32b(next));
        b
    }

    #[test]
    fn reads_orientation_in_both_byte_orders() {
        for big in [false, true] {
            let block = tiff(big, &[(0x010F, 2, 4, 0), (ORIENTATION, SHORT, 1, 6)], 0);
            assert_eq!(exif_orientation(&block), 6, "big endian: {big}");
            let long = tiff(big, &[(ORIENTATION, LONG, 1, 8)], 0);
            assert_eq!(exif_orientation(&long), 8);
        }
    }

    #[test]
    fn the_rest_of_the_block_does_not_matter() {
        // A GPS pointer past the end, a next-IFD pointer to itself, a value offset
        // overlapping IFD0: the strict reader refuses all of these.
        let entries = [
            (0x8825, LONG, 1, 0xFFFF_FF00),
            (0x010F, 2, 40, 10),
            (ORIENTATION, SHORT, 1, 3),
        ];
        assert_eq!(exif_orientation(&tiff(false, &entries, 8)), 3);
        let mut prefixed = b"Exif\0\0".to_vec();
        prefixed.extend_from_slice(&tiff(true, &entries, 0xFFFF_FFFF));
        assert_eq!(exif_orientation(&prefixed), 3);
    }

    #[test]
    fn a_cut_ifd_gives_its_whole_entries() {
        let block = tiff(false, &[(ORIENTATION, SHORT, 1, 5), (0x0110, 2, 4, 0)], 0);
        assert_eq!(exif_orientation(&block[..8 + 2 + 12]), 5);
        assert_eq!(exif_orientation(&block[..8 + 2 + 11]), 1);
        for cut in 0..10 {
            assert_eq!(ifd0_orientation(&block[..cut]), None, "cut at {cut}");
        }
    }

    #[test]
    fn bad_values_are_upright() {
        for (kind, count, value) in [(SHORT, 1, 0), (SHORT, 1, 9), (SHORT, 0, 6), (2, 1, 6)] {
            let block = tiff(false, &[(ORIENTATION, kind, count, value)], 0);
            assert_eq!(ifd0_orientation(&block), Some(1), "{kind} {count} {value}");
        }
    }

    #[test]
    fn falls_back_to_the_next_readable_block() {
        let good = tiff(true, &[(ORIENTATION, SHORT, 1, 7)], 0);
        let broken: &[u8] = b"II*\0\xFF\xFF\xFF\x7F";
        assert_eq!(first_readable([broken, b"junk", &good]), 7);
        let plain = tiff(false, &[], 0);
        assert_eq!(
            first_readable([&plain[..], &good]),
            1,
            "first readable wins"
        );
        assert_eq!(first_readable([broken]), 1);
    }

    #[test]
    fn carriers_are_walked_to_their_end_and_no_further() {
        let block = tiff(false, &[(ORIENTATION, SHORT, 1, 6)], 0);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        for (kind, body) in [(b"IDAT", &b"xx"[..]), (b"eXIf", &block), (b"IEND", b"")] {
            png.extend_from_slice(&(body.len() as u32).to_be_bytes());
            png.extend_from_slice(kind);
            png.extend_from_slice(body);
            png.extend_from_slice(&[0; 4]);
        }
        assert_eq!(png_blocks(&png), vec![&block[..]]);
        let mut webp = b"RIFF\0\0\0\0WEBPVP8L\x01\0\0\0x\0EXIF".to_vec();
        webp.extend_from_slice(&1000u32.to_le_bytes());
        webp.extend_from_slice(&block);
        assert_eq!(webp_blocks(&webp), vec![&block[..]], "cut short");
        let huge = [&b"RIFF\0\0\0\0WEBPEXIF\xFF\xFF\xFF\xFF"[..], &[0; 9]].concat();
        assert_eq!(webp_blocks(&huge).len(), 1);
        assert!(png_blocks(&png[..20]).is_empty());
    }
}
