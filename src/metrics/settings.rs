//! Where `/metrics` is served: `metrics.enabled` and `metrics.listen`.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// Serve `/metrics`. Default true.
    pub enabled: bool,
    /// Serve `/metrics` on this address only, apart from the API (so it need not be
    /// public). Default: on the API's listener.
    pub listen: Option<SocketAddr>,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: None,
        }
    }
}
