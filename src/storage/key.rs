//! `ObjectKey`: a storage key that is known not to escape the storage root.

use std::fmt;

/// Longest key accepted, in bytes (S3's own limit).
const MAX_KEY_LEN: usize = 1024;

/// A relative, `/`-separated key such as `BIZ_BOT_ICON/3f9c....png`.
///
/// Every segment is non-empty, does not start with `.` (so `.`, `..` and the store's own
/// temporary files are unreachable), and uses only `A-Z a-z 0-9 - _ . ~ : = , @ +`, which
/// also rules out NUL, backslashes, absolute paths and percent-encoding tricks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid object key `{key}`: {why}")]
pub struct InvalidKey {
    pub key: String,
    pub why: &'static str,
}

impl ObjectKey {
    pub fn parse(key: &str) -> Result<Self, InvalidKey> {
        let fail = |why| {
            Err(InvalidKey {
                key: key.chars().take(80).collect(),
                why,
            })
        };
        if key.is_empty() {
            return fail("empty");
        }
        if key.len() > MAX_KEY_LEN {
            return fail("longer than 1024 bytes");
        }
        for segment in key.split('/') {
            if segment.is_empty() {
                return fail("empty path segment or leading slash");
            }
            if segment.starts_with('.') {
                return fail("a segment starts with `.`");
            }
            if !segment.bytes().all(is_key_byte) {
                return fail("characters outside A-Z a-z 0-9 - _ . ~ : = , @ +");
            }
        }
        Ok(Self(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.~:=,@+".contains(&b)
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ObjectKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::ObjectKey;

    #[test]
    fn accepts_upload_and_variant_keys() {
        for key in [
            "BIZ_BOT_ICON/0f3a9c.png",
            "svc/abc.jpg~tplv-svc-resize:256:256.webp",
            "a/b/c/d.txt",
        ] {
            assert_eq!(
                ObjectKey::parse(key).map(|k| k.to_string()).as_deref(),
                Ok(key)
            );
        }
    }

    #[test]
    fn refuses_everything_that_could_escape_the_root() {
        let long = "a".repeat(1025);
        for key in [
            "",
            "/etc/passwd",
            "../secret",
            "a/../../b",
            "a/./b",
            "a//b",
            "a/",
            ".tmp-123",
            "a\\..\\b",
            "a\0b",
            "a/%2e%2e/b",
            "a b",
            "ä",
            long.as_str(),
        ] {
            assert!(ObjectKey::parse(key).is_err(), "{key:?} must be refused");
        }
    }
}
