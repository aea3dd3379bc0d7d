//! The https listener's configuration: rustls (ring provider) with the PEM certificate chain
//! and key named in `server.tls`.

use std::sync::Arc;

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::StartupError;
use crate::config::TlsSettings;

pub fn server_config(settings: &TlsSettings) -> Result<ServerConfig, StartupError> {
    let fail = |what: &str, path: &std::path::Path, e: &dyn std::fmt::Display| {
        StartupError::Tls(format!("{what} {}: {e}", path.display()))
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&settings.cert)
        .map_err(|e| fail("cannot read certificate", &settings.cert, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| fail("bad certificate", &settings.cert, &e))?;
    if certs.is_empty() {
        return Err(fail("no certificate in", &settings.cert, &"(empty)"));
    }
    let key = PrivateKeyDer::from_pem_file(&settings.key)
        .map_err(|e| fail("cannot read key", &settings.key, &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StartupError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| StartupError::Tls(format!("certificate and key do not match: {e}")))
}
