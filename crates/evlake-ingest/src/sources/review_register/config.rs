//! Settings of a `review-register` source.

use serde::Deserialize;

/// Settings of a `review-register` source.
///
/// The register is YAML (a list of entries, or a mapping with a `reviews` list) or CSV with a
/// header line. Each entry has `id` (required), `service` (required: the service reviewed, or
/// several separated by commas; YAML may give a list), `completed` (required once the review
/// is done: a date, the end of that day, or an RFC 3339 timestamp), and optionally `status`,
/// `title`, `reviewer` and `url`. An entry without `completed`, or whose `status` is not one
/// of `completed_statuses`, is a review not done yet: skipped, and read again when the register
/// changes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRegisterConfig {
    /// The `status` values of a finished review (compared case-insensitively); an entry with no
    /// `status` counts as finished when it has `completed`.
    #[serde(default = "default_completed_statuses")]
    pub completed_statuses: Vec<String>,
}

impl Default for ReviewRegisterConfig {
    fn default() -> Self {
        Self {
            completed_statuses: default_completed_statuses(),
        }
    }
}

fn default_completed_statuses() -> Vec<String> {
    ["completed", "done", "approved", "passed", "closed"]
        .map(String::from)
        .to_vec()
}
