//! The path from a build to the production cluster (q5): every release the organisation's CI
//! deployed is admitted into namespace `prod` — Kubernetes API-server audit events as the log
//! backend writes them (one file per day, a day in seven as webhook `EventList` batches) —
//! after its release workflow signed SLSA provenance for the image digest, and a Kyverno
//! `verify-images` ClusterPolicy decides what gets in. What q5 must find is planted in
//! [`SupplyChainTruth`].
//!
//! Even-numbered services sign keyless: a Sigstore bundle v0.3 (as `gh attestation download`
//! writes them) from a test Fulcio and Rekor, for the workflow identity
//! `https://github.com/acme/svc-NNNN/.github/workflows/release.yml@refs/heads/main`; odd ones
//! sign DSSE envelopes with the release key, SLSA v0.2 (as `cosign download attestation`
//! writes them). `sigstore/` holds the trusted root and the key.
//!
//! The `advisory` [`Maturity`]: the policy is exported in `Audit` at the start of the history
//! and switched to `Enforce` ten days before its end (the update is in the audit log, and a
//! later export shows the new generation). Planted before the switch: an image admitted with no
//! provenance at all (`unsigned_audit`) and one signed by an identity nobody trusts
//! (`unexpected_signer`); after it, a hand-applied image whose provenance was edited after
//! signing (`tampered_denied`) and an unsigned one (`unsigned_denied`), both denied by the
//! policy. A release whose commit's SAST job failed but deployed anyway keeps its signed
//! provenance: the chain shows the gate it leaked through. `none`: nothing is signed and no
//! policy exists; `scanning`: only key-signing services sign, the policy audits throughout;
//! `enforced`: the policy enforces from the start, and only the two denials are planted.
//!
//! What real clusters also log, which must change no answer: each decision's `RequestReceived`
//! stage, a webhook batch delivered twice, the same image admitted first to `staging`, and
//! reads of the workload.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::sigstore::{self, Key, TestSigstore};
use crate::{Maturity, Rng, ts as rfc3339};

/// A production release the organisation's CI made: where q5's chain begins.
#[derive(Debug, Clone)]
pub(crate) struct Release {
    /// `owner/name`.
    pub repo: String,
    /// The commit built.
    pub commit: String,
    /// The workflow run that built and deployed it.
    pub run_id: u64,
    /// When the build finished (the provenance's time; the signing just after).
    pub built_at: DateTime<Utc>,
    /// When the deploy job applied it to the cluster.
    pub applied_at: DateTime<Utc>,
    /// The commit's SAST gate as CI recorded it: `passed`, `failed`, or none (no SAST job).
    pub sast: Option<&'static str>,
}

/// One production admission decision the generator wrote, as q5 must see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdmissionTruth {
    /// The decision's `auditID`.
    pub audit_id: String,
    /// When the API server decided (`stageTimestamp`).
    pub at: DateTime<Utc>,
    /// The service's repository.
    pub repo: String,
    /// The image reference, pinned by digest.
    pub image: String,
    /// `sha256:…`.
    pub digest: String,
    /// Whether it was admitted.
    pub allowed: bool,
    /// Whether SLSA provenance for the digest was signed before the decision.
    pub attested: bool,
    /// Whether that provenance's signature verifies against the configured trust.
    pub verified: bool,
    /// The policy's version (`metadata.generation`) in force then, if any.
    pub policy_version: Option<String>,
    /// Its mode then: `enforce` or `audit`.
    pub policy_mode: Option<String>,
    /// The SAST gate of the built commit (`passed`, `failed`), if it ran.
    pub sast: Option<String>,
    /// The CI run the provenance names.
    pub run_id: Option<String>,
    /// `release`, or what was planted: `unsigned_audit`, `unexpected_signer`,
    /// `tampered_denied`, `unsigned_denied`.
    pub class: String,
}

/// A version of the image-verification policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyVersionTruth {
    /// Its `metadata.generation`.
    pub version: String,
    /// `audit` or `enforce`.
    pub mode: String,
    /// When it came into force.
    pub valid_from: DateTime<Utc>,
}

/// What q5 must find (`truth.json`'s `supply_chain`).
#[derive(Debug, Clone, Serialize)]
pub struct SupplyChainTruth {
    /// The image-verification policy, in its versions (none: no policy exists).
    pub policy_versions: Vec<PolicyVersionTruth>,
    /// The planted decisions (every admission that is not an ordinary release).
    pub planted: Vec<AdmissionTruth>,
    /// Every production admission decision, in time order (in memory only: one per
    /// release).
    #[serde(skip)]
    pub admissions: Vec<AdmissionTruth>,
    /// When each attestation says it was signed, in time order (in memory only): the log's
    /// integrated time, else the provenance's build time.
    #[serde(skip)]
    pub attestations_signed: Vec<DateTime<Utc>>,
    /// The identity keyless releases are trusted from, as `ingest.toml` configures it.
    pub trusted_identity: String,
    /// What real clusters also log, which must change no answer.
    pub real_world: BTreeMap<String, u64>,
    /// Records written per file family.
    pub files: BTreeMap<String, u64>,
}

/// The OIDC issuer of GitHub Actions' tokens.
const ISSUER: &str = "https://token.actions.githubusercontent.com";
/// What the in-toto source trusts keyless (a regular expression over the identity).
const TRUSTED_IDENTITY: &str =
    r"https://github\.com/acme/svc-[0-9]+/\.github/workflows/release\.yml@refs/heads/main";
const POLICY: &str = "verify-images";

/// How a release's provenance is signed.
enum Signing {
    /// By a Fulcio certificate for this identity, logged.
    Keyless(String),
    /// By the release key; `tampered`: its payload edited afterwards.
    Keyed { tampered: bool },
}

fn ts(t: DateTime<Utc>) -> String {
    rfc3339(t, SecondsFormat::Micros)
}

/// The image digest a commit's build produced.
fn digest_of(commit: &str, salt: &str) -> String {
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(format!("{salt}{commit}")))
    )
}

fn keyless(repo: &str) -> bool {
    repo.rsplit('-')
        .next()
        .and_then(|n| n.parse::<u32>().ok())
        .is_some_and(|n| n % 2 == 0)
}

fn workflow(repo: &str) -> String {
    format!("https://github.com/{repo}/.github/workflows/release.yml@refs/heads/main")
}

/// An in-toto Statement v1 with SLSA provenance: v1 as GitHub's attestation action writes it
/// (keyless), v0.2 as slsa-github-generator's older builders did (keyed).
fn statement(r: &Release, image: &str, digest: &str, v1: bool) -> Value {
    let name = image.split('@').next().unwrap_or(image);
    let subject =
        json!([{"name": name, "digest": {"sha256": digest.trim_start_matches("sha256:")}}]);
    let html = format!("https://github.com/{}", r.repo);
    let invocation = format!("{html}/actions/runs/{}/attempts/1", r.run_id);
    if v1 {
        json!({"_type": "https://in-toto.io/Statement/v1", "subject": subject,
            "predicateType": "https://slsa.dev/provenance/v1",
            "predicate": {"buildDefinition": {
                "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                "externalParameters": {"workflow": {"ref": "refs/heads/main", "repository": html,
                    "path": ".github/workflows/release.yml"}},
                "internalParameters": {"github": {"event_name": "push", "runner_environment": "github-hosted"}},
                "resolvedDependencies": [{"uri": format!("git+{html}@refs/heads/main"),
                    "digest": {"gitCommit": r.commit}}]},
              "runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"},
                "metadata": {"invocationId": invocation, "finishedOn": rfc3339(r.built_at, SecondsFormat::Secs)}}}})
    } else {
        json!({"_type": "https://in-toto.io/Statement/v0.1", "subject": subject,
            "predicateType": "https://slsa.dev/provenance/v0.2",
            "predicate": {"builder": {"id": "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_container_slsa3.yml@refs/tags/v2.0.0"},
                "buildType": "https://github.com/slsa-framework/slsa-github-generator/container@v1",
                "invocation": {"configSource": {"uri": format!("git+{html}@refs/heads/main"),
                    "digest": {"sha1": r.commit}, "entryPoint": ".github/workflows/release.yml"}},
                "metadata": {"buildInvocationID": format!("{}-1", r.run_id),
                    "buildFinishedOn": rfc3339(r.built_at, SecondsFormat::Secs), "completeness":
                    {"parameters": true, "environment": false, "materials": false}, "reproducible": false},
                "materials": [{"uri": format!("git+{html}@refs/heads/main"), "digest": {"sha1": r.commit}}]}})
    }
}

/// The verify-images ClusterPolicy at `generation` in `mode` (`Audit`/`Enforce`).
fn policy(generation: u32, action: &str, key: &Key, at: DateTime<Utc>) -> Value {
    json!({"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy",
        "metadata": {"name": POLICY, "generation": generation,
            "resourceVersion": (7_000_000 + generation).to_string(),
            "creationTimestamp": rfc3339(at, SecondsFormat::Secs),
            "annotations": {"policies.kyverno.io/title": "Verify image provenance"}},
        "spec": {"validationFailureAction": action, "background": false, "webhookTimeoutSeconds": 30,
            "rules": [{"name": "check-provenance",
                "match": {"any": [{"resources": {"kinds": ["Pod", "Deployment"], "namespaces": ["prod"]}}]},
                "verifyImages": [{"imageReferences": ["ghcr.io/acme/*"], "mutateDigest": true,
                    "verifyDigest": true, "required": true,
                    "attestations": [{"type": "https://slsa.dev/provenance/v1"}, {"type": "https://slsa.dev/provenance/v0.2"}],
                    "attestors": [{"count": 1, "entries": [
                        {"keys": {"publicKeys": key.public_pem(), "rekor": {"ignoreTlog": true}}},
                        {"keyless": {"subjectRegExp": TRUSTED_IDENTITY, "issuer": ISSUER,
                            "rekor": {"url": "https://rekor.acme.test"}}}]}]}]}]}})
}

/// A policy that validates, not verifies images: in the exports beside it.
fn labels_policy(at: DateTime<Utc>) -> Value {
    json!({"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy",
        "metadata": {"name": "require-team-label", "generation": 1, "resourceVersion": "6100001",
            "creationTimestamp": rfc3339(at, SecondsFormat::Secs)},
        "spec": {"validationFailureAction": "Audit", "background": true,
            "rules": [{"name": "team-label", "match": {"any": [{"resources": {"kinds": ["Deployment"]}}]},
                "validate": {"message": "label `team` is required", "pattern": {"metadata": {"labels": {"team": "?*"}}}}}]}})
}

fn deployment(repo: &str, namespace: &str, image: &str, generation: u64) -> Value {
    let name = repo.trim_start_matches("acme/");
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "generation": generation,
            "labels": {"app": name, "team": "platform"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": image,
                    "ports": [{"containerPort": 8080}]}]}}}})
}

/// One admission decision of a Deployment write, at its `ResponseComplete` stage.
#[allow(clippy::too_many_arguments)]
fn decision(
    id: &str,
    repo: &str,
    namespace: &str,
    image: &str,
    user: &str,
    at: DateTime<Utc>,
    generation: u64,
    denial: Option<String>,
) -> Value {
    let name = repo.trim_start_matches("acme/");
    let verb = if generation == 1 { "create" } else { "update" };
    let object = deployment(repo, namespace, image, generation);
    let mut e = json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
        "auditID": id, "stage": "ResponseComplete",
        "requestURI": format!("/apis/apps/v1/namespaces/{namespace}/deployments{}",
            if verb == "create" { String::new() } else { format!("/{name}") }),
        "verb": verb, "user": {"username": user, "groups": ["system:authenticated"]},
        "sourceIPs": ["10.0.4.17"], "userAgent": "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46",
        "objectRef": {"resource": "deployments", "namespace": namespace, "name": name,
            "apiGroup": "apps", "apiVersion": "v1"},
        "requestObject": object,
        "requestReceivedTimestamp": ts(at - Duration::milliseconds(180)),
        "stageTimestamp": ts(at),
        "annotations": {"authorization.k8s.io/decision": "allow",
            "authorization.k8s.io/reason": "RBAC: allowed by ClusterRoleBinding \"deployers\" of ClusterRole \"edit\" to Group \"deployers\""}});
    match denial {
        Some(message) => {
            e["responseStatus"] =
                json!({"metadata": {}, "status": "Failure", "message": message, "code": 400});
        }
        None => {
            e["responseStatus"] =
                json!({"metadata": {}, "code": if verb == "create" { 201 } else { 200 }});
            e["responseObject"] = e["requestObject"].clone();
        }
    }
    e
}

/// Its `RequestReceived` stage, which decides nothing.
fn received(decision: &Value) -> Value {
    let mut e = decision.clone();
    e["stage"] = json!("RequestReceived");
    e["stageTimestamp"] = decision["requestReceivedTimestamp"].clone();
    for k in ["responseStatus", "responseObject", "annotations"] {
        e.as_object_mut().expect("an event").remove(k);
    }
    e
}

fn denial(repo: &str, image: &str, why: &str) -> String {
    let name = repo.trim_start_matches("acme/");
    format!(
        "admission webhook \"mutate.kyverno.svc-fail\" denied the request: \n\nresource Deployment/prod/{name} was blocked due to the following policies \n\n{POLICY}:\n  check-provenance: 'failed to verify image {image}: .attestors[0].entries[0]: {why}'\n"
    )
}

/// Writes the cluster's audit log, the Kyverno exports and the signed provenance of
/// `releases` (in time order) into `out`, and the trust they are checked against.
pub(crate) fn generate(
    out: &Path,
    releases: &[Release],
    start: NaiveDate,
    days: u32,
    seed: u64,
    maturity: Maturity,
) -> std::io::Result<SupplyChainTruth> {
    let mut rng = Rng::new(seed ^ 0x51C5_7042_0000_0005);
    let mut real = Rng::new(seed ^ 0x51C5_7042_0EA1_0006);
    let history_start = start.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let end = start + Duration::days(i64::from(days.max(1)) - 1);
    let history_end = end.and_hms_opt(23, 59, 59).expect("a time").and_utc();
    let exported = history_start + Duration::hours(6);

    let sigstore_dir = out.join("sigstore");
    fs::create_dir_all(&sigstore_dir)?;
    let release_key = Key::draw(&mut rng);
    let mut fulcio = TestSigstore::new(&mut rng, history_start - Duration::days(30));
    fs::write(sigstore_dir.join("release.pub"), release_key.public_pem())?;
    fs::write(
        sigstore_dir.join("trusted_root.json"),
        serde_json::to_vec_pretty(&fulcio.trusted_root())?,
    )?;

    // The policy's versions: none, audit throughout, audit then enforce, enforce throughout.
    let switch = (maturity == Maturity::Advisory).then(|| {
        (end - Duration::days(10))
            .and_hms_opt(12, 0, 0)
            .expect("noon")
            .and_utc()
    });
    let mut versions = Vec::new();
    match maturity {
        Maturity::None => {}
        Maturity::Scanning | Maturity::Advisory => versions.push((1, "Audit", exported)),
        Maturity::Enforced => versions.push((1, "Enforce", exported)),
    }
    if let Some(at) = switch {
        versions.push((2, "Enforce", at));
    }
    let in_force = |t: DateTime<Utc>| versions.iter().rev().find(|(_, _, from)| *from <= t);
    let signs = |repo: &str| match maturity {
        Maturity::None => false,
        Maturity::Scanning => !keyless(repo),
        Maturity::Advisory | Maturity::Enforced => true,
    };

    // The plants before the switch: the newest release over a day before it is left
    // unsigned, the newest keyless one before that is signed by a fork's workflow.
    let mut unsigned = None;
    let mut unexpected = None;
    if let Some(at) = switch {
        unsigned = releases
            .iter()
            .rposition(|r| r.applied_at < at - Duration::days(1));
        unexpected = releases
            .iter()
            .enumerate()
            .rev()
            .find(|(i, r)| {
                Some(*i) != unsigned && keyless(&r.repo) && r.applied_at < at - Duration::days(2)
            })
            .map(|(i, _)| i);
    }

    let mut events: BTreeMap<NaiveDate, Vec<Value>> = BTreeMap::new();
    let mut bundles: BTreeMap<NaiveDate, Vec<Value>> = BTreeMap::new();
    let mut envelopes: BTreeMap<NaiveDate, Vec<Value>> = BTreeMap::new();
    let mut admissions = Vec::new();
    let mut signed_times = Vec::new();
    let mut real_world: BTreeMap<String, u64> = BTreeMap::new();
    let mut generations: BTreeMap<String, u64> = BTreeMap::new();
    let mut audit_seq = 0u64;
    let mut next_id = |rng: &mut Rng| {
        audit_seq += 1;
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            rng.bits() as u32,
            audit_seq & 0xffff,
            rng.below(0x1000),
            rng.below(0x1000),
            rng.bits() & 0xffff_ffff_ffff
        )
    };

    let mut sign = |r: &Release,
                    image: &str,
                    digest: &str,
                    how: Signing,
                    rng: &mut Rng,
                    bundles: &mut BTreeMap<NaiveDate, Vec<Value>>,
                    envelopes: &mut BTreeMap<NaiveDate, Vec<Value>>| {
        // The time q5 reads as signed: the log's for a keyless signature, the predicate's
        // own for a keyed one.
        let at = r.built_at + Duration::seconds(5);
        match how {
            Signing::Keyless(identity) => {
                let s = statement(r, image, digest, true);
                let b = fulcio.bundle(rng, &s, &identity, ISSUER, at);
                bundles.entry(at.date_naive()).or_default().push(b);
                at
            }
            Signing::Keyed { tampered } => {
                let s = statement(r, image, digest, false);
                let (mut env, _) = sigstore::envelope(&release_key, &s);
                if tampered {
                    // Edited after signing: another builder claimed, the signature kept.
                    let mut edited = s;
                    edited["predicate"]["builder"]["id"] = json!(
                        "https://github.com/acme/hotfix/.github/workflows/local.yml@refs/heads/main"
                    );
                    env["payload"] = sigstore::envelope(&release_key, &edited).0["payload"].clone();
                }
                envelopes.entry(at.date_naive()).or_default().push(env);
                r.built_at
            }
        }
    };

    for (i, r) in releases.iter().enumerate() {
        let name = r.repo.trim_start_matches("acme/");
        let digest = digest_of(&r.commit, "");
        let image = format!("ghcr.io/{}@{digest}", r.repo);
        let class = if Some(i) == unsigned {
            "unsigned_audit"
        } else if Some(i) == unexpected {
            "unexpected_signer"
        } else {
            "release"
        };
        let mut attested = false;
        if signs(&r.repo) && class != "unsigned_audit" {
            let how = if class == "unexpected_signer" {
                Signing::Keyless(format!(
                    "https://github.com/acme-forks/{name}/.github/workflows/release.yml@refs/heads/main"
                ))
            } else if keyless(&r.repo) {
                Signing::Keyless(workflow(&r.repo))
            } else {
                Signing::Keyed { tampered: false }
            };
            signed_times.push(sign(
                r,
                &image,
                &digest,
                how,
                &mut rng,
                &mut bundles,
                &mut envelopes,
            ));
            attested = true;
        }
        if real.chance(0.3) {
            // The same image through staging first.
            let id = next_id(&mut real);
            let at = r.built_at + Duration::seconds(40);
            let e = decision(
                &id,
                &r.repo,
                "staging",
                &image,
                "deployer@acme.example",
                at,
                2,
                None,
            );
            events.entry(at.date_naive()).or_default().push(e);
            *real_world.entry("staging_admissions".into()).or_default() += 1;
        }
        let generation = generations.entry(r.repo.clone()).or_insert(0);
        *generation += 1;
        let id = next_id(&mut rng);
        let at = r.applied_at;
        let e = decision(
            &id,
            &r.repo,
            "prod",
            &image,
            "system:serviceaccount:ci:github-deployer",
            at,
            *generation,
            None,
        );
        let day = events.entry(at.date_naive()).or_default();
        day.push(received(&e));
        day.push(e);
        if real.chance(0.1) {
            let read = json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
                "auditID": next_id(&mut real), "stage": "ResponseComplete", "verb": "get",
                "user": {"username": "system:serviceaccount:monitoring:kube-state-metrics"},
                "objectRef": {"resource": "deployments", "namespace": "prod", "name": name, "apiGroup": "apps", "apiVersion": "v1"},
                "responseStatus": {"metadata": {}, "code": 200},
                "requestReceivedTimestamp": ts(at + Duration::seconds(30)), "stageTimestamp": ts(at + Duration::seconds(30))});
            events.entry(at.date_naive()).or_default().push(read);
            *real_world.entry("reads".into()).or_default() += 1;
        }
        let version = in_force(at);
        admissions.push(AdmissionTruth {
            audit_id: id,
            at,
            repo: r.repo.clone(),
            image,
            digest,
            allowed: true,
            attested,
            verified: attested && class == "release",
            policy_version: version.map(|v| v.0.to_string()),
            policy_mode: version.map(|v| v.1.to_ascii_lowercase()),
            sast: r.sast.map(str::to_string),
            run_id: attested.then(|| r.run_id.to_string()),
            class: class.to_string(),
        });
    }

    // The denials: a hand-applied hotfix whose provenance was edited after signing, and an
    // unsigned image, each refused by the enforcing policy.
    let enforcing_from = match maturity {
        Maturity::Advisory => switch,
        Maturity::Enforced => Some(history_end - Duration::days(6)),
        _ => None,
    };
    if let Some(from) = enforcing_from.filter(|_| !releases.is_empty()) {
        for (k, class) in ["tampered_denied", "unsigned_denied"]
            .into_iter()
            .enumerate()
        {
            let repo = format!("acme/svc-{:04}", 2 * k + 1);
            let repo = if releases.iter().any(|r| r.repo == repo) {
                repo
            } else {
                releases[0].repo.clone()
            };
            let at = (from + Duration::days(2 + k as i64))
                .date_naive()
                .and_hms_opt(15, 0, 0)
                .expect("a time")
                .and_utc();
            let commit = format!("{:040x}", rng.bits());
            let digest = digest_of(&commit, "hotfix-");
            let image = format!("ghcr.io/{repo}@{digest}");
            let mut attested = false;
            let why = if class == "tampered_denied" {
                let hotfix = Release {
                    repo: repo.clone(),
                    commit,
                    run_id: 0,
                    built_at: at - Duration::hours(1),
                    applied_at: at,
                    sast: None,
                };
                // Signed with the release key from a laptop, then edited.
                let how = Signing::Keyed { tampered: true };
                signed_times.push(sign(
                    &hotfix,
                    &image,
                    &digest,
                    how,
                    &mut rng,
                    &mut bundles,
                    &mut envelopes,
                ));
                attested = true;
                "invalid signature"
            } else {
                "no matching signatures"
            };
            let id = next_id(&mut rng);
            let e = decision(
                &id,
                &repo,
                "prod",
                &image,
                "dev@acme.example",
                at,
                99,
                Some(denial(&repo, &image, why)),
            );
            let day = events.entry(at.date_naive()).or_default();
            day.push(received(&e));
            day.push(e);
            let version = in_force(at);
            admissions.push(AdmissionTruth {
                audit_id: id,
                at,
                repo,
                image,
                digest,
                allowed: false,
                attested,
                verified: false,
                policy_version: version.map(|v| v.0.to_string()),
                policy_mode: version.map(|v| v.1.to_ascii_lowercase()),
                sast: None,
                run_id: None,
                class: class.to_string(),
            });
        }
    }
    admissions.sort_by(|a, b| (a.at, &a.audit_id).cmp(&(b.at, &b.audit_id)));
    signed_times.sort();

    // The switch, as the audit log records the policy's update.
    if let Some(at) = switch {
        let mut e = json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
            "auditID": next_id(&mut rng), "stage": "ResponseComplete", "verb": "update",
            "requestURI": format!("/apis/kyverno.io/v1/clusterpolicies/{POLICY}"),
            "user": {"username": "platform-admin@acme.example", "groups": ["system:authenticated", "platform-admins"]},
            "objectRef": {"resource": "clusterpolicies", "name": POLICY, "apiGroup": "kyverno.io", "apiVersion": "v1"},
            "responseStatus": {"metadata": {}, "code": 200},
            "requestReceivedTimestamp": ts(at - Duration::milliseconds(90)), "stageTimestamp": ts(at)});
        e["requestObject"] = policy(2, "Enforce", &release_key, exported);
        e["responseObject"] = e["requestObject"].clone();
        events.entry(at.date_naive()).or_default().push(e);
    }

    // The audit log: a file a day as the log backend rotates it; every seventh day as the
    // webhook backend's batches (one redelivered).
    let audit_dir = out.join("k8s-audit");
    fs::create_dir_all(&audit_dir)?;
    let mut audit_records = 0u64;
    for (n, (day, list)) in events.iter_mut().enumerate() {
        list.sort_by(|a, b| {
            a["stageTimestamp"]
                .as_str()
                .cmp(&b["stageTimestamp"].as_str())
        });
        audit_records += list.len() as u64;
        if n % 7 == 6 {
            let batch = json!({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {}, "items": list});
            let text = serde_json::to_vec(&batch)?;
            fs::write(audit_dir.join(format!("webhook-{day}-1.json")), &text)?;
            if n % 14 == 6 {
                fs::write(audit_dir.join(format!("webhook-{day}-2.json")), &text)?;
                *real_world.entry("redelivered_batches".into()).or_default() += 1;
            }
        } else {
            let mut text = String::new();
            for e in list.iter() {
                text.push_str(&e.to_string());
                text.push('\n');
            }
            fs::write(audit_dir.join(format!("audit-{day}.log")), text)?;
        }
    }

    // Kyverno: the policies exported at the start and at the end (after any switch), and a
    // policy report of the production namespace at the end. Without image verification the
    // exports hold only the policy that validates labels.
    let kyverno = out.join("kyverno");
    let mut policy_records = 0u64;
    let last_export = history_end - Duration::hours(1);
    for (at, version) in [(exported, versions.first()), (last_export, versions.last())] {
        let dir = kyverno.join(rfc3339(at, SecondsFormat::Secs));
        fs::create_dir_all(&dir)?;
        let mut items = vec![labels_policy(exported)];
        if let Some((generation, action, _)) = version {
            items.insert(0, policy(*generation, action, &release_key, exported));
        }
        policy_records += items.len() as u64;
        let list = json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
            "items": items});
        fs::write(
            dir.join("clusterpolicies.json"),
            serde_json::to_vec_pretty(&list)?,
        )?;
    }
    if !versions.is_empty() {
        let dir = kyverno.join(rfc3339(last_export, SecondsFormat::Secs));
        let latest: BTreeMap<&str, &AdmissionTruth> = admissions
            .iter()
            .filter(|a| a.allowed)
            .map(|a| (a.repo.as_str(), a))
            .collect();
        let results: Vec<Value> = latest
            .values()
            .map(|a| {
                let name = a.repo.trim_start_matches("acme/");
                json!({"policy": POLICY, "rule": "check-provenance",
                    "result": if a.verified { "pass" } else { "fail" }, "scored": true, "source": "kyverno",
                    "message": if a.verified { "verified image signatures for ghcr.io/acme/*" } else { "failed to verify image signatures" },
                    "timestamp": {"seconds": a.at.timestamp(), "nanos": 0},
                    "resources": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "namespace": "prod"}]})
            })
            .collect();
        let report = json!({"apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
            "metadata": {"name": "cpol-verify-images", "namespace": "prod"},
            "summary": {"pass": results.iter().filter(|r| r["result"] == "pass").count(),
                "fail": results.iter().filter(|r| r["result"] == "fail").count(), "warn": 0, "error": 0, "skip": 0},
            "results": results});
        policy_records += report["results"].as_array().map_or(0, Vec::len) as u64;
        fs::write(
            dir.join("policyreports.json"),
            serde_json::to_vec_pretty(&report)?,
        )?;
    }

    // The provenance: bundles as `gh attestation download` writes them, DSSE envelopes as
    // `cosign download attestation` does; a file a day each.
    let mut attestation_records = 0u64;
    for (dir, by_day) in [
        ("provenance/bundles", &bundles),
        ("provenance/dsse", &envelopes),
    ] {
        let dir = out.join(dir);
        fs::create_dir_all(&dir)?;
        for (day, list) in by_day {
            attestation_records += list.len() as u64;
            let text: String = list.iter().map(|v| format!("{v}\n")).collect();
            fs::write(dir.join(format!("{day}.jsonl")), text)?;
        }
    }

    let planted = admissions
        .iter()
        .filter(|a| a.class != "release")
        .cloned()
        .collect();
    Ok(SupplyChainTruth {
        policy_versions: versions
            .iter()
            .map(|(g, action, from)| PolicyVersionTruth {
                version: g.to_string(),
                mode: action.to_ascii_lowercase(),
                valid_from: *from,
            })
            .collect(),
        planted,
        admissions,
        attestations_signed: signed_times,
        trusted_identity: TRUSTED_IDENTITY.to_string(),
        real_world,
        files: BTreeMap::from([
            ("audit_events".to_string(), audit_records),
            ("kyverno_records".to_string(), policy_records),
            ("attestations".to_string(), attestation_records),
        ]),
    })
}

/// Kubernetes audit events at volume, for the ingest benchmark: `total` events over `days`
/// days from `start`, in one log file a day as the log backend rotates them (`audit-DAY.log`
/// under `out`): every write's `RequestReceived` and `ResponseComplete` stages, one decision in
/// four a Deployment admission into `prod` or `staging` (with its objects), the rest reads of
/// the workloads. Returns the bytes written.
pub fn k8s_audit_volume(
    out: &Path,
    total: u64,
    start: NaiveDate,
    days: u32,
    seed: u64,
) -> std::io::Result<u64> {
    use std::io::Write as _;
    fs::create_dir_all(out)?;
    let mut rng = Rng::new(seed ^ 0x51C5_7042_B0B0_0007);
    let begin = start.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let per_day = total.div_ceil(u64::from(days.max(1)));
    let step = (86_400_000_000 / per_day.max(1)) as i64;
    let (mut written, mut bytes) = (0u64, 0u64);
    for d in 0..days {
        let day = start + Duration::days(i64::from(d));
        let path = out.join(format!("audit-{day}.log"));
        let mut file = std::io::BufWriter::new(fs::File::create(&path)?);
        let mut n = 0u64;
        while n < per_day && written < total {
            let at = begin
                + Duration::days(i64::from(d))
                + Duration::microseconds(step * n as i64 + rng.below(step.max(1) as u64) as i64);
            let repo = format!("acme/svc-{:04}", rng.below(200));
            let id = format!("{:016x}-{:016x}", rng.bits(), rng.bits());
            let lines = if rng.below(4) == 0 {
                let image = format!("ghcr.io/{repo}@{}", digest_of(&id, ""));
                let namespace = if rng.chance(0.5) { "prod" } else { "staging" };
                let e = decision(
                    &id,
                    &repo,
                    namespace,
                    &image,
                    "system:serviceaccount:ci:github-deployer",
                    at,
                    2,
                    None,
                );
                vec![received(&e), e]
            } else {
                let name = repo.trim_start_matches("acme/");
                vec![
                    json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
                    "auditID": id, "stage": "ResponseComplete", "verb": "get",
                    "requestURI": format!("/apis/apps/v1/namespaces/prod/deployments/{name}"),
                    "user": {"username": "system:serviceaccount:monitoring:kube-state-metrics"},
                    "objectRef": {"resource": "deployments", "namespace": "prod", "name": name,
                        "apiGroup": "apps", "apiVersion": "v1"},
                    "responseStatus": {"metadata": {}, "code": 200},
                    "requestReceivedTimestamp": ts(at), "stageTimestamp": ts(at)}),
                ]
            };
            for e in lines {
                let text = serde_json::to_vec(&e)?;
                bytes += text.len() as u64 + 1;
                file.write_all(&text)?;
                file.write_all(b"\n")?;
                written += 1;
                n += 1;
            }
        }
        file.flush()?;
    }
    Ok(bytes)
}

/// Signed provenance at volume, for the verification benchmark: `total` attestations of
/// distinct images, keyless Sigstore bundles (`keyless`) or DSSE envelopes signed by the
/// release key, in JSON-lines files of 1,000 under `out`, with the `sigstore/` trust that
/// verifies them (as [`crate::generate`] writes it). Returns the bytes written.
pub fn attestation_volume(
    out: &Path,
    total: u64,
    keyless: bool,
    seed: u64,
) -> std::io::Result<u64> {
    let mut rng = Rng::new(seed ^ 0x51C5_7042_B0B0_0008);
    let from: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().expect("an instant");
    let release_key = Key::draw(&mut rng);
    let mut fulcio = TestSigstore::new(&mut rng, from - Duration::days(30));
    let trust = out.join("sigstore");
    fs::create_dir_all(&trust)?;
    fs::write(trust.join("release.pub"), release_key.public_pem())?;
    fs::write(
        trust.join("trusted_root.json"),
        serde_json::to_vec_pretty(&fulcio.trusted_root())?,
    )?;
    let dir = out.join("provenance");
    fs::create_dir_all(&dir)?;
    let mut bytes = 0u64;
    let mut text = String::new();
    for i in 0..total {
        let repo = format!("acme/svc-{:04}", 2 * (i % 100));
        let commit = format!(
            "{:016x}{:016x}{:08x}",
            rng.bits(),
            rng.bits(),
            rng.bits() as u32
        );
        let r = Release {
            repo: repo.clone(),
            commit: commit.clone(),
            run_id: 9_000_000_000 + i,
            built_at: from + Duration::seconds(30 * i as i64),
            applied_at: from + Duration::seconds(30 * i as i64 + 60),
            sast: None,
        };
        let digest = digest_of(&commit, "");
        let image = format!("ghcr.io/{repo}@{digest}");
        let v = if keyless {
            let s = statement(&r, &image, &digest, true);
            fulcio.bundle(
                &mut rng,
                &s,
                &workflow(&repo),
                ISSUER,
                r.built_at + Duration::seconds(5),
            )
        } else {
            sigstore::envelope(&release_key, &statement(&r, &image, &digest, false)).0
        };
        text.push_str(&v.to_string());
        text.push('\n');
        if (i + 1) % 1_000 == 0 || i + 1 == total {
            bytes += text.len() as u64;
            fs::write(dir.join(format!("part-{:05}.jsonl", i / 1_000)), &text)?;
            text.clear();
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GenerateOptions, generate};

    fn organisation(dir: &Path, seed: u64, maturity: Maturity) -> crate::Truth {
        generate(&GenerateOptions {
            out: dir.to_path_buf(),
            services: 4,
            days: 60,
            end: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            seed,
            maturity,
        })
        .unwrap()
    }

    fn bytes_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        for sub in [
            "k8s-audit",
            "provenance/bundles",
            "provenance/dsse",
            "sigstore",
        ] {
            for e in fs::read_dir(dir.join(sub)).unwrap() {
                let p = e.unwrap().path();
                out.insert(
                    p.display()
                        .to_string()
                        .replace(&dir.display().to_string(), ""),
                    fs::read(&p).unwrap(),
                );
            }
        }
        out
    }

    #[test]
    fn the_advisory_organisation_plants_each_case_around_the_switch_and_a_seed_writes_the_same_bytes()
     {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let truth = organisation(a.path(), 3, Maturity::Advisory).supply_chain;
        organisation(b.path(), 3, Maturity::Advisory);
        assert_eq!(
            bytes_of(a.path()),
            bytes_of(b.path()),
            "deterministic, signatures included"
        );
        let switch = truth.policy_versions[1].valid_from;
        let classes: Vec<(&str, bool)> = truth
            .planted
            .iter()
            .map(|p| (p.class.as_str(), p.at < switch))
            .collect();
        assert_eq!(
            classes,
            [
                ("unexpected_signer", true),
                ("unsigned_audit", true),
                ("tampered_denied", false),
                ("unsigned_denied", false),
            ]
        );
        for a in &truth.admissions {
            let (version, mode) = if a.at < switch {
                ("1", "audit")
            } else {
                ("2", "enforce")
            };
            assert_eq!(
                (a.policy_version.as_deref(), a.policy_mode.as_deref()),
                (Some(version), Some(mode))
            );
            // Under Enforce only verified images get in.
            assert!(a.at < switch || a.allowed == a.verified, "{a:?}");
        }
    }
}
