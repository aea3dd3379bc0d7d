//! Signed object URLs: `x-expires=<unix>` and `x-signature=<hex HMAC-SHA256 of
//! "<uri>\n<expires>">`. The first secret signs; every configured secret verifies, so a
//! secret can be rotated without breaking URLs already handed out.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("this URL must be signed (x-expires, x-signature)")]
    Missing,
    #[error("the URL's signature is not valid")]
    Invalid,
    #[error("the signed URL expired")]
    Expired,
}

#[derive(Clone)]
pub struct UrlSigner {
    secrets: Vec<Vec<u8>>,
    ttl_secs: i64,
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UrlSigner")
            .field("secrets", &self.secrets.len())
            .field("ttl_secs", &self.ttl_secs)
            .finish()
    }
}

impl UrlSigner {
    /// `secrets` must not be empty; the first one signs.
    pub fn new(secrets: Vec<Vec<u8>>, ttl_secs: u64) -> Self {
        assert!(!secrets.is_empty(), "a URL signer needs a secret");
        Self {
            secrets,
            ttl_secs: i64::try_from(ttl_secs).unwrap_or(i64::MAX),
        }
    }

    /// The expiry and signature for `uri`, valid from `now` for the configured lifetime.
    pub fn sign(&self, uri: &str, now: i64) -> (i64, String) {
        let expires = now.saturating_add(self.ttl_secs);
        let tag = mac(&self.secrets[0], uri, expires).finalize().into_bytes();
        (expires, hex::encode(tag))
    }

    pub fn verify(
        &self,
        uri: &str,
        expires: Option<&str>,
        signature: Option<&str>,
        now: i64,
    ) -> Result<(), SignatureError> {
        let (Some(expires), Some(signature)) = (expires, signature) else {
            return Err(SignatureError::Missing);
        };
        let expires: i64 = expires.parse().map_err(|_| SignatureError::Invalid)?;
        let tag = hex::decode(signature).map_err(|_| SignatureError::Invalid)?;
        let genuine = self
            .secrets
            .iter()
            .any(|secret| mac(secret, uri, expires).verify_slice(&tag).is_ok());
        if !genuine {
            return Err(SignatureError::Invalid);
        }
        if expires <= now {
            return Err(SignatureError::Expired);
        }
        Ok(())
    }
}

fn mac(secret: &[u8], uri: &str, expires: i64) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(uri.as_bytes());
    mac.update(b"\n");
    mac.update(expires.to_string().as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(secrets: &[&str]) -> UrlSigner {
        UrlSigner::new(
            secrets.iter().map(|s| s.as_bytes().to_vec()).collect(),
            3600,
        )
    }

    #[test]
    fn signed_urls_verify_until_they_expire() {
        let s = signer(&["one"]);
        let (expires, sig) = s.sign("BIZ_BOT_ICON/a.png", 1000);
        assert_eq!(expires, 4600);
        let e = expires.to_string();
        assert_eq!(
            s.verify("BIZ_BOT_ICON/a.png", Some(&e), Some(&sig), 4599),
            Ok(())
        );
        assert_eq!(
            s.verify("BIZ_BOT_ICON/a.png", Some(&e), Some(&sig), 4600),
            Err(SignatureError::Expired)
        );
    }

    #[test]
    fn tampering_is_detected() {
        let s = signer(&["one"]);
        let (expires, sig) = s.sign("a.png", 0);
        let e = expires.to_string();
        let later = (expires + 1).to_string();
        assert_eq!(
            s.verify("b.png", Some(&e), Some(&sig), 0),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            s.verify("a.png", Some(&later), Some(&sig), 0),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            s.verify("a.png", Some(&e), Some("zz"), 0),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            s.verify("a.png", None, Some(&sig), 0),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn rotation_keeps_old_urls_valid() {
        let old = signer(&["old"]);
        let rotated = signer(&["new", "old"]);
        let (expires, sig) = old.sign("a.png", 0);
        let e = expires.to_string();
        assert_eq!(rotated.verify("a.png", Some(&e), Some(&sig), 0), Ok(()));
        assert_eq!(
            signer(&["new"]).verify("a.png", Some(&e), Some(&sig), 0),
            Err(SignatureError::Invalid)
        );
    }
}
