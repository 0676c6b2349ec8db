//! Settings of a `jira` source.

use serde::Deserialize;

/// Settings of a `jira` source.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JiraConfig {
    /// Statuses that mean remediated (names, any case). Default: the statuses the issues
    /// report in the `done` status category.
    #[serde(default)]
    pub remediated_statuses: Vec<String>,
    /// Fields that carry the id of the alert behind an issue (e.g. `customfield_10042`);
    /// labels and the summary are always searched for alert UUIDs.
    #[serde(default)]
    pub alert_id_fields: Vec<String>,
    /// A regular expression over issue summaries with optional named groups `rule`,
    /// `namespace`, `pod` and `alert_id` (see docs/correlation.md).
    pub title_pattern: Option<String>,
    /// Issues that record a security review rather than an incident (omit when the project
    /// holds none): they go to `security_reviews`, not `incidents`.
    pub security_reviews: Option<SecurityReviewIssues>,
    /// Pull from the REST API (omit to read saved search results from `paths` only).
    pub api: Option<JiraApiConfig>,
}

/// Which Jira issues are security reviews, and what each one reviewed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityReviewIssues {
    /// Issue type names (any case), e.g. `Security Review`.
    #[serde(default)]
    pub issue_types: Vec<String>,
    /// Labels (any case), any of which makes an issue a review, e.g. `security-review`.
    #[serde(default)]
    pub labels: Vec<String>,
    /// The field naming the services reviewed: a custom field id (text, a list of texts, or
    /// options with a `value`). Default: the issue's Jira components.
    pub subject_field: Option<String>,
    /// The resolutions (any case) that mean the review was done: an issue resolved otherwise
    /// (`Won't Do`, `Duplicate`) is no review. An issue whose export leaves out
    /// `fields.resolution` counts at its `resolutiondate`.
    #[serde(default = "default_completed_resolutions")]
    pub completed_resolutions: Vec<String>,
}

fn default_completed_resolutions() -> Vec<String> {
    ["Done", "Fixed", "Complete", "Completed", "Resolved"]
        .map(String::from)
        .to_vec()
}

/// Where and what to pull from the Jira REST API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JiraApiConfig {
    /// The site's base URL, e.g. `https://acme.atlassian.net`.
    pub url: String,
    /// The JQL that selects the incident issues, e.g. `project = SEC AND labels = falco`;
    /// `updated >= <cursor>` is added to it.
    #[serde(default)]
    pub jql: String,
    /// `jql` for `/rest/api/3/search/jql` (paged by `nextPageToken`), or `legacy` for
    /// `/rest/api/2/search` (paged by `startAt`, as Jira Data Center serves it).
    #[serde(default = "default_search")]
    pub search: String,
    /// The environment variable that holds the token: sent as `Bearer` (a Data Center
    /// personal access token or an OAuth access token), or with `user_env` as HTTP Basic.
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// The environment variable that holds the user (Jira Cloud: the account's e-mail address,
    /// with an API token in `token_env`): the two are sent as HTTP Basic authentication.
    pub user_env: Option<String>,
    /// Where the first pull starts (RFC 3339 or a date); later pulls start at the cursor.
    pub since: String,
    /// How long a rate limit may be waited out before the run fails, in seconds.
    #[serde(default = "default_rate_limit_wait")]
    pub max_rate_limit_wait_secs: u64,
}

fn default_search() -> String {
    "jql".into()
}

fn default_token_env() -> String {
    "JIRA_TOKEN".into()
}

fn default_rate_limit_wait() -> u64 {
    900
}
