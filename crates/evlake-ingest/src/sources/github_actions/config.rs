//! Settings of a `github-actions` source.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Settings of a `github-actions` source.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GithubActionsConfig {
    /// Which jobs and check runs are gates, by gate (`sast`, `sca`, `iac`, `container`,
    /// `deploy`): exact names or globs (`CodeQL*`), matched against the job or check name.
    #[serde(default)]
    pub gates: BTreeMap<String, Vec<String>>,
    /// Environments that are production: exact names or globs.
    #[serde(default = "default_production")]
    pub production_environments: Vec<String>,
    /// The repository (`owner/name`) when a body does not name it (job and status bodies carry
    /// it only in their URLs).
    pub repo: Option<String>,
}

fn default_production() -> Vec<String> {
    vec!["production".into(), "prod".into()]
}

impl Default for GithubActionsConfig {
    fn default() -> Self {
        Self {
            gates: BTreeMap::new(),
            production_environments: default_production(),
            repo: None,
        }
    }
}
