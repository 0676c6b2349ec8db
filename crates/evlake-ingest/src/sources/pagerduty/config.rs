//! Settings of a `pagerduty` source.

use serde::Deserialize;

/// Settings of a `pagerduty` source.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagerdutyConfig {
    /// A regular expression over incident titles with optional named groups `rule`,
    /// `namespace`, `pod` and `alert_id`, for correlating alerts to incidents (default: the
    /// rule is the title up to the first `(` or `:`; see docs/correlation.md).
    pub title_pattern: Option<String>,
    /// Pull from the REST API (omit to read saved webhook events and pages from `paths` only).
    pub api: Option<PagerdutyApiConfig>,
}

/// Where and what to pull from the PagerDuty REST API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagerdutyApiConfig {
    /// The API's base URL.
    #[serde(default = "default_api_url")]
    pub url: String,
    /// The environment variable that holds the REST API key, sent as `Token token=…`.
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// Where the first pull starts (RFC 3339 or a date); later pulls start at the cursor.
    pub since: String,
    /// Only these services' incidents (service ids; default: all).
    #[serde(default)]
    pub service_ids: Vec<String>,
    /// The width of each `since`/`until` window asked for, in hours; windows holding more
    /// than the API's 10,000-record offset cap are split further.
    #[serde(default = "default_window_hours")]
    pub window_hours: u32,
    /// How long a rate limit may be waited out before the run fails, in seconds.
    #[serde(default = "default_rate_limit_wait")]
    pub max_rate_limit_wait_secs: u64,
}

fn default_api_url() -> String {
    "https://api.pagerduty.com".into()
}

fn default_token_env() -> String {
    "PAGERDUTY_TOKEN".into()
}

fn default_window_hours() -> u32 {
    24
}

fn default_rate_limit_wait() -> u64 {
    900
}
