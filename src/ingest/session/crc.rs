//! CRC32s as the upload host writes them: 8 hex digits, lower case.

use std::fmt;
use std::str::FromStr;

/// A CRC32 of a body, a part or a whole file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crc32(pub u32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a CRC32 (8 hex digits)")]
pub struct BadCrc(pub String);

impl FromStr for Crc32 {
    type Err = BadCrc;

    fn from_str(text: &str) -> Result<Self, BadCrc> {
        let digits = !text.is_empty() && text.len() <= 8;
        match u32::from_str_radix(text, 16) {
            Ok(crc) if digits && text.bytes().all(|b| b.is_ascii_hexdigit()) => Ok(Crc32(crc)),
            _ => Err(BadCrc(text.chars().take(40).collect())),
        }
    }
}

impl fmt::Display for Crc32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_hex_digits_or_fewer() {
        assert_eq!("0000000a".parse(), Ok(Crc32(10)));
        assert_eq!("A".parse(), Ok(Crc32(10)));
        assert_eq!(Crc32(10).to_string(), "0000000a");
        for bad in ["", "zz", "123456789", "+1", "-1"] {
            assert!(bad.parse::<Crc32>().is_err(), "{bad}");
        }
    }
}
