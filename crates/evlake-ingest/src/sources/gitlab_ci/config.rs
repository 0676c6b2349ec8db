//! Settings of a `gitlab-ci` source.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Settings of a `gitlab-ci` source.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitlabCiConfig {
    /// Which jobs are gates, by gate (`sast`, `sca`, `iac`, `container`, `deploy`): exact
    /// names or globs, matched against the job name.
    #[serde(default)]
    pub gates: BTreeMap<String, Vec<String>>,
    /// Environments that are production: exact names or globs.
    #[serde(default = "default_production")]
    pub production_environments: Vec<String>,
    /// The project path (`group/project`) when a body does not carry a `web_url` to read it from.
    pub project: Option<String>,
}

fn default_production() -> Vec<String> {
    vec!["production".into(), "prod".into()]
}
