//! Turns a credential into a [`Principal`], or says precisely why it cannot.

use crate::catalog::{Catalog, CatalogError, unix_now};

use super::{ApiKey, Principal, SessionSigner, SessionToken, parse_scopes};

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
}

impl Authenticator {
    pub fn new(catalog: Catalog, sessions: SessionSigner) -> Self {
        Self { catalog, sessions }
    }

    pub fn sessions(&self) -> &SessionSigner {
        &self.sessions
    }

    pub async fn authenticate(&self, credential: &Credential) -> Result<Principal, AuthError> {
        match credential {
            Credential::Bearer(token) => self.api_key(token).await,
            Credential::SessionCookie(token) => self.session(token).await.map(|(p, _)| p),
        }
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
