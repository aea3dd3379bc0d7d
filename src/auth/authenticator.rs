//! Turns a credential into a [`Principal`], or says precisely why it cannot.

use crate::catalog::{Catalog, CatalogError, unix_now};

use super::v4::{SignatureHeader, SignedRequest};
use super::{ApiKey, Principal, Sealer, SessionSigner, SessionToken, parse_scopes};

/// How far a signed request's `X-Date` may be from the server's clock, in seconds.
const MAX_CLOCK_SKEW: i64 = 15 * 60;

/// A credential as found on a request, not yet checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// The `session_key` or `session_token` cookie.
    SessionCookie(String),
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("authentication required")]
    Missing,
    #[error("{0}")]
    Invalid(&'static str),
    #[error("credential expired")]
    Expired,
    #[error("permission denied: {0}")]
    Forbidden(String),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

#[derive(Debug, Clone)]
pub struct Authenticator {
    catalog: Catalog,
    sessions: SessionSigner,
    sealer: Sealer,
}

impl Authenticator {
    pub fn new(catalog: Catalog, sessions: SessionSigner, sealer: Sealer) -> Self {
        Self {
            catalog,
            sessions,
            sealer,
        }
    }

    pub fn sessions(&self) -> &SessionSigner {
        &self.sessions
    }

    pub fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    pub async fn authenticate(&self, credential: &Credential) -> Result<Principal, AuthError> {
        match credential {
            Credential::Bearer(token) if Sealer::is_session_token(token) => self.temporary(token),
            Credential::Bearer(token) => self.api_key(token).await,
            Credential::SessionCookie(token) => self.session(token).await.map(|(p, _)| p),
        }
    }

    fn temporary(&self, token: &str) -> Result<Principal, AuthError> {
        let claims = self.sealer.open_credentials(token, unix_now())?;
        Ok(Principal::Temporary {
            owner: claims.owner,
            biz_type: claims.biz_type,
        })
    }

    /// Checks a Volcengine V4 signature made with a temporary credential, whose session
    /// token comes in `X-Security-Token`.
    pub fn signature(
        &self,
        header: &SignatureHeader,
        request: &SignedRequest<'_>,
        security_token: Option<&str>,
    ) -> Result<Principal, AuthError> {
        let token = security_token.ok_or(AuthError::Invalid(
            "invalid signature: X-Security-Token is missing",
        ))?;
        let now = unix_now();
        let claims = self.sealer.open_credentials(token, now)?;
        if claims.access_key_id != header.access_key_id {
            return Err(AuthError::Invalid(
                "invalid signature: the access key is not the security token's",
            ));
        }
        let signed_at = request
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("x-date"))
            .and_then(|(_, value)| super::v4::x_date_unix(value))
            .ok_or(AuthError::Invalid("invalid signature: X-Date is missing"))?;
        if (now - signed_at).abs() > MAX_CLOCK_SKEW {
            return Err(AuthError::Invalid(
                "invalid signature: X-Date is more than 15 minutes from the server's clock",
            ));
        }
        let declared_hash = request
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("x-content-sha256"))
            .map(|(_, value)| value.trim().to_ascii_lowercase());
        if declared_hash.is_some_and(|hash| hash != super::sha256_hex(request.body)) {
            return Err(AuthError::Invalid(
                "invalid signature: X-Content-Sha256 is not the body's hash",
            ));
        }
        let secret = self.sealer.secret_for(&claims.access_key_id);
        super::v4::verify(header, request, &secret)
            .map_err(|_| AuthError::Invalid("invalid signature: it does not match the request"))?;
        Ok(Principal::Temporary {
            owner: claims.owner,
            biz_type: claims.biz_type,
        })
    }

    async fn api_key(&self, text: &str) -> Result<Principal, AuthError> {
        let key =
            ApiKey::parse(text).map_err(|_| AuthError::Invalid("invalid api key: malformed"))?;
        let record = self
            .catalog
            .find_api_key(&key.hash())
            .await?
            .ok_or(AuthError::Invalid("invalid api key: unknown"))?;
        if record.revoked_at.is_some() {
            return Err(AuthError::Invalid("invalid api key: revoked"));
        }
        if record.expires_at.is_some_and(|at| at <= unix_now()) {
            return Err(AuthError::Expired);
        }
        let biz_types = record.biz_types.as_deref().map(|csv| {
            csv.split(',')
                .filter_map(|code| code.trim().parse().ok())
                .collect()
        });
        Ok(Principal::ApiKey {
            id: record.id,
            scopes: parse_scopes(&record.scopes),
            biz_types,
            user: record.user_id,
        })
    }

    /// The session's user and its token (which logout revokes).
    pub async fn session(&self, text: &str) -> Result<(Principal, SessionToken), AuthError> {
        let token = self
            .sessions
            .verify(text)
            .ok_or(AuthError::Invalid("invalid session: malformed or forged"))?;
        let record = self
            .catalog
            .find_session(&token.hash())
            .await?
            .ok_or(AuthError::Invalid("invalid session: unknown"))?;
        if record.revoked_at.is_some() {
            return Err(AuthError::Invalid("invalid session: ended by logout"));
        }
        if record.expires_at <= unix_now() {
            return Err(AuthError::Expired);
        }
        Ok((Principal::User { id: record.user_id }, token))
    }
}
