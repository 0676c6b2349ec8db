//! Settings of an `aws-config` source.

use serde::Deserialize;

/// Settings of an `aws-config` source: which resource tags say what the inventory needs.
/// Tag keys match exactly, the first present wins.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsConfigConfig {
    /// Tags naming the resource's owning team (a Backstage group name or ref).
    #[serde(default = "default_owner_tags")]
    pub owner_tags: Vec<String>,
    /// Tags naming the resource's environment.
    #[serde(default = "default_environment_tags")]
    pub environment_tags: Vec<String>,
    /// Environment tag values that put a resource in production scope (any case).
    #[serde(default = "default_production_environments")]
    pub production_environments: Vec<String>,
    /// Tags naming the service the resource belongs to (matched with deployments and
    /// runtime alerts).
    #[serde(default = "default_service_tags")]
    pub service_tags: Vec<String>,
    /// A tag holding the date of the resource's last security review, if the organisation
    /// keeps one.
    pub security_review_tag: Option<String>,
}

impl Default for AwsConfigConfig {
    fn default() -> Self {
        Self {
            owner_tags: default_owner_tags(),
            environment_tags: default_environment_tags(),
            production_environments: default_production_environments(),
            service_tags: default_service_tags(),
            security_review_tag: None,
        }
    }
}

fn default_owner_tags() -> Vec<String> {
    ["owner", "Owner", "team", "Team"]
        .map(String::from)
        .to_vec()
}

fn default_environment_tags() -> Vec<String> {
    ["environment", "Environment", "env", "Env"]
        .map(String::from)
        .to_vec()
}

fn default_production_environments() -> Vec<String> {
    ["production", "prod"].map(String::from).to_vec()
}

fn default_service_tags() -> Vec<String> {
    ["service", "Service", "app", "App"]
        .map(String::from)
        .to_vec()
}
