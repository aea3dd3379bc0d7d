//! Sealed tokens: a JSON payload and an HMAC over it under the server secret, so the token
//! carries its own claims and cannot be forged or altered. `<kind>.<payload>.<tag>`, both
//! parts base64url; the kind is also mixed into the HMAC, so a token of one kind is never
//! accepted as another.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of HMAC kept in a token.
const TAG_BYTES: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("malformed token")]
    Malformed,
    #[error("token signature is not valid")]
    Forged,
}

#[derive(Clone)]
pub struct Sealer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(…)")
    }
}

impl Sealer {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            key: [b"imgate sealed v1:".as_slice(), secret].concat(),
        }
    }

    fn mac(&self, kind: &str, payload: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!());
        mac.update(kind.as_bytes());
        mac.update(b".");
        mac.update(payload.as_bytes());
        mac
    }

    pub fn seal(&self, kind: &str, claims: &impl Serialize) -> String {
        let json = serde_json::to_vec(claims).unwrap_or_default();
        let payload = URL_SAFE_NO_PAD.encode(json);
        let tag = self.mac(kind, &payload).finalize().into_bytes();
        format!(
            "{kind}.{payload}.{}",
            URL_SAFE_NO_PAD.encode(&tag[..TAG_BYTES])
        )
    }

    pub fn open<T: DeserializeOwned>(&self, kind: &str, token: &str) -> Result<T, SealError> {
        let rest = token
            .strip_prefix(kind)
            .and_then(|r| r.strip_prefix('.'))
            .ok_or(SealError::Malformed)?;
        let (payload, tag) = rest.split_once('.').ok_or(SealError::Malformed)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| SealError::Malformed)?;
        // A shorter tag would be a shorter secret to guess: only the full length counts.
        if tag.len() != TAG_BYTES {
            return Err(SealError::Forged);
        }
        self.mac(kind, payload)
            .verify_truncated_left(&tag)
            .map_err(|_| SealError::Forged)?;
        let json = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| SealError::Malformed)?;
        serde_json::from_slice(&json).map_err(|_| SealError::Malformed)
    }

    /// A value derived from the secret for `label` (e.g. a temporary credential's secret key).
    pub fn derive(&self, label: &str) -> String {
        hex::encode(self.mac("derive", label).finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_claims_round_trip_and_resist_tampering() {
        let sealer = Sealer::new(b"secret");
        let token = sealer.seal("tmp", &("alice", 42));
        assert_eq!(
            sealer.open::<(String, i64)>("tmp", &token),
            Ok(("alice".into(), 42))
        );
        assert_eq!(
            sealer.open::<(String, i64)>("upl", &token),
            Err(SealError::Malformed)
        );
        let forged = Sealer::new(b"other").seal("tmp", &("alice", 42));
        assert_eq!(
            sealer.open::<(String, i64)>("tmp", &forged),
            Err(SealError::Forged)
        );
        let (kind_payload, _) = token.rsplit_once('.').expect("tag");
        let other_payload = Sealer::new(b"secret").seal("tmp", &("mallory", 42));
        let spliced = format!(
            "{}.{}",
            other_payload.rsplit_once('.').expect("tag").0,
            token.rsplit_once('.').expect("tag").1
        );
        assert_eq!(
            sealer.open::<(String, i64)>("tmp", &spliced),
            Err(SealError::Forged)
        );
        assert!(kind_payload.starts_with("tmp."));
        for short in 0..TAG_BYTES {
            let (claims, tag) = token.rsplit_once('.').expect("tag");
            let tag = URL_SAFE_NO_PAD.decode(tag).expect("b64");
            let truncated = format!("{claims}.{}", URL_SAFE_NO_PAD.encode(&tag[..short]));
            assert_eq!(
                sealer.open::<(String, i64)>("tmp", &truncated),
                Err(SealError::Forged),
                "{short} bytes"
            );
        }
        assert_ne!(sealer.derive("a"), sealer.derive("b"));
    }
}
