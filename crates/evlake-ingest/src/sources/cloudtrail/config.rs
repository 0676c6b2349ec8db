//! Settings of a `cloudtrail` source.

use serde::Deserialize;

/// Settings of a `cloudtrail` source.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudtrailConfig {
    /// Globs over policy and permission-set names (an ARN, or its last part) whose grant is
    /// privileged (default: `AdministratorAccess`, `IAMFullAccess`, `PowerUserAccess`; a
    /// policy document that allows everything, or a privilege-escalation path, is privileged
    /// whatever its name).
    pub privileged: Option<Vec<String>>,
}
