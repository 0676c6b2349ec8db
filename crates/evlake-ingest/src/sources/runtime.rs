//! What the runtime-detection kinds (`falco`, `tetragon`) share: the workload an alert names,
//! the order of priorities and the columns of a `runtime_alerts` row.

use serde_json::{Map, Value, json};

/// Falco's priorities, most severe first (Tetragon alerts take one from their settings).
pub(crate) const PRIORITIES: &[&str] = &[
    "emergency",
    "alert",
    "critical",
    "error",
    "warning",
    "notice",
    "informational",
    "debug",
];

/// A priority's rank, 0 the most severe; `info` is read as `informational`.
pub(crate) fn priority_rank(priority: &str) -> Option<u8> {
    let p = priority.to_ascii_lowercase();
    let p = if p == "info" {
        "informational"
    } else {
        p.as_str()
    };
    PRIORITIES.iter().position(|q| *q == p).map(|n| n as u8)
}

/// The workload an alert fired in.
#[derive(Debug, Clone, Default)]
pub(crate) struct Workload {
    pub namespace: Option<String>,
    pub pod: Option<String>,
    pub image: Option<String>,
    pub digest: Option<String>,
    pub host: Option<String>,
}

impl Workload {
    /// `namespace/pod`, then the container image (by digest when known) after a space; the
    /// host when the alert names no container.
    pub(crate) fn name(&self) -> Option<String> {
        let pod = match (&self.namespace, &self.pod) {
            (Some(ns), Some(pod)) => Some(format!("{ns}/{pod}")),
            (None, Some(pod)) => Some(pod.clone()),
            _ => None,
        };
        let image = match (&self.image, &self.digest) {
            (Some(image), Some(digest)) => {
                let repo = match image.rsplit_once(':') {
                    Some((repo, tag)) if !tag.contains('/') => repo,
                    _ => image,
                };
                Some(format!("{repo}@{digest}"))
            }
            (Some(image), None) => Some(image.clone()),
            (None, Some(digest)) => Some(digest.clone()),
            (None, None) => None,
        };
        match (pod, image) {
            (Some(pod), Some(image)) => Some(format!("{pod} {image}")),
            (Some(one), None) | (None, Some(one)) => Some(one),
            (None, None) => self.host.as_ref().map(|h| format!("host:{h}")),
        }
    }
}

/// The own columns of a `runtime_alerts` row.
#[derive(Debug, Clone)]
pub(crate) struct AlertRow<'a> {
    pub alert_id: &'a str,
    pub engine: &'static str,
    pub rule: &'a str,
    pub priority: Option<&'a str>,
    pub workload: &'a Workload,
    pub process: Option<&'a str>,
    pub tags: Vec<Value>,
    pub output: Option<&'a str>,
}

impl AlertRow<'_> {
    /// The row's fields, for the emitter.
    pub(crate) fn fields(self) -> Map<String, Value> {
        let w = self.workload;
        Map::from_iter([
            ("alert_id".to_string(), json!(self.alert_id)),
            ("engine".to_string(), json!(self.engine)),
            ("rule".to_string(), json!(self.rule)),
            ("priority".to_string(), json!(self.priority)),
            ("hostname".to_string(), json!(w.host)),
            ("namespace".to_string(), json!(w.namespace)),
            ("pod".to_string(), json!(w.pod)),
            ("container_image".to_string(), json!(w.image)),
            ("image_digest".to_string(), json!(w.digest)),
            ("workload".to_string(), json!(w.name())),
            ("process".to_string(), json!(self.process)),
            ("tags".to_string(), Value::Array(self.tags)),
            ("output".to_string(), json!(self.output)),
        ])
    }
}
