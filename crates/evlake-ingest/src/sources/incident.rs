//! What the incident kinds (`pagerduty`, `jira`) share: finding what an incident says about
//! the alert behind it, for the correlation of alerts to incidents (docs/correlation.md).
//!
//! - `alert_refs`: alert ids the incident carries — every UUID (Falcosidekick's `uuid`) in its
//!   title, its custom details or labels, and the values of fields named as alert-id fields;
//! - `rule`, `namespace`, `pod`: from custom details keyed as Falco names them
//!   (`rule`, `k8s.ns.name`, `k8s.pod.name`, …), else from `key=value` tokens in the title
//!   (`k8s.ns=…`, `k8s_pod_name=…`, …), else from the title pattern's named groups.

use regex::Regex;
use serde_json::Value;

const NAMESPACE_KEYS: &[&str] = &[
    "k8s.ns.name",
    "k8s_ns_name",
    "k8s.ns",
    "k8s_ns",
    "namespace",
    "ns",
];
const POD_KEYS: &[&str] = &["k8s.pod.name", "k8s_pod_name", "k8s.pod", "k8s_pod", "pod"];

/// The default title pattern: the rule is the title up to the first `(` or `:`, after the
/// prefixes alert routers put in front: `[…]` (PagerDuty's `[#42]`, Alertmanager's
/// `[FIRING:1]`), `Falco:`, Falco's output time (`15:37:42.117434000:`) and a Falco priority
/// word (`Critical …`).
pub(crate) const DEFAULT_TITLE_PATTERN: &str = r"^(?:\[[^\]]*\]\s*)?(?:Falco:\s*)?(?:\d{2}:\d{2}:\d{2}(?:\.\d+)?:\s*)?(?:(?:Emergency|Alert|Critical|Error|Warning|Notice|Informational|Debug)\s+)?(?P<rule>[^(:\[]*[^(:\[\s])";

/// What an incident says about its alert.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AlertClues {
    pub alert_refs: Vec<String>,
    pub rule: Option<String>,
    pub namespace: Option<String>,
    pub pod: Option<String>,
}

/// Finds [`AlertClues`] in incidents.
#[derive(Debug, Clone)]
pub(crate) struct ClueFinder {
    uuid: Regex,
    token: Regex,
    title: Regex,
}

impl ClueFinder {
    /// A finder with the source's `title_pattern` (named groups `rule`, `namespace`, `pod`,
    /// `alert_id`, all optional); a bad pattern is an error naming the setting.
    pub(crate) fn new(title_pattern: Option<&str>) -> crate::Result<Self> {
        let title = Regex::new(title_pattern.unwrap_or(DEFAULT_TITLE_PATTERN))
            .map_err(|e| crate::Error::setting(format!("title_pattern: {e}")))?;
        Ok(Self {
            uuid: Regex::new(
                r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
            )
            .expect("a valid pattern"),
            // `key=value`, or Alertmanager's ` - key = value` label lines.
            token: Regex::new(r"([A-Za-z0-9_.]+) ?= ?([^\s),;]+)").expect("a valid pattern"),
            title,
        })
    }

    /// The clues in an incident's `title`, its custom `details` and its `labels`, plus the
    /// alert ids in `id_values` (fields configured to hold one). UUIDs are lower-cased, as
    /// the `falco` kind stores them; other ids are kept as written (Tetragon's are base64).
    pub(crate) fn find(
        &self,
        title: Option<&str>,
        details: &[&Value],
        labels: &[&str],
        id_values: &[&Value],
    ) -> AlertClues {
        let mut clues = AlertClues::default();
        let mut texts: Vec<&str> = Vec::new();
        texts.extend(title);
        for d in details {
            strings(d, &mut texts);
        }
        texts.extend(labels);
        for text in &texts {
            for m in self.uuid.find_iter(text) {
                clues.alert_refs.push(m.as_str().to_ascii_lowercase());
            }
        }
        for value in id_values {
            let mut ids = Vec::new();
            strings(value, &mut ids);
            clues.alert_refs.extend(ids.iter().map(|s| {
                let id = s.trim();
                if self.uuid.is_match(id) {
                    id.to_ascii_lowercase()
                } else {
                    id.to_string()
                }
            }));
        }
        let detail = |keys: &[&str]| {
            details.iter().find_map(|d| {
                keys.iter()
                    .find_map(|k| d.get(*k).and_then(Value::as_str).map(str::to_string))
            })
        };
        clues.rule = detail(&["rule"]);
        clues.namespace = detail(NAMESPACE_KEYS);
        clues.pod = detail(POD_KEYS);
        // `key=value` tokens in the title, then in the details' texts (Alertmanager renders
        // the alert's labels into a `firing` text) and labels.
        for text in &texts {
            for token in self.token.captures_iter(text) {
                let (key, value) = (&token[1], token[2].to_string());
                if clues.namespace.is_none() && NAMESPACE_KEYS.contains(&key) {
                    clues.namespace = Some(value);
                } else if clues.pod.is_none() && POD_KEYS.contains(&key) {
                    clues.pod = Some(value);
                }
            }
        }
        if let Some(groups) = title.and_then(|t| self.title.captures(t)) {
            let group = |name: &str| groups.name(name).map(|m| m.as_str().trim().to_string());
            clues.rule = clues.rule.or_else(|| group("rule"));
            clues.namespace = clues.namespace.or_else(|| group("namespace"));
            clues.pod = clues.pod.or_else(|| group("pod"));
            clues.alert_refs.extend(group("alert_id"));
        }
        clues.alert_refs.retain(|r| !r.is_empty());
        clues.alert_refs.sort();
        clues.alert_refs.dedup();
        clues
    }
}

fn strings<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn clues_come_from_details_tokens_and_the_title() {
        let finder = ClueFinder::new(None).unwrap();
        let clues = finder.find(
            Some("[#12] Terminal shell in container (k8s.ns=payments k8s.pod=payments-7f-x2)"),
            &[],
            &[],
            &[],
        );
        assert_eq!(clues.rule.as_deref(), Some("Terminal shell in container"));
        assert_eq!(clues.namespace.as_deref(), Some("payments"));
        assert_eq!(clues.pod.as_deref(), Some("payments-7f-x2"));
        assert!(clues.alert_refs.is_empty());

        let details = json!({"rule": "Write below etc", "k8s.pod.name": "web-1",
            "uuid": "3F2C0D6E-1B7A-4C55-9F00-2A7E8B9C0D1E"});
        let clues = finder.find(Some("anything"), &[&details], &["team-a"], &[]);
        assert_eq!(clues.rule.as_deref(), Some("Write below etc"));
        assert_eq!(clues.pod.as_deref(), Some("web-1"));
        assert_eq!(
            clues.alert_refs,
            vec!["3f2c0d6e-1b7a-4c55-9f00-2a7e8b9c0d1e"]
        );

        for (title, rule) in [
            (
                "Falco: Terminal shell in container (k8s.pod.name=api-1 k8s.ns.name=shop)",
                "Terminal shell in container",
            ),
            (
                "[FIRING:1] Read sensitive file untrusted",
                "Read sensitive file untrusted",
            ),
            (
                "Critical Drop and execute new binary in container (k8s.ns=batch)",
                "Drop and execute new binary in container",
            ),
        ] {
            let clues = finder.find(Some(title), &[], &[], &[]);
            assert_eq!(clues.rule.as_deref(), Some(rule), "{title}");
        }
        let firing = json!({"firing": "Labels:\n - alertname = Read sensitive file untrusted\n - namespace = data\n - pod = db-0\n", "num_firing": "1"});
        let clues = finder.find(
            Some("[FIRING:1] Read sensitive file untrusted"),
            &[&firing],
            &[],
            &[],
        );
        assert_eq!(
            (clues.namespace.as_deref(), clues.pod.as_deref()),
            (Some("data"), Some("db-0"))
        );
        let key = json!("3F2C0D6E-1B7A-4C55-9F00-2A7E8B9C0D1E");
        let clues = finder.find(Some("Something happened"), &[], &[], &[&key]);
        assert_eq!(clues.alert_refs, ["3f2c0d6e-1b7a-4c55-9f00-2a7e8b9c0d1e"]);

        let custom = json!(["tetragon-alert-7"]);
        let clues = finder.find(None, &[], &[], &[&custom]);
        assert_eq!(clues.alert_refs, vec!["tetragon-alert-7"]);
    }
}
