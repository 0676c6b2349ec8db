//! Settings of a `backstage` source.

use serde::Deserialize;

/// Settings of a `backstage` source.
///
/// Saved files are read as snapshots too: a catalog API response (`by-query` with `items`, or
/// the array `/entities` returns), or `catalog-info.yaml` (one or more `---`-separated entity
/// documents). A file's snapshot instant is the last RFC 3339 UTC timestamp in its path
/// (`backstage/2026-11-01T06:00:00Z/page-1.json`, as an archiving job writes them); the files
/// with the same instant form one snapshot, and an archived file is read once. YAML files
/// whose path names no instant (a checkout of `catalog-info.yaml` files) are the catalog as it
/// is now: every run reads all of them again, changed or not, as one snapshot at the instant
/// the run began. A saved API response naming no instant is refused (quarantined, saying so):
/// dated by its modification time, each page of one pull would be a snapshot of its own. An
/// API pull is one snapshot at the instant it began.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackstageConfig {
    /// The annotation holding the date of a component's last security review (e.g.
    /// `acme.io/last-security-review`; a date or RFC 3339). Backstage has no field for it.
    pub security_review_annotation: Option<String>,
    /// The `spec.lifecycle` values that put a Component, Resource or API in production scope.
    #[serde(default = "default_production_lifecycles")]
    pub production_lifecycles: Vec<String>,
    /// Pull from the catalog REST API (omit to read saved responses and YAML from `paths`).
    pub api: Option<BackstageApiConfig>,
}

impl Default for BackstageConfig {
    fn default() -> Self {
        Self {
            security_review_annotation: None,
            production_lifecycles: default_production_lifecycles(),
            api: None,
        }
    }
}

fn default_production_lifecycles() -> Vec<String> {
    vec!["production".into()]
}

/// Where and how to pull from the Backstage catalog REST API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackstageApiConfig {
    /// The backend's base URL, e.g. `https://backstage.acme.example`.
    pub url: String,
    /// `by-query` for `GET /api/catalog/entities/by-query` (paged by `cursor`), or `entities`
    /// for the older `GET /api/catalog/entities` (paged by `offset` and `limit`).
    #[serde(default = "default_endpoint")]
    pub endpoint: String,
    /// Catalog filters, each sent as a `filter` parameter (e.g. `kind=component`); none pulls
    /// every entity.
    #[serde(default)]
    pub filters: Vec<String>,
    /// Entities per page.
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// The environment variable that holds the token, sent as `Bearer` (a static external
    /// access token of the backend's `backend.auth.externalAccess`).
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// How long a rate limit may be waited out before the run fails, in seconds.
    #[serde(default = "default_rate_limit_wait")]
    pub max_rate_limit_wait_secs: u64,
}

fn default_endpoint() -> String {
    "by-query".into()
}

fn default_page_size() -> u32 {
    500
}

fn default_token_env() -> String {
    "BACKSTAGE_TOKEN".into()
}

fn default_rate_limit_wait() -> u64 {
    300
}
