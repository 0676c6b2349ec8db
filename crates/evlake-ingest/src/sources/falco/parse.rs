//! Parsing Falco alerts.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::FalcoConfig;
use crate::emit::{Document, Emitter};
use crate::kind::{Framing, Parser};
use crate::sources::runtime::{AlertRow, Workload, priority_rank};
use evlake_core::sha256_hex;

/// One alert as Falco (and Falcosidekick, which adds `uuid`) writes it.
#[derive(Deserialize)]
struct FalcoAlert<'a> {
    #[serde(borrow, default)]
    uuid: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    time: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    rule: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    priority: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    output: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    hostname: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    source: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    tags: Vec<Cow<'a, str>>,
    #[serde(borrow, default)]
    output_fields: HashMap<Cow<'a, str>, Value>,
}

/// The `falco` parser.
#[derive(Debug, Clone)]
pub struct FalcoParser {
    min_rank: Option<u8>,
}

impl FalcoParser {
    /// A parser with `config`; an unknown `min_priority` is an error naming it.
    pub fn new(config: FalcoConfig) -> crate::Result<Self> {
        let min_rank = match &config.min_priority {
            Some(p) => Some(priority_rank(p).ok_or_else(|| {
                crate::Error::setting(format!("min_priority: unknown priority '{p}'"))
            })?),
            None => None,
        };
        Ok(Self { min_rank })
    }
}

impl Parser for FalcoParser {
    fn framing(&self) -> Framing {
        Framing::JsonValues
    }

    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        let alert: FalcoAlert = match serde_json::from_slice(doc.bytes) {
            Ok(a) => a,
            Err(e) => {
                return out.reject(
                    doc.location,
                    format!("not a Falco alert (JSON object with rule, time, output): {e}"),
                    doc.bytes,
                );
            }
        };
        let field = |name: &str| -> Option<String> {
            match alert.output_fields.get(name)? {
                Value::String(s) if !s.is_empty() && s != "<NA>" => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
        };
        let Some(time_text) = alert.time.as_deref() else {
            return out.reject(doc.location, "required field 'time' is missing", doc.bytes);
        };
        let Ok(time) = evlake_core::time::parse_timestamp(time_text) else {
            return out.reject(
                doc.location,
                format!("field 'time': '{time_text}' is not an RFC 3339 instant"),
                doc.bytes,
            );
        };
        let Some(rule) = alert.rule.as_deref() else {
            return out.reject(doc.location, "required field 'rule' is missing", doc.bytes);
        };
        let priority = alert.priority.as_deref().map(str::to_ascii_lowercase);
        if let (Some(min), Some(p)) = (self.min_rank, priority.as_deref())
            && priority_rank(p).is_some_and(|rank| rank > min)
        {
            return out.skip();
        }
        let hostname = alert.hostname.as_deref();
        let output = alert.output.as_deref();
        // Falco gives no event id; Falcosidekick's uuid when present, else the content.
        let alert_id = match alert.uuid.as_deref() {
            Some(uuid) => uuid.to_ascii_lowercase(),
            None => sha256_hex(
                format!(
                    "{}|{time_text}|{rule}|{}",
                    hostname.unwrap_or(""),
                    output.unwrap_or("")
                )
                .as_bytes(),
            ),
        };
        let image = match (
            field("container.image.repository"),
            field("container.image.tag"),
        ) {
            (Some(repo), Some(tag)) => Some(format!("{repo}:{tag}")),
            (repo, _) => repo.or_else(|| field("container.image")),
        };
        let workload = Workload {
            namespace: field("k8s.ns.name"),
            pod: field("k8s.pod.name"),
            image,
            digest: field("container.image.digest"),
            host: hostname.map(str::to_string),
        };
        let mut tags: Vec<Value> = alert.tags.iter().map(|t| json!(t)).collect();
        if let Some(source) = alert.source.as_deref() {
            tags.push(json!(format!("source:{source}")));
        }
        let process = field("proc.cmdline");
        let fields = AlertRow {
            alert_id: &alert_id,
            engine: "falco",
            rule,
            priority: priority.as_deref(),
            workload: &workload,
            process: process.as_deref(),
            tags,
            output,
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
