//! API keys: `pat_` followed by 64 hex digits (256 random bits). Only their SHA-256 is
//! stored, which is enough for a secret of that strength; no slow hash is needed.

use std::fmt;
use std::str::FromStr;

use super::sha256_hex;
use crate::random::random_hex;

const PREFIX: &str = "pat_";
const SECRET_HEX_LEN: usize = 64;
/// Characters of the secret shown in listings.
const SHOWN_LEN: usize = 8;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Upload files and read what the key uploaded.
    Upload,
    /// Read objects and refresh URLs.
    Read,
    /// Everything, including other owners' objects.
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Upload => "upload",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "upload" => Ok(Scope::Upload),
            "read" => Ok(Scope::Read),
            "admin" => Ok(Scope::Admin),
            other => Err(format!(
                "unknown scope `{other}` (expected upload, read or admin)"
            )),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses the catalog's comma-separated scope list, skipping names this version does not know.
pub fn parse_scopes(csv: &str) -> Vec<Scope> {
    csv.split(',').filter_map(|s| s.parse().ok()).collect()
}

/// A key in full, as handed to its owner once.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an API key is `pat_` followed by 64 hex digits")]
pub struct MalformedKey;

impl ApiKey {
    pub fn generate() -> Self {
        Self(format!("{PREFIX}{}", random_hex(SECRET_HEX_LEN / 2)))
    }

    pub fn parse(text: &str) -> Result<Self, MalformedKey> {
        let secret = text.strip_prefix(PREFIX).ok_or(MalformedKey)?;
        if secret.len() == SECRET_HEX_LEN && secret.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(format!("{PREFIX}{}", secret.to_ascii_lowercase())))
        } else {
            Err(MalformedKey)
        }
    }

    /// What the catalog stores and looks the key up by.
    pub fn hash(&self) -> String {
        sha256_hex(&self.0)
    }

    /// A few characters that identify the key in listings without revealing it.
    pub fn shown_prefix(&self) -> String {
        self.0[..PREFIX.len() + SHOWN_LEN].to_owned()
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({}…)", self.shown_prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_differ() {
        let a = ApiKey::generate();
        let b = ApiKey::generate();
        assert_ne!(a, b);
        assert_eq!(ApiKey::parse(a.expose()), Ok(a.clone()));
        assert_eq!(a.hash().len(), 64);
        assert!(!format!("{a:?}").contains(&a.expose()[12..]));
    }

    #[test]
    fn malformed_keys_are_refused() {
        let good_hex = "a".repeat(64);
        for text in [
            "".to_owned(),
            "pat_".to_owned(),
            format!("pat_{}", &good_hex[1..]),
            format!("pat_{good_hex}0"),
            format!("pak_{good_hex}"),
            format!("pat_{}g", &good_hex[1..]),
        ] {
            assert_eq!(ApiKey::parse(&text), Err(MalformedKey), "{text}");
        }
    }

    #[test]
    fn scopes_round_trip() {
        assert_eq!(
            parse_scopes("upload,admin,bogus"),
            vec![Scope::Upload, Scope::Admin]
        );
        assert!("write".parse::<Scope>().is_err());
    }
}
