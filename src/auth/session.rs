//! Web session tokens: 32 random bytes and an HMAC of them under the server secret, so a
//! forged cookie is refused before the catalog is asked. The catalog holds the token's
//! SHA-256 with its expiry and revocation.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::sha256_hex;
use crate::random::random_hex;

type HmacSha256 = Hmac<Sha256>;

/// Hex digits of the random part and of the tag.
const RANDOM_HEX_LEN: usize = 64;
const TAG_HEX_LEN: usize = 32;

/// A session token as carried in the `session_key` / `session_token` cookie.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(…)")
    }
}

impl SessionToken {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the catalog stores and looks the session up by.
    pub fn hash(&self) -> String {
        sha256_hex(&self.0)
    }
}

#[derive(Clone)]
pub struct SessionSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for SessionSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionSigner(…)")
    }
}

impl SessionSigner {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            key: [b"imgate session v1:".as_slice(), secret].concat(),
        }
    }

    pub fn issue(&self) -> SessionToken {
        let random = random_hex(RANDOM_HEX_LEN / 2);
        let tag = self.tag(&random);
        SessionToken(format!("{random}.{tag}"))
    }

    /// The token if its tag is right; `None` for anything forged or malformed.
    pub fn verify(&self, text: &str) -> Option<SessionToken> {
        let (random, tag) = text.split_once('.')?;
        if random.len() != RANDOM_HEX_LEN || tag.len() != TAG_HEX_LEN {
            return None;
        }
        let tag = hex::decode(tag).ok()?;
        self.mac(random).verify_truncated_left(&tag).ok()?;
        Some(SessionToken(text.to_owned()))
    }

    fn mac(&self, random: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!());
        mac.update(random.as_bytes());
        mac
    }

    fn tag(&self, random: &str) -> String {
        let full = self.mac(random).finalize().into_bytes();
        hex::encode(&full[..TAG_HEX_LEN / 2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_under_their_secret_only() {
        let signer = SessionSigner::new(b"0123456789abcdef0123456789abcdef");
        let other = SessionSigner::new(b"fedcba9876543210fedcba9876543210");
        let token = signer.issue();
        assert_eq!(signer.verify(token.as_str()), Some(token.clone()));
        assert_eq!(other.verify(token.as_str()), None);
    }

    #[test]
    fn tampered_tokens_are_refused() {
        let signer = SessionSigner::new(b"0123456789abcdef0123456789abcdef");
        let token = signer.issue().as_str().to_owned();
        let mut flipped = token.clone().into_bytes();
        flipped[0] = if flipped[0] == b'a' { b'b' } else { b'a' };
        let flipped = String::from_utf8(flipped).expect("ascii");
        for bad in [
            flipped.as_str(),
            "",
            ".",
            &token[..token.len() - 1],
            "zz.zz",
        ] {
            assert_eq!(signer.verify(bad), None, "{bad}");
        }
    }
}
