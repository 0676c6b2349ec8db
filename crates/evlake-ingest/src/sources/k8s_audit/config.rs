//! Settings of a `k8s-audit` source.

use serde::Deserialize;

/// Settings of a `k8s-audit` source.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct K8sAuditConfig {
    /// The cluster the log is of (default: `default`).
    pub cluster: Option<String>,
    /// Globs over namespaces that are production: admissions there are what q5 samples
    /// (default: `prod`, `production`, `prod-*`, `production-*`, `*-prod`, `*-production`).
    #[serde(default = "default_production")]
    pub production_namespaces: Vec<String>,
    /// Globs over (cluster) role names whose binding is privileged (default: `cluster-admin`,
    /// `admin`).
    pub privileged: Option<Vec<String>>,
}

fn default_production() -> Vec<String> {
    [
        "prod",
        "production",
        "prod-*",
        "production-*",
        "*-prod",
        "*-production",
    ]
    .map(String::from)
    .to_vec()
}
