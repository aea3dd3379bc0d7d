//! Which database the catalog is (`[catalog]`), and how its connections are pooled.

use serde::{Deserialize, Serialize};

use crate::clock::Duration;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogSettings {
    /// Database URL: `sqlite://<path>` (one host) or
    /// `postgres://user:password@host:port/database` (a cluster). Default
    /// `sqlite://<data_dir>/imgate.db`.
    pub url: Option<String>,
    /// Connections in the pool. Default 8.
    pub max_connections: u32,
    /// How long a request waits for a connection before the database counts as down
    /// (503). Default `5s`.
    pub acquire_timeout: Duration,
}

impl Default for CatalogSettings {
    fn default() -> Self {
        Self {
            url: None,
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}
