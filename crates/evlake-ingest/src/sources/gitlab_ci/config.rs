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
    /// Branches (or tags) whose deploy jobs are production attempts when the job names no
    /// environment: exact names or globs. A deploy job of any other branch (a pull-request or
    /// feature-branch run) is not an attempt unless it made a production deployment.
    #[serde(default = "crate::sources::gates::default_production_branches")]
    pub production_branches: Vec<String>,
    /// The project path (`group/project`) when a body does not carry a `web_url` to read it from.
    pub project: Option<String>,
    /// Pull from the REST API (omit to read saved bodies from `paths` only).
    pub api: Option<GitlabApiConfig>,
}

/// Where and what to pull from the GitLab REST API (v4).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitlabApiConfig {
    /// The API's base URL.
    #[serde(default = "default_api_url")]
    pub url: String,
    /// The projects to pull, by path (`group/project`; its path becomes the `repo`).
    pub projects: Vec<String>,
    /// The environment variable that holds the token, sent as `PRIVATE-TOKEN`.
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// Where the first pull starts (RFC 3339 or a date); later pulls start at the cursor.
    pub since: String,
    /// How long a rate limit may be waited out before the run fails, in seconds.
    #[serde(default = "default_rate_limit_wait")]
    pub max_rate_limit_wait_secs: u64,
}

fn default_api_url() -> String {
    "https://gitlab.com/api/v4".into()
}

fn default_token_env() -> String {
    "GITLAB_TOKEN".into()
}

fn default_rate_limit_wait() -> u64 {
    900
}

fn default_production() -> Vec<String> {
    vec!["production".into(), "prod".into()]
}

impl Default for GitlabCiConfig {
    fn default() -> Self {
        Self {
            gates: BTreeMap::new(),
            production_environments: default_production(),
            production_branches: crate::sources::gates::default_production_branches(),
            project: None,
            api: None,
        }
    }
}
