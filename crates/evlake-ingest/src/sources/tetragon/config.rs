//! Settings of a `tetragon` source: which events are alerts.

use serde::Deserialize;

/// Settings of a `tetragon` source. An event is an alert when any of the `alert_*` settings
/// selects it; with the defaults, an event is an alert when a tracing policy named it
/// (`policy_name`) or acted on it with an enforcement action (anything but the plain
/// `KPROBE_ACTION_POST`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TetragonConfig {
    /// Event kinds that are alerts whatever they carry (e.g. `process_lsm`).
    #[serde(default)]
    pub alert_events: Vec<String>,
    /// Tracing policies whose events are alerts (globs over `policy_name`; default `*`: any).
    #[serde(default = "default_policies")]
    pub alert_policies: Vec<String>,
    /// Policy actions that make an event an alert (globs over `action`).
    #[serde(default = "default_actions")]
    pub alert_actions: Vec<String>,
    /// Binaries whose events are alerts (globs over `process.binary`, e.g. `*/nsenter`).
    #[serde(default)]
    pub alert_binaries: Vec<String>,
    /// The priority given to Tetragon alerts (Falco's scale; default `warning`).
    #[serde(default = "default_priority")]
    pub priority: String,
}

fn default_policies() -> Vec<String> {
    vec!["*".into()]
}

fn default_actions() -> Vec<String> {
    [
        "*SIGKILL",
        "*OVERRIDE",
        "*NOTIFY_ENFORCER",
        "*NOTIFYENFORCER",
        "*SIGNAL",
    ]
    .map(String::from)
    .to_vec()
}

fn default_priority() -> String {
    "warning".into()
}

impl Default for TetragonConfig {
    fn default() -> Self {
        Self {
            alert_events: Vec::new(),
            alert_policies: default_policies(),
            alert_actions: default_actions(),
            alert_binaries: Vec::new(),
            priority: default_priority(),
        }
    }
}
