//! Settings of a `gcp-audit` source.

use serde::Deserialize;

/// Settings of a `gcp-audit` source.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GcpAuditConfig {
    /// Globs over roles whose grant is privileged (default: `roles/owner`, `roles/editor`,
    /// `roles/iam.*Admin`).
    pub privileged: Option<Vec<String>>,
}
