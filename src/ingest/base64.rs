//! Decodes the Base64 method's `data` field as real clients send it: standard or URL-safe
//! alphabet, with or without padding, wrapped in lines, or behind a `data:<mime>;base64,`
//! prefix. The decoded size is known, and checked, before anything is decoded.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::media::{self, Category, Detected};
use crate::pipeline::JobCost;

/// Base64 characters decoded to estimate an upload sent that way: its first 192 KiB.
const COST_HEAD: usize = 256 * 1024;

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Base64Error {
    #[error("data is empty")]
    Empty,
    #[error("data is not valid base64: {0}")]
    Invalid(String),
    #[error("decoded size {size} bytes is over the limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
}

/// Decodes `data`, refusing it unread when it would decode to more than `limit` bytes.
pub fn decode(data: &str, limit: u64) -> Result<Vec<u8>, Base64Error> {
    let payload = strip_data_url(data);
    let clean: Vec<u8> = payload
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let significant = clean.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
    if significant == 0 {
        return Err(Base64Error::Empty);
    }
    let size = significant as u64 * 3 / 4;
    if size > limit {
        return Err(Base64Error::TooLarge { size, limit });
    }
    let engine = if clean.iter().any(|&b| b == b'-' || b == b'_') {
        &URL_SAFE
    } else {
        &STANDARD
    };
    engine
        .decode(&clean[..significant])
        .map_err(|e| Base64Error::Invalid(e.to_string()))
}

/// `data:image/png;base64,AAAA` -> `AAAA`; anything else unchanged.
fn strip_data_url(data: &str) -> &str {
    let head = data.trim_start();
    if head
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("data:"))
        && let Some(comma) = head.find(',')
    {
        return &head[comma + 1..];
    }
    data
}

/// What processing a file sent as Base64 text will cost, from the text's first
/// characters (the header of an image says its size), before the job is queued.
pub fn estimate_cost(data: &str) -> JobCost {
    let mut end = data.len().min(COST_HEAD);
    while !data.is_char_boundary(end) {
        end -= 1;
    }
    // A cut decodes when its significant length is a whole number of 4-character groups;
    // one of the next few cuts is (whitespace aside).
    (0..8)
        .filter_map(|cut| end.checked_sub(cut).and_then(|e| data.get(..e)))
        .find_map(|text| decode(text, u64::MAX).ok())
        .map_or(JobCost::UNKNOWN, |head| match media::sniff(&head) {
            Detected::File(found) if found.category() == Category::Image => {
                JobCost::estimate(&head)
            }
            _ => JobCost::of_bytes(data.len() as u64 / 4 * 3),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_form_clients_send() {
        let cases = [
            "aGVsbG8gd29ybGQ=",
            "aGVsbG8gd29ybGQ",
            "aGVsbG8g\r\nd29ybGQ=\n",
            "data:text/plain;base64,aGVsbG8gd29ybGQ=",
            "DATA:text/plain;base64,aGVsbG8gd29ybGQ",
        ];
        for data in cases {
            assert_eq!(
                decode(data, 100).as_deref(),
                Ok(&b"hello world"[..]),
                "{data}"
            );
        }
        assert_eq!(decode("-_-_", 100), Ok(vec![0xfb, 0xff, 0xbf]));
    }

    #[test]
    fn limit_is_checked_exactly() {
        let data = "aGVsbG8gd29ybGQ="; // 11 bytes
        assert!(decode(data, 11).is_ok());
        assert_eq!(
            decode(data, 10),
            Err(Base64Error::TooLarge {
                size: 11,
                limit: 10
            })
        );
    }

    #[test]
    fn refuses_empty_and_garbage() {
        assert_eq!(decode("", 10), Err(Base64Error::Empty));
        assert_eq!(decode("  \n==", 10), Err(Base64Error::Empty));
        assert_eq!(
            decode("data:image/png;base64,", 10),
            Err(Base64Error::Empty)
        );
        assert!(matches!(
            decode("not base64!", 100),
            Err(Base64Error::Invalid(_))
        ));
    }

    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name);
        std::fs::read(path).expect("fixture")
    }

    #[test]
    fn the_cost_is_estimated_from_the_head() {
        let engine = base64::engine::general_purpose::STANDARD;
        let photo = engine.encode(fixture("images/photo-12mp.jpg"));
        assert!(photo.len() > COST_HEAD);
        assert_eq!(
            estimate_cost(&photo),
            JobCost::estimate(&fixture("images/photo-12mp.jpg")[..4096])
        );
        let icon = engine.encode(fixture("images/orient-1.jpg"));
        let wrapped: String = icon
            .as_bytes()
            .chunks(76)
            .map(|line| format!("{}\n", String::from_utf8_lossy(line)))
            .collect();
        assert!(estimate_cost(&format!("data:image/jpeg;base64,{wrapped}")).is_small());
        assert_eq!(estimate_cost("@@@@@@@@@@@@"), JobCost::UNKNOWN);
        assert!(estimate_cost("bm90IGFuIGltYWdl").is_small(), "not an image");
    }
}
