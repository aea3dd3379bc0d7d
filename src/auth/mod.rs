//! Who is calling: API keys, web sessions, and the server secret that signs them.

mod access;
mod api_key;
mod authenticator;
mod password;
mod principal;
mod sealed;
mod secret;
mod session;
mod temporary;
pub mod v4;

use sha2::{Digest, Sha256};

pub use access::Library;
pub use api_key::{ApiKey, MalformedKey, Scope, parse_scopes};
pub use authenticator::{AuthError, Authenticator, Credential};
pub use password::{hash_password, verify_password};
pub use principal::Principal;
pub use sealed::{SealError, Sealer};
pub use secret::{load_or_create_secret, secret_fingerprint};
pub use session::{SessionSigner, SessionToken};
pub use temporary::{TemporaryClaims, TemporaryCredentials};

/// SHA-256, hex-encoded: how keys and tokens are looked up without being stored.
pub fn sha256_hex(data: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(data.as_ref()))
}
