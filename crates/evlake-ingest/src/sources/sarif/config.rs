//! Settings of a `sarif` source.

use serde::Deserialize;

/// Settings of a `sarif` source. SARIF files usually say which commit they scanned
/// (`versionControlProvenance`); these settings fill in what a file leaves out.
#[derive(Debug, Clone, Deserialize)]
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
    /// Which tools are static analysis (SAST), by `tool.driver.name` glob, case-insensitive.
    /// Findings of other tools (Trivy's CVEs, say) are kept but do not count for the SAST
    /// gate. Default: CodeQL, Semgrep, Bandit, gosec, Brakeman, Snyk Code (`SnykCode`), SonarQube,
    /// Checkmarx, Fortify, Coverity, ESLint, SpotBugs, PMD, Horusec, njsscan, Bearer.
    #[serde(default = "crate::sources::findings::default_sast_tools")]
    pub sast_tools: Vec<String>,
    /// Where a file without `versionControlProvenance` says what it scanned: a pattern of
    /// the file's path (its last components) with `{repo_owner}`, `{repo_name}`, `{commit}`
    /// and `{tool}`, e.g. `{repo_owner}/{repo_name}/{commit}/{tool}.sarif`. The provenance
    /// in a file wins; `repo` and `commit` are the last resort.
    pub path_template: Option<String>,
}

impl Default for SarifConfig {
    fn default() -> Self {
        Self {
            repo: None,
            commit: None,
            scan_time: None,
            blocking_severity: None,
            sast_tools: crate::sources::findings::default_sast_tools(),
            path_template: None,
        }
    }
}
