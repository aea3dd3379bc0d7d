//! Decodes the Base64 method's `data` field as real clients send it: standard or URL-safe
//! alphabet, with or without padding, wrapped in lines, or behind a `data:<mime>;base64,`
//! prefix. The decoded size is known, and checked, before anything is decoded.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

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
}
