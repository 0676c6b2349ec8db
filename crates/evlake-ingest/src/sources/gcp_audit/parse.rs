//! Parsing Cloud Audit Log entries into `iam_events` rows.

use serde_json::Value;

use super::GcpAuditConfig;
use crate::emit::{Document, Emitter};
use crate::kind::Parser;
use crate::sources::iam::{self, Change, Effect, IamRecord, Privilege, SeenIds};
use crate::sources::json::{text, time};

/// The `gcp-audit` parser.
#[derive(Debug, Clone)]
pub struct GcpAuditParser {
    privilege: Privilege,
}

impl GcpAuditParser {
    /// A parser with `config`; a bad `privileged` glob is an error naming it.
    pub fn new(config: GcpAuditConfig) -> crate::Result<Self> {
        Ok(Self {
            privilege: Privilege::new(config.privileged.as_deref(), iam::GCP_PRIVILEGED)?,
        })
    }
}

impl Parser for GcpAuditParser {
    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        let mut seen = SeenIds::default();
        iam::each_record(
            doc,
            &["entries", "Logs"],
            out,
            |entry, raw, location, out| {
                self.entry(entry, raw, location, &mut seen, out);
            },
        );
    }
}

impl GcpAuditParser {
    fn entry(&self, e: &Value, raw: &[u8], location: &str, seen: &mut SeenIds, out: &mut Emitter) {
        let (Some(insert_id), Some(log)) = (text(e, "/insertId"), text(e, "/logName")) else {
            return out.reject(location, "the entry has no insertId or logName", raw);
        };
        let Some(at) = time(e, "/timestamp") else {
            return out.reject(location, "the entry has no timestamp", raw);
        };
        // insertId is unique within one log and instant.
        let id = format!(
            "{log}|{insert_id}|{}",
            text(e, "/timestamp").unwrap_or_default()
        );
        if !seen.admit(&id, raw, location, out) {
            return;
        }
        let code = e
            .pointer("/protoPayload/status/code")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let project = text(e, "/resource/labels/project_id")
            .map(str::to_string)
            .or_else(|| {
                log.strip_prefix("projects/")
                    .and_then(|rest| rest.split('/').next())
                    .map(str::to_string)
            });
        let record = IamRecord {
            provider: "gcp",
            account: project,
            region: text(e, "/resource/labels/location").map(str::to_string),
            actor: text(e, "/protoPayload/authenticationInfo/principalEmail").map(str::to_string),
            action: text(e, "/protoPayload/methodName").map(str::to_string),
            outcome: Some(if code == 0 {
                "success".to_string()
            } else {
                text(e, "/protoPayload/status/message")
                    .map_or_else(|| format!("status {code}"), str::to_string)
            }),
            source_ip: text(e, "/protoPayload/requestMetadata/callerIp").map(str::to_string),
        };
        let changes = if code == 0 { changes(e) } else { Vec::new() };
        iam::emit(
            out,
            &record,
            at,
            &id,
            location,
            raw,
            &changes,
            &self.privilege,
        );
    }
}

/// The binding deltas of a `SetIamPolicy` (or a BigQuery dataset change).
fn changes(e: &Value) -> Vec<Change> {
    let deltas = [
        "/protoPayload/serviceData/policyDelta/bindingDeltas",
        "/protoPayload/metadata/datasetChange/bindingDeltas",
    ]
    .iter()
    .find_map(|p| e.pointer(p).and_then(Value::as_array));
    let Some(deltas) = deltas else {
        return Vec::new();
    };
    let scope = text(e, "/protoPayload/resourceName");
    deltas
        .iter()
        .filter_map(|d| {
            let (action, role, member) =
                (text(d, "/action")?, text(d, "/role")?, text(d, "/member")?);
            let effect = match action {
                "ADD" => Effect::Grant,
                "REMOVE" => Effect::Revoke,
                _ => return None,
            };
            let (kind, name) = match member.split_once(':') {
                Some(("user", name)) => ("user", name),
                Some(("group", name)) => ("group", name),
                Some(("serviceAccount", name)) => ("service_account", name),
                Some((_, _)) | None => ("member", member),
            };
            Some(Change::new(effect, kind, name, "role", role).scoped(scope))
        })
        .collect()
}
