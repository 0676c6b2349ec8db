//! Settings of a `falco` source.

use serde::Deserialize;

/// Settings of a `falco` source.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FalcoConfig {
    /// The lowest priority stored as an alert (`emergency`, `alert`, `critical`, `error`,
    /// `warning`, `notice`, `informational`, `debug`); default: every alert Falco wrote.
    /// Lower ones are counted as skipped.
    pub min_priority: Option<String>,
}
