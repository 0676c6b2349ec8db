//! Settings of an `okta` source.

use serde::Deserialize;

/// Settings of an `okta` source.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OktaConfig {
    /// The Okta org the events are about (their `account`), e.g. `acme.okta.com` (default:
    /// the API's host, else `okta`).
    pub org: Option<String>,
    /// Globs over administrator roles and app names whose grant is privileged (default:
    /// `SUPER_ADMIN`, `ORG_ADMIN` and their display names, any case).
    pub privileged: Option<Vec<String>>,
    /// Pull from the System Log API (omit to read exported events from `paths` only).
    pub api: Option<OktaApiConfig>,
}

/// Where and how to pull the Okta System Log (`GET /api/v1/logs`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OktaApiConfig {
    /// The org's base URL, e.g. `https://acme.okta.com`.
    pub url: String,
    /// The environment variable that holds the API token.
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// How the token is sent: `SSWS` (an API token) or `Bearer` (an OAuth 2.0 access token).
    #[serde(default = "default_scheme")]
    pub token_scheme: String,
    /// Where the first pull starts (RFC 3339 or a date; the System Log keeps about 90 days);
    /// later pulls start a day before the last complete pull began.
    pub since: String,
    /// How long a rate limit may be waited out before the run fails, in seconds.
    #[serde(default = "default_rate_limit_wait")]
    pub max_rate_limit_wait_secs: u64,
}

fn default_token_env() -> String {
    "OKTA_API_TOKEN".into()
}

fn default_scheme() -> String {
    "SSWS".into()
}

fn default_rate_limit_wait() -> u64 {
    300
}
