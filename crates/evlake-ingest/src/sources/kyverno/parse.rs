//! Parsing Kyverno exports into `admission_decisions` (report results) and `policies` rows.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use super::KyvernoConfig;
use super::policy::{is_policy, policy_row};
use crate::emit::{Document, Emitter};
use crate::kind::Parser;
use crate::sources::backstage::snapshot_instant;
use crate::sources::json::{text, time, yaml_documents};

/// The `kyverno` parser.
#[derive(Debug, Clone)]
pub struct KyvernoParser {
    cluster: String,
}

impl KyvernoParser {
    /// A parser with `config`.
    pub fn new(config: KyvernoConfig) -> Self {
        Self {
            cluster: config.cluster.unwrap_or_else(|| "default".into()),
        }
    }
}

fn is_report(object: &Value) -> bool {
    let api = object["apiVersion"].as_str().unwrap_or("");
    let kind = object["kind"].as_str().unwrap_or("");
    (api.starts_with("wgpolicyk8s.io/")
        || api.starts_with("reports.x-k8s.io/")
        || api.starts_with("openreports.io/"))
        && matches!(
            kind,
            "PolicyReport" | "ClusterPolicyReport" | "Report" | "ClusterReport"
        )
}

impl Parser for KyvernoParser {
    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        let Ok(text) = std::str::from_utf8(doc.bytes) else {
            return out.reject(doc.location, "the file is not UTF-8 text", doc.bytes);
        };
        // The instant of an export: the one its path names, else the file's.
        let at = snapshot_instant(doc.location).unwrap_or(doc.modified);
        let json = text.trim_start().starts_with(['{', '[']);
        let parts = if json {
            vec![(1, text)]
        } else {
            yaml_documents(text)
        };
        for (line, part) in parts {
            let location = format!("{}:{line}", doc.location);
            let parsed = if json {
                serde_json::from_str::<Value>(part).map_err(|e| format!("not JSON: {e}"))
            } else {
                serde_saphyr::from_str::<Value>(part).map_err(|e| format!("not valid YAML: {e}"))
            };
            match parsed {
                Ok(Value::Null) => {}
                Ok(v) if v["kind"] == "List" => {
                    for (i, item) in v["items"].as_array().into_iter().flatten().enumerate() {
                        let raw = serde_json::to_vec(item).expect("a value serialises");
                        self.object(item, &raw, &format!("{location}#items/{i}"), at, out);
                    }
                }
                Ok(v) => self.object(&v, part.as_bytes(), &location, at, out),
                Err(e) => out.reject(&location, e, part.as_bytes()),
            }
        }
    }
}

impl KyvernoParser {
    fn object(&self, v: &Value, raw: &[u8], location: &str, at: DateTime<Utc>, out: &mut Emitter) {
        if is_policy(v) {
            if let Some((id, mut fields)) = policy_row(v) {
                fields.insert("cluster_name".into(), json!(self.cluster));
                return out.row("policies", at, id, location.to_string(), raw, fields);
            }
            return out.reject(location, "a policy without metadata.name", raw);
        }
        if is_report(v) {
            return self.report(v, raw, location, at, out);
        }
        out.reject(
            location,
            format!(
                "not a Kyverno policy or policy report (apiVersion {}, kind {})",
                text(v, "/apiVersion").unwrap_or("-"),
                text(v, "/kind").unwrap_or("-")
            ),
            raw,
        );
    }

    fn report(&self, v: &Value, raw: &[u8], location: &str, at: DateTime<Utc>, out: &mut Emitter) {
        let created = time(v, "/metadata/creationTimestamp");
        for (i, r) in v["results"].as_array().into_iter().flatten().enumerate() {
            let when = r["timestamp"]["seconds"]
                .as_i64()
                .and_then(|s| Utc.timestamp_opt(s, 0).single())
                .or(created)
                .unwrap_or(at);
            // A result names its resources (v1alpha2 and later), or the report's scope is.
            let resources: Vec<&Value> = match r["resources"].as_array() {
                Some(list) if !list.is_empty() => list.iter().collect(),
                _ => vec![&v["scope"]],
            };
            let result = text(r, "/result");
            for res in resources {
                let namespace = text(res, "/namespace").or(text(v, "/metadata/namespace"));
                let resource = format!(
                    "{}/{}/{}",
                    text(res, "/kind").unwrap_or("-"),
                    namespace.unwrap_or("-"),
                    text(res, "/name").unwrap_or("-")
                );
                let fields = json!({
                    "record_kind": "report",
                    "cluster_name": self.cluster,
                    "namespace": namespace,
                    "resource_kind": text(res, "/kind"),
                    "resource_name": text(res, "/name"),
                    "policy": text(r, "/policy"),
                    "rule": text(r, "/rule"),
                    "result": result,
                    "message": text(r, "/message"),
                });
                let Value::Object(fields) = fields else {
                    unreachable!("an object")
                };
                out.row(
                    "admission_decisions",
                    when,
                    format!(
                        "report|{}|{}|{resource}|{}|{}",
                        text(r, "/policy").unwrap_or("-"),
                        text(r, "/rule").unwrap_or("-"),
                        result.unwrap_or("-"),
                        when.timestamp()
                    ),
                    format!("{location}#results/{i}"),
                    raw,
                    fields,
                );
            }
        }
    }
}
