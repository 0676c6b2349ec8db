//! Settings of a `sarif` source.

use serde::Deserialize;

/// Settings of a `sarif` source. SARIF files usually say which commit they scanned
/// (`versionControlProvenance`); these settings fill in what a file leaves out.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SarifConfig {
    /// The repository the scans belong to, when the files do not name it
    /// (`versionControlProvenance[].repositoryUri`), e.g. `acme/payments`.
    pub repo: Option<String>,
    /// The commit scanned, when the files do not say (`versionControlProvenance[].revisionId`).
    pub commit: Option<String>,
    /// When the scan ran (RFC 3339), when the files carry no `invocations[].endTimeUtc`;
    /// otherwise the file's modification time is used.
    pub scan_time: Option<String>,
    /// The lowest severity that blocks a release (`critical`, `high`, `medium` or `low`;
    /// default `critical`): findings at or above it are marked `blocking`.
    pub blocking_severity: Option<String>,
}
