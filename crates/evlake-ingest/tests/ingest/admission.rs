//! Kubernetes admission evidence: the audit-event fixtures (`../shared/fixtures/k8s-audit`)
//! and the Kyverno reports and policies (`../shared/fixtures/kyverno`), with rows asserted; a
//! growing audit log read on from its offset; webhook `EventList` batches; policy versions
//! kept once per content and dated from when the audit log saw them change.

use std::io::Write as _;

use evlake_ingest::IngestRun;
use evlake_store::Lake;
use serde_json::{Map, Value, json};

use super::{fixtures, rows};

fn get(row: &Map<String, Value>, key: &str) -> Value {
    row.get(key).cloned().unwrap_or(Value::Null)
}

fn project(rows: &[Map<String, Value>], keys: &[&str]) -> Vec<Vec<Value>> {
    rows.iter()
        .map(|r| keys.iter().map(|k| get(r, k)).collect())
        .collect()
}

#[tokio::test]
async fn every_k8s_audit_fixture_ingests_with_its_bindings() {
    let lake = Lake::open("memory://").unwrap();
    let run = IngestRun::new(lake.clone(), "k8s-audit", "audit", &Map::new()).unwrap();
    let summary = run.ingest_paths(&[fixtures("k8s-audit")]).await.unwrap();
    // Two secret creations decide nothing q4 or q5 read; the binding grants cluster-admin.
    assert_eq!(
        (
            summary.files,
            summary.records,
            summary.skipped,
            summary.quarantined
        ),
        (3, 1, 2, 0)
    );
    let got = rows(
        &lake,
        "SELECT provider, account, actor, action, outcome, effect, principal_kind, principal, \
         permission_kind, permission, scope, privileged FROM iam_events",
    )
    .await;
    assert_eq!(
        project(
            &got,
            &[
                "provider",
                "action",
                "effect",
                "principal_kind",
                "principal",
                "permission_kind",
                "permission",
                "scope",
                "privileged"
            ]
        ),
        vec![vec![
            json!("kubernetes"),
            json!("create clusterrolebindings"),
            json!("grant"),
            json!("user"),
            json!("minikube"),
            json!("cluster_role"),
            json!("cluster-admin"),
            json!("default"),
            json!(true),
        ]]
    );
}

#[tokio::test]
async fn every_kyverno_fixture_ingests_as_report_results_and_a_versioned_policy() {
    let lake = Lake::open("memory://").unwrap();
    let run = IngestRun::new(lake.clone(), "kyverno", "kyverno", &Map::new()).unwrap();
    let summary = run.ingest_paths(&[fixtures("kyverno")]).await.unwrap();
    // 2 + 2 ClusterPolicyReport results, 1 image-verification failure, 1 Policy WG sample
    // result (reports.x-k8s.io), 1 policy.
    assert_eq!(
        (summary.files, summary.records, summary.quarantined),
        (4, 7, 0)
    );
    let results = rows(
        &lake,
        "SELECT record_kind, namespace, resource_kind, resource_name, policy, rule, result, \
         CAST(event_time AS VARCHAR) AS t FROM admission_decisions \
         ORDER BY resource_name, policy, rule",
    )
    .await;
    let table = project(
        &results,
        &["resource_kind", "resource_name", "policy", "rule", "result"],
    );
    assert_eq!(
        table,
        vec![
            vec![
                json!("Namespace"),
                json!("good-ns-1"),
                json!("check-ns-labels"),
                json!("require-ns-env-label"),
                json!("fail")
            ],
            vec![
                json!("Namespace"),
                json!("good-ns-1"),
                json!("check-ns-labels"),
                json!("require-ns-purpose-label"),
                json!("pass")
            ],
            vec![
                json!("Namespace"),
                json!("good-ns-2"),
                json!("check-ns-labels"),
                json!("require-ns-env-label"),
                json!("pass")
            ],
            vec![
                json!("Namespace"),
                json!("good-ns-2"),
                json!("check-ns-labels"),
                json!("require-ns-purpose-label"),
                json!("pass")
            ],
            vec![
                json!("Pod"),
                json!("kyverno-6d88f6dcdd-k6bc5"),
                json!("disallow-capabilities"),
                json!("adding-capabilities"),
                json!("pass")
            ],
            vec![
                json!("Deployment"),
                json!("test-deployment-ivpol-background"),
                json!("ivpol-report-background-sample"),
                Value::Null,
                json!("fail")
            ],
        ]
    );
    assert!(results.iter().all(|r| r["record_kind"] == json!("report")));
    // The Policy WG sample's result carries its own time.
    let sample = results
        .iter()
        .find(|r| r["policy"] == json!("disallow-capabilities"))
        .unwrap();
    assert_eq!(sample["t"], json!("2023-03-23T10:04:54Z"));
    assert_eq!(sample["namespace"], json!("nirmata"));

    let policies = rows(
        &lake,
        "SELECT policy, policy_kind, policy_version, mode, verifies_images, image_references, \
         attestors, spec_sha256 FROM policies",
    )
    .await;
    assert_eq!(policies.len(), 1);
    let p = &policies[0];
    assert_eq!(
        project(
            &policies,
            &[
                "policy",
                "policy_kind",
                "mode",
                "verifies_images",
                "image_references"
            ]
        ),
        vec![vec![
            json!("keyed-basic-policy"),
            json!("Policy"),
            json!("audit"),
            json!(true),
            json!(["ghcr.io/kyverno/test-verify-image:*"]),
        ]]
    );
    assert!(
        get(p, "attestors")
            .as_str()
            .unwrap()
            .contains("\"rekor\":{\"ignoreTlog\":true,\"url\":\"https://rekor.sigstore.dev\"}")
    );
    assert_eq!(
        get(p, "policy_version"),
        json!(format!(
            "sha256:{}",
            &get(p, "spec_sha256").as_str().unwrap()[..12]
        ))
    );
}

const DIGEST_A: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const DIGEST_B: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

/// An audit event as the API server's log backend writes it (one line, `audit.k8s.io/v1`).
fn event(id: &str, stage: &str, at: &str, verb: &str, object: Value, status: Value) -> String {
    let kind = object["kind"].as_str().unwrap_or("Pod").to_string();
    let resource = format!("{}s", kind.to_ascii_lowercase());
    let name = object["metadata"]["name"].clone();
    let mut e = json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
        "auditID": id, "stage": stage, "verb": verb,
        "requestURI": format!("/apis/apps/v1/namespaces/prod/{resource}"),
        "user": {"username": "deployer@acme.example", "groups": ["system:authenticated"]},
        "sourceIPs": ["10.0.0.7"],
        "objectRef": {"resource": resource, "namespace": "prod", "name": name, "apiGroup": "apps", "apiVersion": "v1"},
        "responseStatus": status,
        "requestObject": object,
        "requestReceivedTimestamp": at, "stageTimestamp": at,
        "annotations": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""},
    });
    if e["responseStatus"]["code"].as_i64().unwrap_or(200) < 400 {
        e["responseObject"] = e["requestObject"].clone();
    }
    format!("{e}\n")
}

fn deployment(name: &str, image: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "prod"},
        "spec": {"template": {"spec": {
            "initContainers": [{"name": "migrate", "image": format!("ghcr.io/acme/migrate@{DIGEST_B}")}],
            "containers": [{"name": "app", "image": image}, {"name": "sidecar", "image": "envoyproxy/envoy:v1.31"}]}}}})
}

const KYVERNO_DENIAL: &str = "admission webhook \"validate.kyverno.svc-fail\" denied the request: \n\nresource Deployment/prod/api was blocked due to the following policies \n\nverify-images:\n  check-signature: 'image verification failed for ghcr.io/acme/api:2.0: no signatures found'\n";

#[tokio::test]
async fn a_growing_audit_log_is_read_on_from_its_offset_and_webhook_batches_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let lake = Lake::open("memory://").unwrap();
    let mut settings = Map::new();
    settings.insert("cluster".into(), json!("prod-eu"));
    let run = IngestRun::new(lake.clone(), "k8s-audit", "audit", &settings).unwrap();
    let web = deployment("web", &format!("ghcr.io/acme/web:1.4@{DIGEST_A}"));
    let mut file = std::fs::File::create(&path).unwrap();
    // The request stage first, then its decision; the request stage decides nothing.
    file.write_all(
        event(
            "a1",
            "RequestReceived",
            "2026-11-20T10:00:00Z",
            "create",
            web.clone(),
            json!(null),
        )
        .as_bytes(),
    )
    .unwrap();
    file.write_all(
        event(
            "a1",
            "ResponseComplete",
            "2026-11-20T10:00:01Z",
            "create",
            web.clone(),
            json!({"code": 201}),
        )
        .as_bytes(),
    )
    .unwrap();
    file.flush().unwrap();
    let first = run.ingest_paths(&[dir.path().to_path_buf()]).await.unwrap();
    assert_eq!((first.records, first.skipped), (1, 1));

    // A denial arrives, and the first decision is written again (a replayed log).
    let api = deployment("api", "ghcr.io/acme/api:2.0");
    file.write_all(
        event("a2", "ResponseComplete", "2026-11-20T11:00:00Z", "create", api,
            json!({"code": 400, "status": "Failure", "reason": "BadRequest", "message": KYVERNO_DENIAL}))
        .as_bytes(),
    )
    .unwrap();
    file.flush().unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    let second = run.ingest_paths(&[dir.path().to_path_buf()]).await.unwrap();
    assert_eq!(second.records, 1);
    assert!(second.bytes < size, "{} of {size} bytes read", second.bytes);

    // A webhook receiver's batch: an EventList holding the first decision again and a new one.
    let batch = dir.path().join("batch-0001.json");
    let list = json!({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {}, "items": [
        serde_json::from_str::<Value>(&event("a1", "ResponseComplete", "2026-11-20T10:00:01Z", "create", web, json!({"code": 201}))).unwrap(),
        serde_json::from_str::<Value>(&event("a3", "ResponseComplete", "2026-11-21T09:00:00Z", "patch",
            deployment("web", &format!("ghcr.io/acme/web:1.5@{DIGEST_B}")), json!({"code": 200}))).unwrap(),
    ]});
    std::fs::write(&batch, serde_json::to_vec_pretty(&list).unwrap()).unwrap();
    let third = run.ingest_paths(&[dir.path().to_path_buf()]).await.unwrap();
    assert_eq!(
        (
            third.records,
            third.tables["admission_decisions"].duplicates
        ),
        (2, 1)
    );

    let got = rows(
        &lake,
        "SELECT audit_id, cluster_name, namespace, resource_kind, resource_name, operation, person, \
         allowed, status_code, result, policy, rule, images, image_digests \
         FROM admission_decisions ORDER BY event_time",
    )
    .await;
    assert_eq!(
        project(
            &got,
            &[
                "audit_id",
                "cluster_name",
                "resource_name",
                "operation",
                "person",
                "allowed",
                "status_code",
                "policy",
                "rule"
            ]
        ),
        vec![
            vec![
                json!("a1"),
                json!("prod-eu"),
                json!("web"),
                json!("create"),
                json!("deployer@acme.example"),
                json!(true),
                json!(201),
                Value::Null,
                Value::Null
            ],
            vec![
                json!("a2"),
                json!("prod-eu"),
                json!("api"),
                json!("create"),
                json!("deployer@acme.example"),
                json!(false),
                json!(400),
                json!("verify-images"),
                json!("check-signature")
            ],
            vec![
                json!("a3"),
                json!("prod-eu"),
                json!("web"),
                json!("patch"),
                json!("deployer@acme.example"),
                json!(true),
                json!(200),
                Value::Null,
                Value::Null
            ],
        ]
    );
    assert_eq!(
        get(&got[0], "images"),
        json!([
            format!("ghcr.io/acme/migrate@{DIGEST_B}"),
            format!("ghcr.io/acme/web:1.4@{DIGEST_A}"),
            "envoyproxy/envoy:v1.31"
        ])
    );
    assert_eq!(get(&got[0], "image_digests"), json!([DIGEST_B, DIGEST_A]));
    assert_eq!(get(&got[1], "image_digests"), json!([DIGEST_B]));
    assert_eq!(get(&got[1], "result"), json!("denied"));
}

fn kyverno_policy(action: &str, generation: u32) -> Value {
    json!({"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy",
        "metadata": {"name": "verify-images", "generation": generation, "resourceVersion": format!("{}", 1000 + generation)},
        "spec": {"validationFailureAction": action, "rules": [{"name": "check-signature",
            "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
            "verifyImages": [{"imageReferences": ["ghcr.io/acme/*"], "attestors": [{"entries": [{"keyless": {
                "subject": "https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main",
                "issuer": "https://token.actions.githubusercontent.com",
                "rekor": {"url": "https://rekor.sigstore.dev"}}}]}]}]}]}})
}

#[tokio::test]
async fn a_policy_is_versioned_once_per_content_from_the_change_the_audit_log_saw() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open("memory://").unwrap();
    // An export taken on 11-01 holds the policy in Audit.
    let exports = dir.path().join("exports/2026-11-01T06:00:00Z");
    std::fs::create_dir_all(&exports).unwrap();
    std::fs::write(
        exports.join("policies.json"),
        serde_json::to_vec(
            &json!({"apiVersion": "v1", "kind": "List", "items": [kyverno_policy("Audit", 1)]}),
        )
        .unwrap(),
    )
    .unwrap();
    let kyverno = IngestRun::new(lake.clone(), "kyverno", "kyverno", &Map::new()).unwrap();
    assert_eq!(
        kyverno
            .ingest_paths(&[dir.path().join("exports")])
            .await
            .unwrap()
            .records,
        1
    );
    // The audit log saw it switched to Enforce on 11-10.
    let log = dir.path().join("audit");
    std::fs::create_dir_all(&log).unwrap();
    let update = json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": "p2", "stage": "ResponseComplete",
        "verb": "update", "user": {"username": "admin@acme.example"},
        "objectRef": {"resource": "clusterpolicies", "name": "verify-images", "apiGroup": "kyverno.io", "apiVersion": "v1"},
        "responseStatus": {"code": 200}, "stageTimestamp": "2026-11-10T12:00:00Z",
        "responseObject": kyverno_policy("Enforce", 2)});
    std::fs::write(log.join("audit.log"), format!("{update}\n")).unwrap();
    let audit = IngestRun::new(lake.clone(), "k8s-audit", "audit", &Map::new()).unwrap();
    assert_eq!(
        audit
            .ingest_paths(std::slice::from_ref(&log))
            .await
            .unwrap()
            .records,
        1
    );
    // Later exports hold the content the audit log saw change: no new version; exported
    // twice it is one row of the export's source.
    for day in ["2026-11-15T06:00:00Z", "2026-11-16T06:00:00Z"] {
        let later = dir.path().join("exports").join(day);
        std::fs::create_dir_all(&later).unwrap();
        std::fs::write(
            later.join("policies.json"),
            serde_json::to_vec(&kyverno_policy("Enforce", 2)).unwrap(),
        )
        .unwrap();
    }
    let third = kyverno
        .ingest_paths(&[dir.path().join("exports")])
        .await
        .unwrap();
    assert_eq!((third.records, third.tables["policies"].duplicates), (2, 1));

    // Each version is valid from when it was first seen.
    let got = rows(
        &lake,
        "SELECT policy, policy_version, mode, CAST(MIN(event_time) AS VARCHAR) AS t, \
         COUNT(*) AS n, MIN(attestors) AS attestors FROM policies \
         GROUP BY policy, policy_version, mode, spec_sha256 ORDER BY t",
    )
    .await;
    assert_eq!(
        project(&got, &["policy", "policy_version", "mode", "t", "n"]),
        vec![
            vec![
                json!("verify-images"),
                json!("1"),
                json!("audit"),
                json!("2026-11-01T06:00:00Z"),
                json!(1)
            ],
            vec![
                json!("verify-images"),
                json!("2"),
                json!("enforce"),
                json!("2026-11-10T12:00:00Z"),
                json!(2)
            ],
        ]
    );
    assert!(
        get(&got[1], "attestors")
            .as_str()
            .unwrap()
            .contains("\"issuer\":\"https://token.actions.githubusercontent.com\"")
    );

    // On 11-20 it is switched back to Audit, to Enforce and to Audit again — the same
    // content twice in one day, each change its own sighting — then deleted; a server-side
    // dry run of another switch changes nothing.
    let change = |id: &str, at: &str, verb: &str, object: Option<Value>, uri: &str| {
        let mut e = json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": id,
            "stage": "ResponseComplete", "verb": verb, "user": {"username": "admin@acme.example"},
            "requestURI": uri,
            "objectRef": {"resource": "clusterpolicies", "name": "verify-images", "apiGroup": "kyverno.io", "apiVersion": "v1"},
            "responseStatus": {"code": 200}, "stageTimestamp": at});
        if let Some(o) = object {
            e["responseObject"] = o;
        }
        format!("{e}\n")
    };
    let uri = "/apis/kyverno.io/v1/clusterpolicies/verify-images";
    let day = [
        change(
            "p3",
            "2026-11-20T09:00:00Z",
            "update",
            Some(kyverno_policy("Audit", 3)),
            uri,
        ),
        change(
            "p4",
            "2026-11-20T10:00:00Z",
            "update",
            Some(kyverno_policy("Enforce", 4)),
            uri,
        ),
        change(
            "p5",
            "2026-11-20T11:00:00Z",
            "update",
            Some(kyverno_policy("Audit", 5)),
            uri,
        ),
        change(
            "p6",
            "2026-11-20T11:30:00Z",
            "update",
            Some(kyverno_policy("Enforce", 6)),
            &format!("{uri}?dryRun=All"),
        ),
        change("p7", "2026-11-20T12:00:00Z", "delete", None, uri),
    ];
    std::fs::write(log.join("audit-2026-11-20.log"), day.concat()).unwrap();
    let later = audit
        .ingest_paths(&[log.join("audit-2026-11-20.log")])
        .await
        .unwrap();
    assert_eq!((later.records, later.skipped), (4, 1), "{later:?}");
    let got = rows(
        &lake,
        "SELECT policy_version, mode, verifies_images FROM policies \
         WHERE event_time >= '2026-11-20T00:00:00Z' ORDER BY event_time",
    )
    .await;
    assert_eq!(
        project(&got, &["policy_version", "mode", "verifies_images"]),
        vec![
            vec![json!("3"), json!("audit"), json!(true)],
            vec![json!("4"), json!("enforce"), json!(true)],
            vec![json!("5"), json!("audit"), json!(true)],
            vec![json!("deleted"), json!("deleted"), json!(false)],
        ]
    );
}
