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
    /// Branches (or tags) whose deploy jobs are production attempts when the job names no
    /// environment: exact names or globs. A deploy job of any other branch (a pull-request or
    /// feature-branch run) is not an attempt unless it made a production deployment.
    #[serde(default = "crate::sources::gates::default_production_branches")]
    pub production_branches: Vec<String>,
    /// The repository (`owner/name`) when a body does not name it (job and status bodies carry
    /// it only in their URLs).
    pub repo: Option<String>,
    /// Pull from the REST API (omit to read saved bodies from `paths` only).
    pub api: Option<GithubApiConfig>,
}

/// Where and what to pull from the GitHub REST API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GithubApiConfig {
    /// The API's base URL (GitHub Enterprise: `https://HOST/api/v3`).
    #[serde(default = "default_api_url")]
    pub url: String,
    /// The repositories to pull, `owner/name`.
    pub repos: Vec<String>,
    /// The environment variable that holds the token (never the token itself).
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// Where the first pull starts (RFC 3339 or a date); later pulls start at the cursor.
    pub since: String,
    /// How long a rate limit may be waited out before the run fails, in seconds.
    #[serde(default = "default_rate_limit_wait")]
    pub max_rate_limit_wait_secs: u64,
}

fn default_api_url() -> String {
    "https://api.github.com".into()
}

fn default_token_env() -> String {
    "GITHUB_TOKEN".into()
}

fn default_rate_limit_wait() -> u64 {
    900
}

fn default_production() -> Vec<String> {
    vec!["production".into(), "prod".into()]
}

impl Default for GithubActionsConfig {
    fn default() -> Self {
        Self {
            gates: BTreeMap::new(),
            production_environments: default_production(),
            production_branches: crate::sources::gates::default_production_branches(),
            repo: None,
            api: None,
        }
    }
}
