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
    /// How code scanning alerts (pulled with `api.code_scanning`, or saved bodies of
    /// `GET /repos/{repo}/code-scanning/alerts`) become findings.
    #[serde(default)]
    pub code_scanning: CodeScanningConfig,
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
    /// Also pull the code scanning alerts of each repository (every state, most recently
    /// updated first, back to the cursor): needs the `security_events` read permission.
    #[serde(default)]
    pub code_scanning: bool,
    /// How long a rate limit may be waited out before the run fails, in seconds.
    #[serde(default = "default_rate_limit_wait")]
    pub max_rate_limit_wait_secs: u64,
}

/// How code scanning alerts become findings: the same rules as a `sarif` source's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeScanningConfig {
    /// The lowest severity that blocks a release (`critical`, `high`, `medium` or `low`;
    /// default `critical`), from the rule's `security_severity_level`, else its `severity`.
    pub blocking_severity: Option<String>,
    /// Which tools are static analysis (SAST), by `tool.name` glob, case-insensitive (the
    /// `sarif` source's defaults).
    #[serde(default = "crate::sources::findings::default_sast_tools")]
    pub sast_tools: Vec<String>,
}

impl Default for CodeScanningConfig {
    fn default() -> Self {
        Self {
            blocking_severity: None,
            sast_tools: crate::sources::findings::default_sast_tools(),
        }
    }
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
            code_scanning: CodeScanningConfig::default(),
            repo: None,
            api: None,
        }
    }
}
