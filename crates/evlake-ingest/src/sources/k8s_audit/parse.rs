//! Parsing audit events into `admission_decisions`, `iam_events` and `policies` rows.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use globset::GlobSet;
use regex::Regex;
use serde_json::{Map, Value, json};

use super::K8sAuditConfig;
use crate::emit::{Document, Emitter};
use crate::kind::{Framing, Parser};
use crate::sources::iam::{self, Change, Effect, IamRecord, Privilege};
use crate::sources::json::{globs, text, time};
use crate::sources::kyverno::policy::{deleted_row, policy_row};

/// The roles whose binding is privileged by default.
const PRIVILEGED: &[&str] = &["cluster-admin", "admin"];

/// The `k8s-audit` parser.
#[derive(Debug, Clone)]
pub struct K8sAuditParser {
    cluster: String,
    production: GlobSet,
    privilege: Privilege,
}

impl K8sAuditParser {
    /// A parser with `config`; a bad `privileged` glob is an error naming it.
    pub fn new(config: K8sAuditConfig) -> crate::Result<Self> {
        Ok(Self {
            cluster: config.cluster.unwrap_or_else(|| "default".into()),
            production: globs(&config.production_namespaces, "production_namespaces")?,
            privilege: Privilege::new(config.privileged.as_deref(), PRIVILEGED)?,
        })
    }
}

/// The kind of a workload resource the admission of which decides what runs.
fn workload_kind(resource: &str) -> Option<&'static str> {
    Some(match resource {
        "pods" => "Pod",
        "deployments" => "Deployment",
        "statefulsets" => "StatefulSet",
        "daemonsets" => "DaemonSet",
        "jobs" => "Job",
        "cronjobs" => "CronJob",
        "replicasets" => "ReplicaSet",
        _ => return None,
    })
}

impl Parser for K8sAuditParser {
    fn framing(&self) -> Framing {
        Framing::JsonValues
    }

    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        let value: Value = match serde_json::from_slice(doc.bytes) {
            Ok(v) => v,
            Err(e) => return out.reject(doc.location, format!("not JSON: {e}"), doc.bytes),
        };
        match value["kind"].as_str() {
            Some("EventList") => {
                for (i, e) in value["items"].as_array().into_iter().flatten().enumerate() {
                    let raw = serde_json::to_vec(e).expect("a value serialises");
                    self.event(e, &raw, &format!("{}#items/{i}", doc.location), out);
                }
            }
            Some("Event") => self.event(&value, doc.bytes, doc.location, out),
            other => out.reject(
                doc.location,
                format!(
                    "not an audit Event or EventList (kind {})",
                    other.unwrap_or("missing")
                ),
                doc.bytes,
            ),
        }
    }
}

impl K8sAuditParser {
    fn event(&self, e: &Value, raw: &[u8], location: &str, out: &mut Emitter) {
        let Some(audit_id) = text(e, "/auditID") else {
            return out.reject(location, "the event has no auditID", raw);
        };
        let stage = text(e, "/stage").unwrap_or("ResponseComplete");
        if !matches!(stage, "ResponseComplete" | "Panic") {
            return out.skip();
        }
        let Some(at) = time(e, "/stageTimestamp")
            .or_else(|| time(e, "/requestReceivedTimestamp"))
            .or_else(|| time(e, "/timestamp"))
        else {
            return out.reject(location, "the event has no stageTimestamp", raw);
        };
        // A server-side dry run is decided and audited like any request, but nothing it
        // names was admitted or changed.
        if text(e, "/requestURI").is_some_and(|u| u.contains("dryRun=")) {
            return out.skip();
        }
        let id = format!("{audit_id}|{stage}");
        let resource = text(e, "/objectRef/resource").unwrap_or("");
        let verb = text(e, "/verb").unwrap_or("");
        let code = e["responseStatus"]["code"].as_i64();
        let succeeded = code.is_none_or(|c| c < 400) && stage != "Panic";
        let subresource = text(e, "/objectRef/subresource");
        // The stored object (after mutation) says what was admitted; a patch request carries
        // only the patch.
        let object = if e["responseObject"]["kind"]
            .as_str()
            .is_some_and(|k| k != "Status")
        {
            &e["responseObject"]
        } else {
            &e["requestObject"]
        };
        if let Some(kind) = workload_kind(resource)
            && subresource.is_none()
            && matches!(verb, "create" | "update" | "patch")
        {
            return self.admission(e, kind, object, code, succeeded, id, at, location, raw, out);
        }
        if matches!(resource, "rolebindings" | "clusterrolebindings") {
            return self.binding(e, object, succeeded, &id, at, location, raw, out);
        }
        // A policy's change is its own sighting, however often the same content comes back
        // (Audit → Enforce → Audit in one day is two changes): keyed by the event.
        if succeeded
            && matches!(verb, "create" | "update" | "patch")
            && let Some((pid, mut fields)) = policy_row(object)
        {
            fields.insert("cluster_name".into(), json!(self.cluster));
            return out.row(
                "policies",
                at,
                format!("{pid}|{id}"),
                location.to_string(),
                raw,
                fields,
            );
        }
        if succeeded
            && verb == "delete"
            && let Some(name) = text(e, "/objectRef/name")
            && let Some(mut fields) = deleted_row(
                resource,
                text(e, "/objectRef/apiGroup").unwrap_or(""),
                name,
                text(e, "/objectRef/namespace"),
            )
        {
            fields.insert("cluster_name".into(), json!(self.cluster));
            return out.row("policies", at, id, location.to_string(), raw, fields);
        }
        out.skip();
    }

    #[allow(clippy::too_many_arguments)]
    fn admission(
        &self,
        e: &Value,
        kind: &str,
        object: &Value,
        code: Option<i64>,
        succeeded: bool,
        id: String,
        at: DateTime<Utc>,
        location: &str,
        raw: &[u8],
        out: &mut Emitter,
    ) {
        let message = text(e, "/responseStatus/message");
        let annotations = &e["annotations"];
        let (policy, rule) = match (succeeded, message) {
            (false, Some(m)) => denied_by(m),
            _ => audited_by(annotations),
        };
        let images = images(kind, object);
        let digests: Vec<String> = images.iter().filter_map(|i| digest_of(i)).collect();
        let user = text(e, "/user/username");
        let namespace = text(e, "/objectRef/namespace");
        let fields = json!({
            "record_kind": "admission",
            "cluster_name": self.cluster,
            "namespace": namespace,
            "production": namespace.is_some_and(|ns| self.production.is_match(ns)),
            "resource_kind": kind,
            "resource_name": text(e, "/objectRef/name").or(text(object, "/metadata/name")),
            "operation": text(e, "/verb"),
            "username": user,
            "person": user.and_then(iam::person_of),
            "allowed": succeeded,
            "status_code": code,
            "result": if succeeded { "allowed" } else { "denied" },
            "policy": policy,
            "rule": rule,
            "message": message,
            "annotations": annotations.as_object().filter(|a| !a.is_empty()).map(|a| Value::Object(a.clone()).to_string()),
            "audit_id": text(e, "/auditID"),
            "images": images,
            "image_digests": digests,
        });
        let Value::Object(fields) = fields else {
            unreachable!("an object")
        };
        out.row(
            "admission_decisions",
            at,
            id,
            location.to_string(),
            raw,
            fields,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn binding(
        &self,
        e: &Value,
        object: &Value,
        succeeded: bool,
        id: &str,
        at: DateTime<Utc>,
        location: &str,
        raw: &[u8],
        out: &mut Emitter,
    ) {
        let verb = text(e, "/verb").unwrap_or("");
        let effect = match verb {
            "create" | "update" | "patch" => Some(Effect::Grant),
            "delete" => Some(Effect::Revoke),
            _ => None,
        };
        let scope = match text(e, "/objectRef/namespace") {
            Some(ns) => format!("{}/{ns}", self.cluster),
            None => self.cluster.clone(),
        };
        let role_kind = match object["roleRef"]["kind"].as_str() {
            Some("ClusterRole") => "cluster_role",
            _ => "role",
        };
        let mut changes = Vec::new();
        if let (true, Some(effect), Some(role)) = (succeeded, effect, text(object, "/roleRef/name"))
        {
            for s in object["subjects"].as_array().into_iter().flatten() {
                let (kind, name) = match (text(s, "/kind"), text(s, "/name")) {
                    (Some("ServiceAccount"), Some(n)) => (
                        "service_account",
                        format!("{}:{n}", text(s, "/namespace").unwrap_or("default")),
                    ),
                    (Some("Group"), Some(n)) => ("group", n.to_string()),
                    (_, Some(n)) => ("user", n.to_string()),
                    _ => continue,
                };
                changes
                    .push(Change::new(effect, kind, &name, role_kind, role).scoped(Some(&scope)));
            }
        }
        let record = IamRecord {
            provider: "kubernetes",
            account: Some(self.cluster.clone()),
            region: None,
            actor: text(e, "/user/username").map(str::to_string),
            action: Some(format!(
                "{verb} {}",
                text(e, "/objectRef/resource").unwrap_or("-")
            )),
            outcome: Some(if succeeded {
                "success".to_string()
            } else {
                format!("status {}", e["responseStatus"]["code"])
            }),
            source_ip: text(e, "/sourceIPs/0").map(str::to_string),
        };
        iam::emit(
            out,
            &record,
            at,
            id,
            location,
            raw,
            &changes,
            &self.privilege,
        );
    }
}

/// The pod spec of a workload object.
fn pod_spec<'a>(kind: &str, object: &'a Value) -> &'a Value {
    match kind {
        "Pod" => &object["spec"],
        "CronJob" => &object["spec"]["jobTemplate"]["spec"]["template"]["spec"],
        _ => &object["spec"]["template"]["spec"],
    }
}

/// Every container image of a workload object, init and ephemeral containers included.
fn images(kind: &str, object: &Value) -> Vec<String> {
    let spec = pod_spec(kind, object);
    ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .flat_map(|k| spec[*k].as_array().into_iter().flatten())
        .filter_map(|c| c["image"].as_str().map(str::to_string))
        .collect()
}

/// The `sha256:` digest an image reference pins (`repo@sha256:…`).
pub(crate) fn digest_of(image: &str) -> Option<String> {
    let (_, digest) = image.rsplit_once('@')?;
    let hex = digest.strip_prefix("sha256:")?;
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("sha256:{}", hex.to_ascii_lowercase()))
}

/// The policy and rule a denial message names: Kyverno's webhook (`… blocked due to the
/// following policies` then `policy:` and `  rule: message` lines), a ValidatingAdmissionPolicy
/// (`ValidatingAdmissionPolicy 'name'`), or Pod Security (`violates PodSecurity "level"`).
fn denied_by(message: &str) -> (Option<String>, Option<String>) {
    static VAP: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"ValidatingAdmissionPolicy '([^']+)'").expect("a regex"));
    static PSA: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"violates PodSecurity "([^"]+)""#).expect("a regex"));
    if let Some((_, rest)) = message.split_once("blocked due to the following policies") {
        let mut policy = None;
        for line in rest.lines() {
            let bare = line.trim_end();
            if bare.is_empty() {
                continue;
            }
            if !bare.starts_with(' ') {
                if policy.is_some() {
                    break;
                }
                policy = bare.strip_suffix(':').map(str::to_string);
            } else if let Some(p) = &policy {
                let rule = bare
                    .trim_start()
                    .split_once(':')
                    .map(|(r, _)| r.to_string());
                return (Some(p.clone()), rule);
            }
        }
        return (policy, None);
    }
    if let Some(c) = VAP.captures(message) {
        return (Some(c[1].to_string()), None);
    }
    if let Some(c) = PSA.captures(message) {
        return (Some(format!("PodSecurity {}", &c[1])), None);
    }
    (None, None)
}

/// The policy an admitted request was audited (not enforced) by, from the annotations a
/// ValidatingAdmissionPolicy in `Audit` writes.
fn audited_by(annotations: &Value) -> (Option<String>, Option<String>) {
    let failures = annotations["validation.policy.admission.k8s.io/validation_failure"]
        .as_str()
        .and_then(|s| serde_json::from_str::<Vec<Map<String, Value>>>(s).ok());
    let policy = failures
        .and_then(|f| f.first().and_then(|f| f.get("policy")).cloned())
        .and_then(|p| p.as_str().map(str::to_string));
    (policy, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denials_name_their_policy_and_rule_as_each_admission_controller_writes_them() {
        let kyverno = "admission webhook \"validate.kyverno.svc-fail\" denied the request: \n\nresource Pod/prod/web was blocked due to the following policies \n\nverify-images:\n  check-signature: 'image verification failed for ghcr.io/acme/web:1.2: no signatures found'\n";
        assert_eq!(
            denied_by(kyverno),
            (Some("verify-images".into()), Some("check-signature".into()))
        );
        let vap = "deployments.apps \"web\" is forbidden: ValidatingAdmissionPolicy 'replicas.example.com' with binding 'b' denied request: failed expression: object.spec.replicas <= 5";
        assert_eq!(denied_by(vap), (Some("replicas.example.com".into()), None));
        let psa = "pods \"x\" is forbidden: violates PodSecurity \"restricted:latest\": privileged";
        assert_eq!(
            denied_by(psa),
            (Some("PodSecurity restricted:latest".into()), None)
        );
        assert_eq!(denied_by("quota exceeded"), (None, None));
    }

    #[test]
    fn only_a_full_sha256_pins_an_image() {
        let hex = "a".repeat(64);
        assert_eq!(
            digest_of(&format!("ghcr.io/acme/web:1@sha256:{hex}")),
            Some(format!("sha256:{hex}"))
        );
        assert_eq!(digest_of("ghcr.io/acme/web:1"), None);
        assert_eq!(digest_of("ghcr.io/acme/web@sha256:abc"), None);
    }
}
