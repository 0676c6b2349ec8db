//! Settings of a `kyverno` source.

use serde::Deserialize;

/// Settings of a `kyverno` source.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KyvernoConfig {
    /// The cluster the reports and policies are of (default: `default`).
    pub cluster: Option<String>,
}
