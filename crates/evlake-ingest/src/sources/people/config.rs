//! Settings of a `people` source.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Settings of a `people` source: how the HR export names its columns, who is an engineer,
/// which statuses mean someone has left, and the names people go by in other systems.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeopleConfig {
    /// Which column holds each field (header names, any case).
    #[serde(default)]
    pub columns: PeopleColumns,
    /// Globs over a person's team (any case) that make them an engineer, in q4's scope
    /// (default: everyone in the export).
    pub engineering_teams: Option<Vec<String>>,
    /// Statuses (any case) that mean the person no longer works there (default:
    /// `terminated`, `inactive`, `left`, `offboarded`, `deactivated`, `former`); any other
    /// status is active, and a leave date at or before the instant asked about ends it too.
    pub inactive_statuses: Option<Vec<String>>,
    /// Other names of people, each mapped to their e-mail: GitHub logins, AWS IAM user
    /// names, SSO session names, IAM Identity Center principal ids, Okta logins, Kubernetes
    /// user names (`aliases = { "jdoe" = "jane.doe@acme.example" }`).
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
    /// Extra `strftime` formats the export writes dates in (e.g. `%d/%m/%Y`).
    #[serde(default)]
    pub date_formats: Vec<String>,
}

/// The export's column for each field of a person.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeopleColumns {
    /// The person's e-mail (required).
    #[serde(default = "email")]
    pub person: String,
    /// Their name.
    #[serde(default = "name")]
    pub display_name: String,
    /// Their team.
    #[serde(default = "team")]
    pub team: String,
    /// Their employment status.
    #[serde(default = "status")]
    pub status: String,
    /// When they started.
    #[serde(default = "start_date")]
    pub started_at: String,
    /// When they left, or will.
    #[serde(default = "leave_date")]
    pub left_at: String,
    /// Other names they go by, separated by `;` or `,`.
    #[serde(default = "aliases")]
    pub aliases: String,
}

impl Default for PeopleColumns {
    fn default() -> Self {
        Self {
            person: email(),
            display_name: name(),
            team: team(),
            status: status(),
            started_at: start_date(),
            left_at: leave_date(),
            aliases: aliases(),
        }
    }
}

fn email() -> String {
    "email".into()
}
fn name() -> String {
    "name".into()
}
fn team() -> String {
    "team".into()
}
fn status() -> String {
    "status".into()
}
fn start_date() -> String {
    "start_date".into()
}
fn leave_date() -> String {
    "leave_date".into()
}
fn aliases() -> String {
    "aliases".into()
}
