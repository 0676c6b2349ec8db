//! Settings of a `k8s-audit` source.

use serde::Deserialize;

/// Settings of a `k8s-audit` source.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct K8sAuditConfig {
    /// The cluster the log is of (default: `default`).
    pub cluster: Option<String>,
    /// Globs over (cluster) role names whose binding is privileged (default: `cluster-admin`,
    /// `admin`).
    pub privileged: Option<Vec<String>>,
}
