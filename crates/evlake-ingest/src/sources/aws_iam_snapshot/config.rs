//! Settings of an `aws-iam-snapshot` source.

use serde::Deserialize;

/// Settings of an `aws-iam-snapshot` source.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsIamSnapshotConfig {
    /// Globs over policy names (an ARN, or its last part) whose attachment is privileged
    /// (default: `AdministratorAccess`, `IAMFullAccess`, `PowerUserAccess`; a policy whose
    /// document allows everything, or a privilege-escalation path, is privileged whatever its
    /// name).
    pub privileged: Option<Vec<String>>,
}
