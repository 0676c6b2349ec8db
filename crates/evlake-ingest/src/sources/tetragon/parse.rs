//! Parsing Tetragon events.

use globset::GlobSet;
use serde_json::{Value, json};

use super::TetragonConfig;
use crate::emit::{Document, Emitter};
use crate::kind::{Framing, Parser};
use crate::sources::json::{globs, text};
use crate::sources::runtime::{AlertRow, Workload, priority_rank};

/// The `tetragon` parser.
#[derive(Debug, Clone)]
pub struct TetragonParser {
    events: Vec<String>,
    policies: GlobSet,
    actions: GlobSet,
    binaries: GlobSet,
    priority: String,
}

impl TetragonParser {
    /// A parser with `config`; a bad glob or priority is an error naming the setting.
    pub fn new(config: TetragonConfig) -> crate::Result<Self> {
        let priority = config.priority.to_ascii_lowercase();
        if priority_rank(&priority).is_none() {
            return Err(crate::Error::setting(format!(
                "priority: unknown priority '{}'",
                config.priority
            )));
        }
        Ok(Self {
            events: config.alert_events,
            policies: globs(&config.alert_policies, "alert_policies")?,
            actions: globs(&config.alert_actions, "alert_actions")?,
            binaries: globs(&config.alert_binaries, "alert_binaries")?,
            priority,
        })
    }

    fn is_alert(&self, kind: &str, event: &Value) -> bool {
        self.events.iter().any(|e| e == kind)
            || text(event, "/policy_name").is_some_and(|p| self.policies.is_match(p))
            || text(event, "/action").is_some_and(|a| self.actions.is_match(a))
            || text(event, "/process/binary").is_some_and(|b| self.binaries.is_match(b))
    }
}

impl Parser for TetragonParser {
    fn framing(&self) -> Framing {
        Framing::JsonValues
    }

    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        let record: Value = match serde_json::from_slice(doc.bytes) {
            Ok(v) => v,
            Err(e) => return out.reject(doc.location, format!("not valid JSON: {e}"), doc.bytes),
        };
        let Some(object) = record.as_object() else {
            return out.reject(doc.location, "a Tetragon event is a JSON object", doc.bytes);
        };
        let kinds: Vec<&String> = object
            .keys()
            .filter(|k| {
                !matches!(
                    k.as_str(),
                    "node_name" | "time" | "cluster_name" | "aggregation_info" | "node_labels"
                )
            })
            .collect();
        let [kind] = kinds.as_slice() else {
            return out.reject(
                doc.location,
                format!(
                    "a Tetragon event has exactly one event key (process_exec, process_kprobe, …); found {}",
                    kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
                ),
                doc.bytes,
            );
        };
        let kind = kind.as_str();
        let event = &object[kind];
        if !self.is_alert(kind, event) {
            return out.skip();
        }
        let Some(time_text) = text(&record, "/time") else {
            return out.reject(doc.location, "required field 'time' is missing", doc.bytes);
        };
        let Ok(time) = evlake_core::time::parse_timestamp(time_text) else {
            return out.reject(
                doc.location,
                format!("field 'time': '{time_text}' is not an RFC 3339 instant"),
                doc.bytes,
            );
        };
        let Some(exec_id) = text(event, "/process/exec_id") else {
            return out.reject(
                doc.location,
                format!("required field '{kind}.process.exec_id' is missing"),
                doc.bytes,
            );
        };
        let binary = text(event, "/process/binary");
        let arguments = text(event, "/process/arguments");
        let function = text(event, "/function_name").or_else(|| text(event, "/event"));
        let action = text(event, "/action");
        let policy = text(event, "/policy_name");
        let rule = policy
            .map(str::to_string)
            .or_else(|| function.map(|f| format!("{kind}:{f}")))
            .or_else(|| binary.map(|b| format!("{kind}:{b}")))
            .unwrap_or_else(|| kind.to_string());
        let image_id = text(event, "/process/pod/container/image/id");
        let workload = Workload {
            namespace: text(event, "/process/pod/namespace").map(str::to_string),
            pod: text(event, "/process/pod/name").map(str::to_string),
            image: text(event, "/process/pod/container/image/name").map(str::to_string),
            digest: image_id
                .and_then(|id| id.rsplit_once('@'))
                .map(|(_, digest)| digest.to_string()),
            host: text(&record, "/node_name").map(str::to_string),
        };
        let process = match (binary, arguments) {
            (Some(b), Some(a)) if !a.is_empty() => Some(format!("{b} {a}")),
            (b, _) => b.map(str::to_string),
        };
        let output = [
            Some(kind.to_string()),
            process.clone(),
            function.map(|f| format!("function={f}")),
            action.map(|a| format!("action={a}")),
            policy.map(|p| format!("policy={p}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        let mut tags = vec![json!(kind)];
        tags.extend(action.map(|a| json!(a)));
        // Tetragon's own key: the kind, the process's cluster-unique exec id and the time.
        let alert_id = format!("{kind}:{exec_id}:{time_text}");
        let fields = AlertRow {
            alert_id: &alert_id,
            engine: "tetragon",
            rule: &rule,
            priority: Some(&self.priority),
            workload: &workload,
            process: process.as_deref(),
            tags,
            output: Some(&output),
        }
        .fields();
        out.row(
            "runtime_alerts",
            time,
            alert_id,
            doc.location.to_string(),
            doc.bytes,
            fields,
        );
    }
}
