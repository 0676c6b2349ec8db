//! What every scanner source decides about a finding the same way: its severity, whether it
//! blocks a release, and whether its tool is static analysis (SAST).

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Severities from the lowest to the highest.
const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];

/// A finding's severity: from the `security-severity` score GitHub code scanning uses (on a
/// SARIF result or its rule) when there is one — ≥ 9.0 critical, ≥ 7.0 high, ≥ 4.0 medium,
/// else low — otherwise from the SARIF `level` (`error` high, `warning` medium, `note` low).
pub fn severity(security_severity: Option<f64>, level: &str) -> &'static str {
    match security_severity {
        Some(s) if s >= 9.0 => "critical",
        Some(s) if s >= 7.0 => "high",
        Some(s) if s >= 4.0 => "medium",
        Some(_) => "low",
        None => match level {
            "error" => "high",
            "warning" => "medium",
            "note" => "low",
            _ => "none",
        },
    }
}

/// The tools that are SAST by default: `tool.driver.name` globs, case-insensitive.
pub(crate) fn default_sast_tools() -> Vec<String> {
    [
        "CodeQL",
        "Semgrep*",
        "Bandit",
        "gosec",
        "Brakeman",
        "Snyk*Code",
        "SonarQube*",
        "Checkmarx*",
        "Fortify*",
        "Coverity*",
        "ESLint*",
        "SpotBugs",
        "PMD",
        "Horusec",
        "njsscan",
        "Bearer",
    ]
    .map(String::from)
    .to_vec()
}

/// A source's rules for its findings: which tools are SAST and from which severity a finding
/// blocks a release.
#[derive(Debug, Clone)]
pub(crate) struct FindingPolicy {
    sast_tools: GlobSet,
    /// Index in [`SEVERITIES`] of the lowest blocking severity.
    blocking_from: usize,
}

impl FindingPolicy {
    /// The policy of the `sast_tools` and `blocking_severity` settings (default `critical`);
    /// a bad glob or an unknown severity is an error naming the setting.
    pub(crate) fn new(
        sast_tools: &[String],
        blocking_severity: Option<&str>,
    ) -> crate::Result<Self> {
        let threshold = blocking_severity.unwrap_or("critical");
        let blocking_from = SEVERITIES
            .iter()
            .position(|s| *s == threshold)
            .ok_or_else(|| {
                crate::Error::setting(format!(
                    "blocking_severity: expected one of {SEVERITIES:?}, found '{threshold}'"
                ))
            })?;
        let mut tools = GlobSetBuilder::new();
        for tool in sast_tools {
            let glob = GlobBuilder::new(tool)
                .case_insensitive(true)
                .build()
                .map_err(|e| crate::Error::setting(format!("sast_tools: '{tool}': {e}")))?;
            tools.add(glob);
        }
        let sast_tools = tools
            .build()
            .map_err(|e| crate::Error::setting(format!("sast_tools: {e}")))?;
        Ok(Self {
            sast_tools,
            blocking_from,
        })
    }

    /// Whether `tool` is static analysis.
    pub(crate) fn is_sast(&self, tool: Option<&str>) -> bool {
        tool.is_some_and(|t| self.sast_tools.is_match(t))
    }

    /// Whether a finding of `severity` blocks a release.
    pub(crate) fn blocks(&self, severity: &str) -> bool {
        SEVERITIES
            .iter()
            .position(|s| *s == severity)
            .is_some_and(|rank| rank >= self.blocking_from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_follows_the_score_then_the_level() {
        assert_eq!(severity(Some(9.8), "note"), "critical");
        assert_eq!(severity(Some(7.0), "note"), "high");
        assert_eq!(severity(Some(4.0), "error"), "medium");
        assert_eq!(severity(Some(0.1), "error"), "low");
        assert_eq!(severity(None, "error"), "high");
        assert_eq!(severity(None, "warning"), "medium");
        assert_eq!(severity(None, "note"), "low");
        assert_eq!(severity(None, "none"), "none");
    }

    #[test]
    fn sast_tools_are_matched_by_name_without_case_and_severities_block_from_the_threshold() {
        let policy = FindingPolicy::new(&default_sast_tools(), Some("high")).unwrap();
        assert!(policy.is_sast(Some("CodeQL")));
        assert!(policy.is_sast(Some("semgrep OSS")));
        assert!(!policy.is_sast(Some("Trivy")));
        assert!(!policy.is_sast(None));
        assert!(policy.blocks("critical") && policy.blocks("high"));
        assert!(!policy.blocks("medium") && !policy.blocks("none"));
        let err = FindingPolicy::new(&[], Some("severe"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("blocking_severity") && err.contains("severe"),
            "{err}"
        );
    }
}
