//! q5 against hand-written evidence in the tools' own formats: API-server audit events of a
//! production namespace, a Kyverno policy exported in `Audit` and switched to `Enforce` (the
//! change seen in the audit log), and DSSE provenance signed with a generated ECDSA P-256 key —
//! verified, tampered, missing, and ingested late. Asked just before and after the mode
//! change, at several known-at instants, and checked against DuckDB on the same SQL.

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use evlake_core::FixedClock;
use evlake_ingest::IngestRun;
use evlake_query::{Answer, QuerySession, Verdict, batches_to_rows};
use evlake_store::Lake;
use evlake_synth::{AdmissionTruth, Maturity};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Map, Value, json};

use super::bound::{assert_same_rows, duckdb_rows, statements};
use super::{end_of, ingest, organisation_of};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn digest(c: char) -> String {
    format!("sha256:{}", c.to_string().repeat(64))
}

/// A release key: signs DSSE envelopes; its public key as a PEM SubjectPublicKeyInfo.
struct Key(EcdsaKeyPair);

impl Key {
    fn new() -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        Self(
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
                .unwrap(),
        )
    }

    fn pem(&self) -> String {
        // The DER SubjectPublicKeyInfo of a P-256 key is this prefix and the point.
        let mut der = hex_decode("3059301306072a8648ce3d020106082a8648ce3d030107034200");
        der.extend_from_slice(self.0.public_key().as_ref());
        let b64 = STANDARD.encode(der);
        let lines: Vec<&str> = (0..b64.len())
            .step_by(64)
            .map(|i| &b64[i..(i + 64).min(b64.len())])
            .collect();
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            lines.join("\n")
        )
    }

    /// A DSSE envelope over an in-toto Statement v1 with a SLSA v1 predicate for `subject`.
    fn envelope(&self, subject: &str, commit: &str, run: &str, built: &str) -> Value {
        let statement = json!({"_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "ghcr.io/acme/web", "digest": {"sha256": subject.trim_start_matches("sha256:")}}],
            "predicateType": "https://slsa.dev/provenance/v1",
            "predicate": {"buildDefinition": {"buildType": "https://actions.github.io/buildtypes/workflow/v1",
                "externalParameters": {"workflow": {"repository": "https://github.com/acme/web", "path": ".github/workflows/release.yml", "ref": "refs/heads/main"}},
                "resolvedDependencies": [{"uri": "git+https://github.com/acme/web@refs/heads/main", "digest": {"gitCommit": commit}}]},
              "runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"},
                "metadata": {"invocationId": format!("https://github.com/acme/web/actions/runs/{run}/attempts/1"), "finishedOn": built}}}});
        let payload = serde_json::to_vec(&statement).unwrap();
        let pae = evlake_core::dsse_pae("application/vnd.in-toto+json", &payload);
        let sig = self.0.sign(&SystemRandom::new(), &pae).unwrap();
        json!({"payloadType": "application/vnd.in-toto+json", "payload": STANDARD.encode(&payload),
            "signatures": [{"keyid": "", "sig": STANDARD.encode(sig.as_ref())}]})
    }
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn admission(id: &str, time: &str, name: &str, image: &str, denial: Option<&str>) -> Value {
    let object = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "prod"},
        "spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}}});
    let mut e = json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
        "auditID": id, "stage": "ResponseComplete", "verb": "create",
        "user": {"username": "deployer@acme.example"},
        "objectRef": {"resource": "deployments", "namespace": "prod", "name": name, "apiGroup": "apps", "apiVersion": "v1"},
        "requestObject": object, "requestReceivedTimestamp": time, "stageTimestamp": time,
        "annotations": {"authorization.k8s.io/decision": "allow"}});
    match denial {
        Some(message) => {
            e["responseStatus"] = json!({"code": 400, "status": "Failure", "message": message})
        }
        None => {
            e["responseStatus"] = json!({"code": 201});
            e["responseObject"] = e["requestObject"].clone();
        }
    }
    e
}

fn policy(action: &str, generation: u32) -> Value {
    json!({"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy",
        "metadata": {"name": "verify-images", "generation": generation},
        "spec": {"validationFailureAction": action, "rules": [{"name": "check-signature",
            "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
            "verifyImages": [{"imageReferences": ["ghcr.io/acme/*"], "attestors": [{"entries": [{"keys": {"publicKeys": "…"}}]}]}]}]}})
}

const DENIAL: &str = "admission webhook \"validate.kyverno.svc-fail\" denied the request: \n\nresource Deployment/prod/api was blocked due to the following policies \n\nverify-images:\n  check-signature: 'image verification failed for ghcr.io/acme/api: invalid signature'\n";

const SWITCH: &str = "2026-11-20T12:00:00Z";

/// The planted history (all in namespace `prod`):
/// - verify-images v1 `Audit` exported 11-01; switched to `Enforce` (v2) at 12:00 on 11-20;
/// - 11-10 web@A (verified provenance); 11-15 api@B (no provenance, admitted in audit mode);
/// - 11-20 11:59 web@A under v1, 12:01 web@A under v2;
/// - 11-22 api@C denied by verify-images (its provenance tampered);
/// - 11-25 web@D (verified provenance, ingested late: on 11-28).
async fn lake(dir: &Path) -> Lake {
    let key = Key::new();
    std::fs::write(dir.join("release.pub"), key.pem()).unwrap();
    let audit = dir.join("audit");
    std::fs::create_dir_all(&audit).unwrap();
    let image = |c: char, repo: &str| format!("ghcr.io/acme/{repo}@{}", digest(c));
    let mut switch = json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": "p2", "stage": "ResponseComplete",
        "verb": "update", "user": {"username": "admin@acme.example"},
        "objectRef": {"resource": "clusterpolicies", "name": "verify-images", "apiGroup": "kyverno.io", "apiVersion": "v1"},
        "responseStatus": {"code": 200}, "stageTimestamp": SWITCH});
    switch["responseObject"] = policy("Enforce", 2);
    let events = [
        admission(
            "a1",
            "2026-11-10T10:00:00Z",
            "web",
            &image('a', "web"),
            None,
        ),
        admission(
            "a2",
            "2026-11-15T10:00:00Z",
            "api",
            &image('b', "api"),
            None,
        ),
        admission(
            "a3",
            "2026-11-20T11:59:00Z",
            "web",
            &image('a', "web"),
            None,
        ),
        switch,
        admission(
            "a4",
            "2026-11-20T12:01:00Z",
            "web",
            &image('a', "web"),
            None,
        ),
        admission(
            "a5",
            "2026-11-22T10:00:00Z",
            "api",
            &image('c', "api"),
            Some(DENIAL),
        ),
        admission(
            "a6",
            "2026-11-25T10:00:00Z",
            "web",
            &image('d', "web"),
            None,
        ),
    ];
    let lines: String = events.iter().map(|e| format!("{e}\n")).collect();
    std::fs::write(audit.join("audit.log"), lines).unwrap();
    let exports = dir.join("kyverno/2026-11-01T06:00:00Z");
    std::fs::create_dir_all(&exports).unwrap();
    std::fs::write(
        exports.join("policies.json"),
        policy("Audit", 1).to_string(),
    )
    .unwrap();
    let provenance = dir.join("provenance");
    std::fs::create_dir_all(&provenance).unwrap();
    let mut tampered = key.envelope(&digest('c'), "c0ffee", "103", "2026-11-21T09:00:00Z");
    let other = key.envelope(&digest('e'), "c0ffee", "103", "2026-11-21T09:00:00Z");
    tampered["signatures"] = other["signatures"].clone();
    let lines = [
        key.envelope(&digest('a'), "aaaa111", "101", "2026-11-05T09:00:00Z"),
        tampered,
    ];
    std::fs::write(
        provenance.join("attestations.intoto.jsonl"),
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
    let late = dir.join("provenance-late");
    std::fs::create_dir_all(&late).unwrap();
    std::fs::write(
        late.join("web-d.intoto.jsonl"),
        format!(
            "{}\n",
            key.envelope(&digest('d'), "dddd444", "104", "2026-11-24T09:00:00Z")
        ),
    )
    .unwrap();

    // The release workflow's SAST job, as `GET /repos/acme/web/actions/runs/{id}/jobs` lists
    // it: failed for web@A's commit, passed for web@D's.
    let ci = dir.join("ci");
    std::fs::create_dir_all(&ci).unwrap();
    let job = |id: u64, run: u64, sha: &str, conclusion: &str, t: &str| {
        json!({"id": id, "run_id": run, "run_attempt": 1, "workflow_name": "release", "name": "CodeQL",
            "head_sha": sha, "head_branch": "main", "status": "completed", "conclusion": conclusion,
            "created_at": t, "started_at": t, "completed_at": t,
            "html_url": format!("https://github.com/acme/web/actions/runs/{run}/job/{id}")})
    };
    std::fs::write(
        ci.join("jobs.json"),
        json!({"total_count": 2, "jobs": [
            job(9001, 101, "aaaa111", "failure", "2026-11-05T08:50:00Z"),
            job(9004, 104, "dddd444", "success", "2026-11-24T08:50:00Z"),
        ]})
        .to_string(),
    )
    .unwrap();
    let mut github = Map::new();
    github.insert("repo".into(), json!("acme/web"));
    github.insert("gates".into(), json!({"sast": ["CodeQL*"]}));

    let lake = Lake::open(&dir.join("lake").display().to_string()).unwrap();
    let mut in_toto = Map::new();
    in_toto.insert(
        "keys".into(),
        json!([{"name": "release-2026", "file": dir.join("release.pub").display().to_string()}]),
    );
    for (clock, kind, settings, path) in [
        ("2026-11-26T00:00:00Z", "github-actions", github, "ci"),
        ("2026-11-26T00:00:00Z", "k8s-audit", Map::new(), "audit"),
        ("2026-11-26T00:00:00Z", "kyverno", Map::new(), "kyverno"),
        (
            "2026-11-26T00:00:00Z",
            "in-toto",
            in_toto.clone(),
            "provenance",
        ),
        (
            "2026-11-28T00:00:00Z",
            "in-toto",
            in_toto.clone(),
            "provenance-late",
        ),
    ] {
        let lake = lake
            .clone()
            .with_clock(Arc::new(FixedClock::new(at(clock))));
        let summary = IngestRun::new(lake, kind, kind, &settings)
            .unwrap()
            .ingest_paths(&[dir.join(path)])
            .await
            .unwrap();
        assert_eq!(summary.quarantined, 0, "{kind}: {summary:?}");
    }
    lake
}

async fn ask(lake: &Lake, as_of: &str, known_at: Option<&str>) -> Answer {
    QuerySession::builder(
        lake.clone()
            .with_clock(Arc::new(FixedClock::new(at("2026-12-01T00:00:00Z")))),
    )
    .build()
    .await
    .unwrap()
    .ask("q5", Some(at(as_of)), known_at.map(at))
    .await
    .unwrap()
}

fn evidence(answer: &Answer, keys: &[&str]) -> Vec<Vec<Value>> {
    answer
        .evidence
        .iter()
        .map(|r| {
            keys.iter()
                .map(|k| r.get(*k).cloned().unwrap_or(Value::Null))
                .collect()
        })
        .collect()
}

fn metrics(answer: &Answer, keys: &[&str]) -> Vec<Value> {
    keys.iter().map(|k| answer.metrics[*k].clone()).collect()
}

const ROW: &[&str] = &[
    "artifact_digest",
    "signature_verified",
    "signer_identity",
    "policy",
    "policy_version",
    "policy_mode",
    "admission_allowed",
    "finding",
];

#[tokio::test]
async fn q5_names_the_policy_version_in_force_and_refutes_what_audit_mode_let_in() {
    let dir = tempfile::tempdir().unwrap();
    let lake = lake(dir.path()).await;

    let answer = ask(&lake, "2026-11-30T00:00:00Z", None).await;
    assert_eq!(
        evidence(&answer, ROW),
        vec![vec![
            json!(digest('d')),
            json!(true),
            json!("release-2026"),
            json!("verify-images"),
            json!("2"),
            json!("enforce"),
            json!(true),
            // Its commit passed its SAST gate: nothing is wrong with it.
            Value::Null,
        ]]
    );
    let row = &answer.evidence[0];
    assert_eq!(row["sast_gate"], json!("passed"));
    assert_eq!(
        (
            row["artifact_name"].clone(),
            row["source_commit"].clone(),
            row["ci_run_id"].clone(),
            row["source_repo"].clone()
        ),
        (
            json!("ghcr.io/acme/web"),
            json!("dddd444"),
            json!("104"),
            json!("https://github.com/acme/web")
        )
    );
    let counts = [
        "admission_records",
        "attestation_records",
        "missing_sources",
        "latest_signed",
        "latest_verified",
        "production_admissions",
        "admitted_images",
        "admitted_unpinned",
        "admitted_verified",
        "admitted_unverified",
        "admitted_enforced",
        "admitted_unenforced",
        "admitted_unverified_unenforced",
        "signature_denials",
        "policy_mode_changes",
        "ungated_verified",
    ];
    assert_eq!(
        metrics(&answer, &counts),
        [6, 3, 0, 1, 1, 5, 5, 0, 4, 1, 2, 3, 1, 1, 1, 3]
            .map(|n| json!(n))
            .to_vec()
    );
    // api@B went in unsigned while the policy audited: the control did not hold.
    assert_eq!((answer.verdict, answer.level), (Verdict::Contradicted, 1));

    // Just before and just after the switch, the latest admission cites the version then.
    let before = ask(&lake, "2026-11-20T12:00:30Z", None).await;
    assert_eq!(
        evidence(&before, ROW),
        vec![vec![
            json!(digest('a')),
            json!(true),
            json!("release-2026"),
            json!("verify-images"),
            json!("1"),
            json!("audit"),
            json!(true),
            json!("not_enforced")
        ]]
    );
    let after = ask(&lake, "2026-11-21T00:00:00Z", None).await;
    assert_eq!(
        evidence(&after, ROW),
        vec![vec![
            json!(digest('a')),
            json!(true),
            json!("release-2026"),
            json!("verify-images"),
            json!("2"),
            json!("enforce"),
            json!(true),
            json!("ungated")
        ]]
    );
    // web@A's commit failed its SAST gate.
    assert_eq!(after.evidence[0]["sast_gate"], json!("failed"));

    // Known at 11-27 the lake had not yet taken in web@D's provenance: the latest artefact is
    // unsigned as far as the lake knew then.
    let early = ask(&lake, "2026-11-30T00:00:00Z", Some("2026-11-27T00:00:00Z")).await;
    assert_eq!(
        evidence(
            &early,
            &["artifact_digest", "signature_verified", "finding"]
        ),
        vec![vec![json!(digest('d')), json!(false), json!("unsigned")]]
    );
    assert_eq!(
        metrics(
            &early,
            &["latest_signed", "admitted_verified", "attestation_records"]
        ),
        vec![json!(0), json!(3), json!(2)]
    );
    assert_eq!((early.verdict, early.level), (Verdict::Contradicted, 0));

    // Before any admission was ingested nothing is known.
    let nothing = ask(&lake, "2026-11-30T00:00:00Z", Some("2026-11-25T00:00:00Z")).await;
    assert_eq!(
        (nothing.verdict, nothing.metrics["missing_sources"].clone()),
        (Verdict::NoData, json!(2))
    );

    // The tampered envelope is kept, not verified, with the reason.
    let session = QuerySession::builder(lake.clone()).build().await.unwrap();
    let tampered = batches_to_rows(
        &session
            .user_query(&format!("SELECT signature_verified, verification_error FROM attestations WHERE artifact_digest = '{}'", digest('c')))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(tampered[0]["signature_verified"], json!(false));
    assert_eq!(
        tampered[0]["verification_error"],
        json!("no configured key verifies the envelope's signature")
    );

    // DuckDB, over the lake's Parquet files, gives the same rows and metrics.
    let parts = statements(&answer);
    let lake_dir = dir.path().join("lake");
    assert_same_rows("q5", &answer.evidence, &duckdb_rows(&lake_dir, &parts[0]));
    let metric_row: Map<String, Value> = answer
        .metrics
        .clone()
        .into_iter()
        .filter(|(name, _)| name != "periods_held")
        .collect();
    assert_same_rows(
        "q5 metrics",
        &[metric_row],
        &duckdb_rows(&lake_dir, &parts[1]),
    );
}

/// The sources q5 reads from a generated organisation (CI for the SAST gates).
fn supply_chain_source(name: &str) -> bool {
    matches!(name, "github" | "k8s-audit" | "kyverno" | "provenance")
}

/// What q5 must answer as of `t`, from what the generator planted: the metrics, the verdict,
/// the level (before any rung held over periods) and the latest admitted artefact.
fn planted_answer(
    truth: &evlake_synth::Truth,
    t: DateTime<Utc>,
) -> (Map<String, Value>, Verdict, u8, Option<AdmissionTruth>) {
    let sc = &truth.supply_chain;
    let day = chrono::Duration::days(1);
    let (lookback, window) = (t - day * 90, t - day * 30);
    let seen: Vec<&AdmissionTruth> = sc
        .admissions
        .iter()
        .filter(|a| a.at > lookback && a.at <= t)
        .collect();
    let latest = seen.iter().rev().find(|a| a.allowed).map(|a| (*a).clone());
    let admitted: Vec<&&AdmissionTruth> =
        seen.iter().filter(|a| a.allowed && a.at > window).collect();
    let count = |f: &dyn Fn(&AdmissionTruth) -> bool| admitted.iter().filter(|a| f(a)).count();
    let enforced = |a: &AdmissionTruth| a.policy_mode.as_deref() == Some("enforce");
    let admission_records = seen.len();
    let attestation_records = sc.attestations_signed.iter().filter(|s| **s <= t).count();
    let missing = usize::from(admission_records == 0) + usize::from(attestation_records == 0);
    let (pinned, attested, verified) = latest.as_ref().map_or((0, 0, 0), |a| {
        (1, usize::from(a.attested), usize::from(a.verified))
    });
    let changes = sc
        .policy_versions
        .windows(2)
        .filter(|w| w[1].valid_from > window && w[1].valid_from <= t && w[1].mode != w[0].mode)
        .count();
    let metrics = json!({
        "admission_records": admission_records,
        "attestation_records": attestation_records,
        "missing_sources": missing,
        "latest_images": pinned,
        "latest_pinned": pinned,
        "latest_attested": attested,
        "latest_pinned_verified": verified,
        "latest_unpinned": 0,
        "latest_signed": usize::from(pinned > 0 && attested == pinned),
        "latest_verified": usize::from(pinned > 0 && verified == pinned),
        "production_admissions": admitted.len(),
        "admitted_images": admitted.len(),
        "admitted_unpinned": 0,
        "admitted_verified": count(&|a| a.verified),
        "admitted_unverified": count(&|a| !a.verified),
        "admitted_enforced": count(&|a| enforced(a)),
        "admitted_unenforced": count(&|a| !enforced(a)),
        "admitted_unverified_unenforced": count(&|a| !a.verified && !enforced(a)),
        "signature_denials": seen.iter().filter(|a| !a.allowed && a.at > window).count(),
        "policy_mode_changes": changes,
        "ungated_verified": count(&|a| a.verified && a.sast.as_deref() != Some("passed")),
    });
    let m = metrics.as_object().unwrap().clone();
    let n = |k: &str| m[k].as_u64().unwrap();
    let verdict = if n("missing_sources") > 0 {
        Verdict::NoData
    } else if n("admitted_unverified_unenforced") > 0 {
        Verdict::Contradicted
    } else if n("latest_verified") == 1 {
        Verdict::Evidenced
    } else {
        Verdict::NotEvidenced
    };
    let rungs = [
        n("latest_verified") == 1,
        n("production_admissions") > 0 && n("admitted_unverified") == 0,
        n("admitted_unenforced") == 0,
    ];
    let level = rungs.iter().take_while(|r| **r).count() as u8;
    (m, verdict, level, latest)
}

/// What q5 must answer as of `t`: the metrics, the verdict and the level (4 when level 3 held
/// at T, T − 30 d and T − 60 d and every verified artefact is gated).
fn expected(truth: &evlake_synth::Truth, t: DateTime<Utc>) -> (Map<String, Value>, Verdict, u8) {
    let (mut metrics, verdict, mut level, _) = planted_answer(truth, t);
    let periods = if level < 3 {
        0
    } else {
        1 + (1..3)
            .take_while(|k| planted_answer(truth, t - chrono::Duration::days(30 * k)).2 >= 3)
            .count()
    };
    metrics.insert("periods_held".into(), json!(periods));
    if periods == 3 && metrics["ungated_verified"] == 0 {
        level = 4;
    }
    (metrics, verdict, level)
}

/// The verdict and level q5 must give as of `t`.
pub(crate) fn planted(truth: &evlake_synth::Truth, t: DateTime<Utc>) -> (Verdict, u8) {
    let (_, verdict, level) = expected(truth, t);
    (verdict, level)
}

/// Asks q5 as of `t` and checks it against the truth exactly: every metric, the verdict, the
/// level (4 when level 3 held at T, T − 30 d and T − 60 d and every verified artefact is
/// gated), and the latest artefact's row.
async fn assert_planted(
    session: &QuerySession,
    truth: &evlake_synth::Truth,
    t: DateTime<Utc>,
    what: &str,
) -> Answer {
    let answer = session.ask("q5", Some(t), None).await.unwrap();
    let (metrics, verdict, level) = expected(truth, t);
    let latest = planted_answer(truth, t).3;
    let got: Map<String, Value> = metrics
        .keys()
        .map(|k| {
            (
                k.clone(),
                answer.metrics.get(k).cloned().unwrap_or(Value::Null),
            )
        })
        .collect();
    assert_eq!(got, metrics, "{what}: metrics");
    assert_eq!((answer.verdict, answer.level), (verdict, level), "{what}");
    let Some(a) = latest else {
        assert!(answer.evidence.is_empty(), "{what}: no artefact");
        return answer;
    };
    let finding = if !a.attested {
        Some("unsigned")
    } else if !a.verified {
        Some("verification_failed")
    } else if a.policy_mode.as_deref() != Some("enforce") {
        Some("not_enforced")
    } else if a.sast.as_deref() != Some("passed") {
        Some("ungated")
    } else {
        None
    };
    let keys = [
        "audit_id",
        "artifact_digest",
        "signature_verified",
        "policy",
        "policy_version",
        "policy_mode",
        "admission_allowed",
        "finding",
        "ci_run_id",
        "sast_gate",
    ];
    let want = vec![vec![
        json!(a.audit_id),
        json!(a.digest),
        json!(a.verified),
        json!(a.policy_version.as_ref().map(|_| "verify-images")),
        json!(a.policy_version),
        json!(a.policy_mode),
        json!(true),
        json!(finding),
        json!(a.run_id),
        json!(if a.attested { a.sast.clone() } else { None }),
    ]];
    assert_eq!(
        evidence(&answer, &keys),
        want,
        "{what}: the latest artefact"
    );
    let deployed = answer.evidence[0]["deployed_at"].as_str().unwrap();
    assert_eq!(end_of(deployed), a.at, "{what}: deployed_at");
    answer
}

#[tokio::test]
async fn q5_equals_the_planted_truth_for_several_seeds_and_dates() {
    for (seed, instants) in [(5u64, 9), (2026, 3)] {
        let dir = tempfile::tempdir().unwrap();
        let truth = organisation_of(dir.path(), seed, 6, 120, Maturity::Advisory);
        let lake = Lake::open("memory://").unwrap();
        ingest(&lake, dir.path(), |name, _| supply_chain_source(name)).await;
        let session = QuerySession::builder(lake).build().await.unwrap();
        let sc = &truth.supply_chain;
        let switch = sc.policy_versions[1].valid_from;
        let plant = |class: &str| {
            sc.planted
                .iter()
                .find(|a| a.class == class)
                .unwrap_or_else(|| panic!("seed {seed} plants {class}"))
                .clone()
        };
        let before = sc.admissions.iter().rev().find(|a| a.at < switch).unwrap();
        let after = sc.admissions.iter().find(|a| a.at > switch).unwrap();
        let second = chrono::Duration::seconds(1);
        for (what, t) in [
            ("the end", end_of("2026-11-20")),
            ("the last admission before the switch", before.at),
            ("the first admission after the switch", after.at),
            (
                "the unsigned image admitted in audit mode",
                plant("unsigned_audit").at,
            ),
            ("the unexpected signer", plant("unexpected_signer").at),
            (
                "the tampered hotfix denied",
                plant("tampered_denied").at + second,
            ),
            ("the unsigned image denied", plant("unsigned_denied").at),
            ("mid-history", end_of("2026-09-15")),
            ("before the history", end_of("2026-07-01")),
        ]
        .into_iter()
        .take(instants)
        {
            assert_planted(&session, &truth, t, &format!("seed {seed}, {what} ({t})")).await;
        }
        // Each plant where the auditor would look for it.
        let answer = session
            .ask("q5", Some(plant("unexpected_signer").at), None)
            .await
            .unwrap();
        let error = answer.evidence[0]["verification_error"].as_str().unwrap();
        assert!(
            error.contains("acme-forks") && error.contains("not a configured identity"),
            "{error}"
        );
        assert_eq!(
            (
                before.policy_version.as_deref(),
                after.policy_version.as_deref()
            ),
            (Some("1"), Some("2")),
            "decisions before and after the switch cite different versions"
        );
        let end = session
            .ask("q5", Some(end_of("2026-11-20")), None)
            .await
            .unwrap();
        assert_eq!(
            end.verdict,
            Verdict::Contradicted,
            "audit mode let an unsigned image in"
        );
        assert_eq!(
            (
                end.metrics["signature_denials"].clone(),
                end.metrics["policy_mode_changes"].clone()
            ),
            (json!(2), json!(1))
        );
    }
}

#[tokio::test]
async fn q5_of_an_enforcing_organisation_reaches_level_4_and_of_one_that_signs_nothing_no_data() {
    let as_of = end_of("2026-11-20");
    for (maturity, verdict, level) in [
        (Maturity::Enforced, Verdict::Evidenced, 4),
        // Only the key-signing services sign, the policy audits: the newest release (of a
        // key-signing service, for this seed) is signed, unsigned ones were let in.
        (Maturity::Scanning, Verdict::Contradicted, 1),
        (Maturity::None, Verdict::NoData, 0),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let truth = organisation_of(dir.path(), 11, 4, 100, maturity);
        let lake = Lake::open("memory://").unwrap();
        ingest(&lake, dir.path(), |name, _| supply_chain_source(name)).await;
        let session = QuerySession::builder(lake).build().await.unwrap();
        let answer = assert_planted(&session, &truth, as_of, &format!("{maturity:?}")).await;
        assert_eq!(
            (answer.verdict, answer.level),
            (verdict, level),
            "{maturity:?}"
        );
    }
}

/// The policy's history as the audit log saw it, each event at `time`: a version that stops
/// covering the image, one that covers it again, the deletion; and what must not count as
/// deploying — the control plane scaling the old ReplicaSet down, a server-side dry run.
#[tokio::test]
async fn a_version_that_stops_covering_the_image_or_a_deletion_ends_the_cover() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit");
    std::fs::create_dir_all(&audit).unwrap();
    let change = |id: &str, time: &str, verb: &str, object: Option<Value>| {
        let mut e = json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": id,
            "stage": "ResponseComplete", "verb": verb, "user": {"username": "admin@acme.example"},
            "objectRef": {"resource": "clusterpolicies", "name": "verify-images", "apiGroup": "kyverno.io", "apiVersion": "v1"},
            "responseStatus": {"code": 200}, "stageTimestamp": time});
        if let Some(o) = object {
            e["responseObject"] = o;
        }
        e
    };
    let covering = |generation: u32, refs: &str| {
        let mut p = policy("Enforce", generation);
        p["spec"]["rules"][0]["verifyImages"][0]["imageReferences"] = json!([refs]);
        p
    };
    let image = format!("ghcr.io/acme/web@{}", digest('a'));
    let mut scale_down = admission(
        "c1",
        "2026-11-12T10:00:00Z",
        "web-5d8f",
        &format!("ghcr.io/acme/web@{}", digest('0')),
        None,
    );
    scale_down["verb"] = json!("update");
    scale_down["user"]["username"] =
        json!("system:serviceaccount:kube-system:deployment-controller");
    let mut dry_run = admission(
        "d1",
        "2026-11-13T10:00:00Z",
        "web",
        &format!("ghcr.io/acme/web@{}", digest('9')),
        None,
    );
    dry_run["requestURI"] = json!("/apis/apps/v1/namespaces/prod/deployments?dryRun=All");
    let events = [
        change(
            "p1",
            "2026-11-01T00:00:00Z",
            "create",
            Some(covering(1, "ghcr.io/acme/*")),
        ),
        admission("a1", "2026-11-05T10:00:00Z", "web", &image, None),
        change(
            "p2",
            "2026-11-06T00:00:00Z",
            "update",
            Some(covering(2, "ghcr.io/other/*")),
        ),
        admission("a2", "2026-11-07T10:00:00Z", "web", &image, None),
        change(
            "p3",
            "2026-11-08T00:00:00Z",
            "update",
            Some(covering(3, "ghcr.io/acme/*")),
        ),
        admission("a3", "2026-11-09T10:00:00Z", "web", &image, None),
        change("p4", "2026-11-10T00:00:00Z", "delete", None),
        admission("a4", "2026-11-11T10:00:00Z", "web", &image, None),
        scale_down,
        dry_run,
    ];
    std::fs::write(
        audit.join("audit.log"),
        events.iter().map(|e| format!("{e}\n")).collect::<String>(),
    )
    .unwrap();
    let lake = Lake::open("memory://")
        .unwrap()
        .with_clock(Arc::new(FixedClock::new(at("2026-11-20T00:00:00Z"))));
    let summary = IngestRun::new(lake.clone(), "k8s-audit", "k8s-audit", &Map::new())
        .unwrap()
        .ingest_paths(&[audit])
        .await
        .unwrap();
    assert_eq!(
        (summary.records, summary.skipped, summary.quarantined),
        (9, 1, 0),
        "{summary:?}"
    );
    let keys = [
        "audit_id",
        "policy",
        "policy_version",
        "policy_mode",
        "finding",
    ];
    for (as_of, want) in [
        (
            "2026-11-05T12:00:00Z",
            json!(["a1", "verify-images", "1", "enforce", "unsigned"]),
        ),
        (
            "2026-11-07T12:00:00Z",
            json!(["a2", null, null, null, "unsigned"]),
        ),
        (
            "2026-11-09T12:00:00Z",
            json!(["a3", "verify-images", "3", "enforce", "unsigned"]),
        ),
        (
            "2026-11-11T12:00:00Z",
            json!(["a4", null, null, null, "unsigned"]),
        ),
        // The scale-down and the dry run are later, and neither is the latest artefact.
        (
            "2026-11-14T00:00:00Z",
            json!(["a4", null, null, null, "unsigned"]),
        ),
    ] {
        let answer = ask(&lake, as_of, None).await;
        let got: Vec<Value> = evidence(&answer, &keys).remove(0);
        assert_eq!(Value::Array(got), want, "as of {as_of}");
    }
    let answer = ask(&lake, "2026-11-14T00:00:00Z", None).await;
    assert_eq!(
        metrics(
            &answer,
            &[
                "production_admissions",
                "admitted_enforced",
                "policy_mode_changes"
            ]
        ),
        [json!(4), json!(2), json!(1)],
        "four admissions, two covered by an enforcing version; the deletion is a change"
    );
}
