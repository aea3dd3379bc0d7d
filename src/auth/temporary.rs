//! Temporary upload credentials (method 2) and per-object upload tokens (StoreInfo `Auth`).
//! Both are sealed tokens: imgate keeps no table of them, so any instance sharing the
//! secret can check them. A temporary credential's secret key is derived from its access
//! key id, so a Volcengine V4 signature made with it can be checked without storing it.

use serde::{Deserialize, Serialize};

use super::AuthError;
use super::sealed::{SealError, Sealer};
use crate::random::random_hex;

const CREDENTIAL_KIND: &str = "STS2";
const UPLOAD_TOKEN_KIND: &str = "UPT1";

/// What a temporary credential allows: uploads by `owner` to one biz type, until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemporaryClaims {
    #[serde(rename = "ak")]
    pub access_key_id: String,
    #[serde(rename = "own")]
    pub owner: String,
    #[serde(rename = "biz")]
    pub biz_type: u8,
    #[serde(rename = "exp")]
    pub expires_at: i64,
}

/// A freshly issued credential, as `auth_token` hands it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporaryCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct UploadClaims {
    uri: String,
    exp: i64,
}

fn sealed_error(error: SealError) -> AuthError {
    match error {
        SealError::Malformed => AuthError::Invalid("invalid upload credential: malformed"),
        SealError::Forged => AuthError::Invalid("invalid upload credential: bad signature"),
    }
}

impl Sealer {
    pub fn issue_credentials(
        &self,
        owner: &str,
        biz_type: u8,
        expires_at: i64,
    ) -> TemporaryCredentials {
        let access_key_id = format!("AKTP{}", random_hex(16).to_ascii_uppercase());
        let claims = TemporaryClaims {
            access_key_id: access_key_id.clone(),
            owner: owner.to_owned(),
            biz_type,
            expires_at,
        };
        TemporaryCredentials {
            secret_access_key: self.secret_for(&access_key_id),
            session_token: self.seal(CREDENTIAL_KIND, &claims),
            access_key_id,
            expires_at,
        }
    }

    /// The secret key that belongs to a temporary access key id.
    pub fn secret_for(&self, access_key_id: &str) -> String {
        self.derive(&format!("temporary secret:{access_key_id}"))
    }

    /// Whether `token` looks like a temporary credential's session token.
    pub fn is_session_token(token: &str) -> bool {
        token.starts_with(CREDENTIAL_KIND) && token[CREDENTIAL_KIND.len()..].starts_with('.')
    }

    pub fn open_credentials(&self, token: &str, now: i64) -> Result<TemporaryClaims, AuthError> {
        let claims: TemporaryClaims = self.open(CREDENTIAL_KIND, token).map_err(sealed_error)?;
        if claims.expires_at <= now {
            return Err(AuthError::Expired);
        }
        Ok(claims)
    }

    /// The `Auth` of one StoreInfo: good for uploading to `uri` only, until `expires_at`.
    pub fn issue_upload_token(&self, uri: &str, expires_at: i64) -> String {
        let claims = UploadClaims {
            uri: uri.to_owned(),
            exp: expires_at,
        };
        self.seal(UPLOAD_TOKEN_KIND, &claims)
    }

    pub fn is_upload_token(token: &str) -> bool {
        token.starts_with(UPLOAD_TOKEN_KIND) && token[UPLOAD_TOKEN_KIND.len()..].starts_with('.')
    }

    pub fn check_upload_token(&self, token: &str, uri: &str, now: i64) -> Result<(), AuthError> {
        let claims: UploadClaims = self.open(UPLOAD_TOKEN_KIND, token).map_err(sealed_error)?;
        if claims.uri != uri {
            return Err(AuthError::Forbidden(format!(
                "this upload token is for another object, not {uri}"
            )));
        }
        if claims.exp <= now {
            return Err(AuthError::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_carry_their_claims_and_expire() {
        let sealer = Sealer::new(b"secret");
        let creds = sealer.issue_credentials("user:1", 1, 1000);
        assert!(creds.access_key_id.starts_with("AKTP"));
        assert!(Sealer::is_session_token(&creds.session_token));
        let claims = sealer
            .open_credentials(&creds.session_token, 999)
            .expect("valid");
        assert_eq!((claims.owner.as_str(), claims.biz_type), ("user:1", 1));
        assert_eq!(
            sealer.secret_for(&claims.access_key_id),
            creds.secret_access_key
        );
        assert!(matches!(
            sealer.open_credentials(&creds.session_token, 1000),
            Err(AuthError::Expired)
        ));
        assert!(
            Sealer::new(b"other")
                .open_credentials(&creds.session_token, 0)
                .is_err()
        );
    }

    #[test]
    fn upload_tokens_are_bound_to_their_uri() {
        let sealer = Sealer::new(b"secret");
        let token = sealer.issue_upload_token("svc/a.png", 100);
        assert!(sealer.check_upload_token(&token, "svc/a.png", 50).is_ok());
        assert!(matches!(
            sealer.check_upload_token(&token, "svc/b.png", 50),
            Err(AuthError::Forbidden(_))
        ));
        assert!(matches!(
            sealer.check_upload_token(&token, "svc/a.png", 100),
            Err(AuthError::Expired)
        ));
        assert!(
            sealer.open_credentials(&token, 0).is_err(),
            "not a credential"
        );
    }
}
