//! An admission policy object as a `policies` row: Kyverno ClusterPolicy / Policy and
//! ImageValidatingPolicy. Shared with `k8s-audit`, which sees policies created and updated.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// Whether `(api_version, kind)` is an admission policy evlake versions.
pub(crate) fn is_policy(object: &Value) -> bool {
    let api = object["apiVersion"].as_str().unwrap_or("");
    let kind = object["kind"].as_str().unwrap_or("");
    (api.starts_with("kyverno.io/") && matches!(kind, "ClusterPolicy" | "Policy"))
        || (api.starts_with("policies.kyverno.io/") && kind == "ImageValidatingPolicy")
}

/// JSON with every object's keys sorted and no spaces: what a spec's hash is taken over, so
/// the same policy hashes the same however it was serialised.
pub(crate) fn canonical(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<_> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", Value::String((*k).clone()), canonical(&map[*k])))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

/// The mode of a Kyverno action: `Enforce`/`enforce`/`Deny` enforce; anything else audits.
fn enforces(action: Option<&str>) -> bool {
    matches!(
        action.map(str::to_ascii_lowercase).as_deref(),
        Some("enforce" | "deny")
    )
}

/// What a policy object is, as a `policies` row's columns, and its `source_id` (name and spec
/// hash: each distinct content once).
pub(crate) fn policy_row(object: &Value) -> Option<(String, Map<String, Value>)> {
    if !is_policy(object) {
        return None;
    }
    let kind = object["kind"].as_str()?;
    let meta = &object["metadata"];
    let name = meta["name"].as_str()?;
    let namespace = meta["namespace"].as_str().filter(|_| kind == "Policy");
    let policy = match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    };
    let spec = &object["spec"];
    let spec_sha256 = hex::encode(Sha256::digest(canonical(spec).as_bytes()));
    let generation = meta["generation"].as_i64();
    let mut image_references = Vec::new();
    let mut attestors = Vec::new();
    let (mode, verifies_images) = if kind == "ImageValidatingPolicy" {
        for r in spec["matchImageReferences"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(g) = r["glob"].as_str().or(r["expression"].as_str()) {
                image_references.push(g.to_string());
            }
        }
        attestors.extend(spec["attestors"].as_array().into_iter().flatten().cloned());
        let actions: Vec<&str> = spec["validationActions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        (actions.iter().any(|a| enforces(Some(a))), true)
    } else {
        let default = spec["validationFailureAction"].as_str();
        let mut deciding = Vec::new();
        let mut verifies = false;
        for rule in spec["rules"].as_array().into_iter().flatten() {
            if let Some(v) = rule["validate"].as_object() {
                deciding.push(enforces(
                    v.get("failureAction").and_then(Value::as_str).or(default),
                ));
            }
            for vi in rule["verifyImages"].as_array().into_iter().flatten() {
                verifies = true;
                deciding.push(enforces(vi["failureAction"].as_str().or(default)));
                for r in vi["imageReferences"].as_array().into_iter().flatten() {
                    if let Some(r) = r.as_str() {
                        image_references.push(r.to_string());
                    }
                }
                attestors.extend(vi["attestors"].as_array().into_iter().flatten().cloned());
            }
        }
        (
            !deciding.is_empty() && deciding.iter().all(|e| *e),
            verifies,
        )
    };
    let Value::Object(fields) = json!({
        "policy": policy,
        "policy_kind": kind,
        "api_version": object["apiVersion"],
        "namespace": namespace,
        // Kubernetes counts a spec's changes in `generation`; an export without it is told
        // apart by its content.
        "policy_version": generation.map_or_else(|| format!("sha256:{}", &spec_sha256[..12]), |g| g.to_string()),
        "generation": generation,
        "resource_version": meta["resourceVersion"],
        "mode": if mode { "enforce" } else { "audit" },
        "verifies_images": verifies_images,
        "image_references": image_references,
        "attestors": (!attestors.is_empty()).then(|| canonical(&Value::Array(attestors))),
        "spec_sha256": spec_sha256,
    }) else {
        unreachable!("an object")
    };
    Some((format!("{policy}|{spec_sha256}"), fields))
}

/// The `policies` row that ends a policy's versions when the audit log shows it deleted (a
/// delete names the policy, not its content): mode `deleted`, verifying nothing. `None` for
/// a resource that is not a policy evlake versions.
pub(crate) fn deleted_row(
    resource: &str,
    api_group: &str,
    name: &str,
    namespace: Option<&str>,
) -> Option<Map<String, Value>> {
    let kind = match (api_group, resource) {
        ("kyverno.io", "clusterpolicies") => "ClusterPolicy",
        ("kyverno.io", "policies") => "Policy",
        ("policies.kyverno.io", "imagevalidatingpolicies") => "ImageValidatingPolicy",
        _ => return None,
    };
    let namespace = namespace.filter(|_| kind == "Policy");
    let Value::Object(fields) = json!({
        "policy": namespace.map_or_else(|| name.to_string(), |ns| format!("{ns}/{name}")),
        "policy_kind": kind,
        "namespace": namespace,
        "policy_version": "deleted",
        "mode": "deleted",
        "verifies_images": false,
        "image_references": [],
        "spec_sha256": "deleted",
    }) else {
        unreachable!("an object")
    };
    Some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(yaml: &str) -> Map<String, Value> {
        policy_row(&serde_saphyr::from_str::<Value>(yaml).unwrap())
            .unwrap()
            .1
    }

    #[test]
    fn a_policy_enforces_only_when_every_deciding_rule_does() {
        let base = "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: p, generation: 3}\nspec:\n";
        let all = row(&format!(
            "{base}  validationFailureAction: Enforce\n  rules:\n  - name: a\n    validate: {{}}\n  - name: b\n    verifyImages: [{{imageReferences: ['ghcr.io/acme/*']}}]\n"
        ));
        assert_eq!(
            (all["mode"].clone(), all["verifies_images"].clone()),
            (json!("enforce"), json!(true))
        );
        assert_eq!(all["policy_version"], json!("3"));
        let one_audits = row(&format!(
            "{base}  validationFailureAction: Enforce\n  rules:\n  - name: a\n    validate: {{}}\n  - name: b\n    verifyImages: [{{failureAction: Audit}}]\n"
        ));
        assert_eq!(one_audits["mode"], json!("audit"));
        let legacy = row(&format!(
            "{base}  validationFailureAction: enforce\n  rules:\n  - name: a\n    validate: {{}}\n"
        ));
        assert_eq!(legacy["mode"], json!("enforce"));
        let by_default = row(&format!(
            "{base}  rules:\n  - name: a\n    validate: {{}}\n"
        ));
        assert_eq!(by_default["mode"], json!("audit"));
        let ivpol = row(
            "apiVersion: policies.kyverno.io/v1alpha1\nkind: ImageValidatingPolicy\nmetadata: {name: i}\nspec:\n  validationActions: [Deny]\n  matchImageReferences: [{glob: 'ghcr.io/*'}]\n",
        );
        assert_eq!(
            (ivpol["mode"].clone(), ivpol["image_references"].clone()),
            (json!("enforce"), json!(["ghcr.io/*"]))
        );
        assert!(
            ivpol["policy_version"]
                .as_str()
                .unwrap()
                .starts_with("sha256:")
        );
    }

    #[test]
    fn the_spec_hash_ignores_key_order() {
        let a: Value =
            serde_json::from_str(r#"{"b":1,"a":{"y":[1,{"q":2,"p":3}],"x":"s"}}"#).unwrap();
        let b: Value =
            serde_json::from_str(r#"{"a":{"x":"s","y":[1,{"p":3,"q":2}]},"b":1}"#).unwrap();
        assert_eq!(canonical(&a), canonical(&b));
        assert_eq!(
            canonical(&a),
            r#"{"a":{"x":"s","y":[1,{"p":3,"q":2}]},"b":1}"#
        );
    }
}
