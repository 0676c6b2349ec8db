//! Attestations verified at ingest: the Sigstore conformance cases
//! (`../shared/fixtures/provenance/conformance`, from sigstore/sigstore-conformance) each with
//! its expected verdict and reason, and the real SLSA provenance fixtures ingested with their
//! provenance and verdicts against the public-good trusted root (`tests/data/sigstore`).

use std::path::Path;

use evlake_ingest::IngestRun;
use evlake_ingest::sources::in_toto::{Identity, Matcher, PublicKey, TrustedRoot, Verifier};
use evlake_store::Lake;
use serde_json::{Map, Value, json};

use super::{data, fixtures, replay, rows};

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

fn prod_root() -> TrustedRoot {
    TrustedRoot::from_json(&std::fs::read(data("sigstore/trusted_root.prod.json")).unwrap())
        .unwrap()
}

fn read_or(dir: &Path, name: &str, default: &str) -> String {
    std::fs::read_to_string(dir.join(name)).map_or(default.to_string(), |s| s.trim().to_string())
}

/// How the conformance suite runs a case: its artifact, identity, issuer, key and root, or
/// the suite's defaults.
fn verify_case(dir: &Path) -> evlake_ingest::sources::in_toto::Verdict {
    let bundle: Value =
        serde_json::from_slice(&std::fs::read(dir.join("bundle.sigstore.json")).unwrap()).unwrap();
    let artifact = std::fs::read(dir.join("artifact"))
        .unwrap_or_else(|_| std::fs::read(dir.parent().unwrap().join("a.txt")).unwrap());
    let root = match std::fs::read(dir.join("trusted_root.json")) {
        Ok(bytes) => TrustedRoot::from_json(&bytes).unwrap(),
        Err(_) => prod_root(),
    };
    let mut verifier = Verifier {
        root: Some(root),
        ..Verifier::default()
    };
    match std::fs::read_to_string(dir.join("key.pub")) {
        Ok(pem) => verifier
            .keys
            .push(("key.pub".into(), PublicKey::from_pem(&pem).unwrap())),
        Err(_) => verifier.identities.push(Identity {
            subject: Matcher::Exact(read_or(dir, "identity", DEFAULT_IDENTITY)),
            issuer: Matcher::Exact(read_or(dir, "issuer", GITHUB_ISSUER)),
        }),
    }
    verifier.bundle(&bundle, Some(&artifact))
}

#[test]
fn every_sigstore_conformance_case_gets_its_verdict_for_its_reason() {
    let expected: &[(&str, Option<&str>)] = &[
        (
            "bundle-from-wrong-instance_fail",
            Some("a transparency log the trusted root does not know"),
        ),
        (
            "bundle-unknown-version_fail",
            Some("unsupported Sigstore bundle version"),
        ),
        (
            "dsse-invalid-sig_fail",
            Some("the envelope's signature does not verify"),
        ),
        ("happy-path-intoto-in-dsse-v3", None),
        ("happy-path-v0.1", None),
        ("happy-path-v0.3", None),
        ("managed-key-happy-path", None),
        (
            "signature-mismatch_fail",
            Some("the message signature does not verify"),
        ),
    ];
    let suite = fixtures("provenance/conformance");
    let mut cases: Vec<String> = std::fs::read_dir(&suite)
        .unwrap()
        .filter_map(|e| e.ok().filter(|e| e.path().is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    assert_eq!(
        cases,
        expected
            .iter()
            .map(|(c, _)| c.to_string())
            .collect::<Vec<_>>(),
        "every case of the suite is listed"
    );
    for (case, reason) in expected {
        let verdict = verify_case(&suite.join(case));
        assert_eq!(
            verdict.verified,
            !case.ends_with("_fail"),
            "{case}: {:?}",
            verdict.error
        );
        match reason {
            Some(r) => assert!(
                verdict.error.as_deref().is_some_and(|e| e.contains(r)),
                "{case}: {:?}",
                verdict.error
            ),
            None => assert_eq!(verdict.error, None, "{case}"),
        }
    }
    // What a verified keyless verdict rests on.
    let v = verify_case(&suite.join("happy-path-v0.3"));
    assert_eq!(v.signer_identity.as_deref(), Some(DEFAULT_IDENTITY));
    assert_eq!(v.signer_issuer.as_deref(), Some(GITHUB_ISSUER));
    assert!(v.integrated_time.is_some() && v.log_index.is_some());
    assert_eq!(v.trust_root_sha256, Some(prod_root().sha256));
    let keyed = verify_case(&suite.join("managed-key-happy-path"));
    assert_eq!(keyed.signer_identity.as_deref(), Some("key.pub"));
    assert_eq!(keyed.signer_issuer, None);
}

#[test]
fn a_happy_case_fails_when_anything_it_rests_on_changes() {
    let suite = fixtures("provenance/conformance");
    let dir = suite.join("happy-path-intoto-in-dsse-v3");
    let bundle: Value =
        serde_json::from_slice(&std::fs::read(dir.join("bundle.sigstore.json")).unwrap()).unwrap();
    let verifier = |subject: &str| Verifier {
        root: Some(prod_root()),
        identities: vec![Identity {
            subject: Matcher::pattern(subject).unwrap(),
            issuer: Matcher::Exact(GITHUB_ISSUER.into()),
        }],
        ..Verifier::default()
    };
    let ok = verifier("https://github.com/sigstore-conformance/.*");
    assert!(ok.bundle(&bundle, None).verified);
    let other = verifier("https://github.com/acme/.*").bundle(&bundle, None);
    assert!(
        !other.verified
            && other
                .error
                .as_deref()
                .unwrap()
                .contains("not a configured identity"),
        "{other:?}"
    );
    // Each of these edits must break it, each for its own reason.
    let cases: &[(&str, &str, &str)] = &[
        (
            "/dsseEnvelope/payloadType",
            "text/plain",
            "signature does not verify",
        ),
        (
            "/verificationMaterial/tlogEntries/0/integratedTime",
            "1700000000",
            "signed entry timestamp does not verify",
        ),
        (
            "/verificationMaterial/tlogEntries/0/inclusionProof/logIndex",
            "1",
            "inclusion proof does not lead to its root hash",
        ),
    ];
    for (pointer, value, reason) in cases {
        let mut b = bundle.clone();
        *b.pointer_mut(pointer).unwrap() = json!(value);
        let v = ok.bundle(&b, None);
        assert!(
            !v.verified && v.error.as_deref().unwrap().contains(reason),
            "{pointer}: {v:?}"
        );
    }
    // A log entry that records another payload: replace the body with one of another case.
    let other: Value = serde_json::from_slice(
        &std::fs::read(suite.join("dsse-invalid-sig_fail/bundle.sigstore.json")).unwrap(),
    )
    .unwrap();
    let mut b = bundle.clone();
    b["verificationMaterial"]["tlogEntries"] = other["verificationMaterial"]["tlogEntries"].clone();
    let v = ok.bundle(&b, None);
    assert!(!v.verified, "{v:?}");
    // Without a trusted root a keyless signature is never verified.
    let v = Verifier {
        root: None,
        ..ok.clone()
    }
    .bundle(&bundle, None);
    assert!(!v.verified && v.error.unwrap().contains("needs a trusted root"));
}

fn in_toto_settings() -> Map<String, Value> {
    let Value::Object(m) = json!({
        "trusted_root_file": data("sigstore/trusted_root.prod.json").display().to_string(),
        "identities": [
            {"subject_regex": "https://github.com/(slsa-framework|bazel-contrib)/.*", "issuer": GITHUB_ISSUER},
        ],
    }) else {
        unreachable!()
    };
    m
}

#[tokio::test]
async fn every_provenance_fixture_ingests_with_its_provenance_and_verdict() {
    let lake = Lake::open("memory://").unwrap();
    let run = IngestRun::new(lake.clone(), "in-toto", "provenance", &in_toto_settings()).unwrap();
    let dir = fixtures("provenance");
    let paths: Vec<_> = [
        "slsa-v0.2_gha_go_dsse.intoto.jsonl",
        "slsa-v1_bcr_sigstore-bundle-v0.3.json",
        "slsa-v1_gha_container-based_sigstore-bundle-v0.2.json",
    ]
    .iter()
    .map(|f| dir.join(f))
    .collect();
    let summary = run.ingest_paths(&paths).await.unwrap();
    assert_eq!(
        (summary.files, summary.records, summary.quarantined),
        (3, 3, 0)
    );
    let got = rows(
        &lake,
        "SELECT artifact_name, artifact_digest, predicate_type, builder_id, source_repo, \
         source_commit, run_id, signature_verified, signer_identity, signer_issuer, log_index, \
         CAST(integrated_time AS VARCHAR) AS integrated_time, verification_error \
         FROM attestations ORDER BY artifact_name",
    )
    .await;
    let s = |r: &Map<String, Value>, k: &str| r.get(k).cloned().unwrap_or(Value::Null);
    let table: Vec<Vec<Value>> = got
        .iter()
        .map(|r| {
            [
                "artifact_name",
                "source_repo",
                "source_commit",
                "run_id",
                "signature_verified",
                "signer_identity",
                "log_index",
                "integrated_time",
            ]
            .iter()
            .map(|k| s(r, k))
            .collect()
        })
        .collect();
    assert_eq!(
        table,
        vec![
            vec![
                json!("MODULE.bazel"),
                json!("https://github.com/aspect-build/rules_lint"),
                json!("8f70009fde0c94ade6ce2a054b94718c819126ec"),
                json!("14095611671"),
                json!(true),
                json!(
                    "https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml@refs/tags/v0.0.1"
                ),
                json!(188622862),
                json!("2025-03-26T23:47:30Z"),
            ],
            vec![
                json!("gha_container-based-binary-linux-amd64-v14.2"),
                json!("https://github.com/slsa-framework/example-package"),
                json!("4d329c75e7ec1725f7c9ce917a8799d408d06be3"),
                json!("13530999644"),
                json!(true),
                json!(
                    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_container-based_slsa3.yml@refs/tags/v2.1.0"
                ),
                json!(174298097),
                json!("2025-02-25T21:11:45Z"),
            ],
            vec![
                json!("gha_go-binary-linux-amd64-v14.2"),
                json!("https://github.com/slsa-framework/example-package"),
                json!("693130cb6cb840a7bc9cb18c6510d536a95dc7e6"),
                // The generator's buildInvocationID, `<run>-<attempt>`.
                json!("8791219514"),
                json!(false),
                json!(
                    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml@refs/tags/v2.0.0"
                ),
                Value::Null,
                Value::Null,
            ],
        ],
        "{got:#?}"
    );
    // The bare envelope's signature and chain hold; only a log entry could prove its time.
    assert!(
        s(&got[2], "verification_error")
            .as_str()
            .unwrap()
            .contains("no transparency-log entry proves")
    );
    assert_eq!(s(&got[0], "signer_issuer"), json!(GITHUB_ISSUER));
}

/// A page of `GET /repos/{repo}/attestations/{digest}` listing `bundles`, with GitHub's
/// cursor link to the next page when there is one.
fn attestations_page(bundles: &[Value], path: &str, next: Option<&str>) -> replay::Recorded {
    let mut headers = vec![(
        "Content-Type".to_string(),
        "application/json; charset=utf-8".to_string(),
    )];
    if let Some(after) = next {
        headers.push((
            "Link".into(),
            format!("<{{base}}{path}?per_page=100&after={after}>; rel=\"next\""),
        ));
    }
    let attestations: Vec<Value> = bundles
        .iter()
        .map(|b| json!({"bundle": b, "repository_id": 600_000_001, "bundle_url": null}))
        .collect();
    replay::Recorded {
        status: 200,
        headers,
        body: serde_json::to_vec(&json!({"attestations": attestations})).unwrap(),
    }
}

#[tokio::test]
async fn the_attestations_api_is_paged_by_cursor_and_a_pull_again_adds_nothing() {
    let dir = fixtures("provenance");
    let bundle = |f: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap()
    };
    let v02 = bundle("slsa-v1_gha_container-based_sigstore-bundle-v0.2.json");
    let v03 = bundle("slsa-v1_bcr_sigstore-bundle-v0.3.json");
    let digest = "sha256:0000000000000000000000000000000000000000000000000000000000000001";
    let path = format!("/repos/slsa-framework/example-package/attestations/{digest}");
    let mut routes = replay::Routes::default();
    // A rate limit first, as GitHub answers a burst: the request is made again after it.
    let reset = chrono::Utc::now().timestamp() + 1;
    routes.add(
        &path,
        "1",
        replay::Recorded {
            status: 403,
            headers: vec![
                ("x-ratelimit-remaining".into(), "0".into()),
                ("x-ratelimit-reset".into(), reset.to_string()),
            ],
            body: br#"{"message":"API rate limit exceeded"}"#.to_vec(),
        },
    );
    routes.add(
        &path,
        "1",
        attestations_page(&[v02], &path, Some("Y3Vyc29yOjE")),
    );
    routes.add(&path, "Y3Vyc29yOjE", attestations_page(&[v03], &path, None));
    let server = replay::ReplayServer::start(routes).await;
    let mut settings = in_toto_settings();
    settings.insert(
        "api".into(),
        json!({"url": server.base, "repos": ["slsa-framework/example-package"],
            "subjects": [digest], "token_env": "EVLAKE_TEST_ATTESTATIONS_TOKEN"}),
    );
    let lake = Lake::open("memory://").unwrap();
    let run = || IngestRun::new(lake.clone(), "in-toto", "github-attestations", &settings).unwrap();
    let first = run().pull().await.unwrap();
    let log = server.log.lock().unwrap().clone();
    assert_eq!(
        (first.pages, first.records, first.quarantined),
        (2, 2, 0),
        "{log:?}"
    );
    assert_eq!(
        log.len(),
        3,
        "the rate-limited request is made again: {log:?}"
    );
    assert!(
        log[0].ends_with(&format!("{digest}?per_page=100")),
        "{log:?}"
    );
    assert!(log[2].ends_with("after=Y3Vyc29yOjE"), "{log:?}");
    let got = rows(
        &lake,
        "SELECT artifact_name, signature_verified, log_index FROM attestations ORDER BY artifact_name",
    )
    .await;
    let table: Vec<Vec<Value>> = got
        .iter()
        .map(|r| {
            vec![
                r["artifact_name"].clone(),
                r["signature_verified"].clone(),
                r["log_index"].clone(),
            ]
        })
        .collect();
    assert_eq!(
        table,
        vec![
            vec![json!("MODULE.bazel"), json!(true), json!(188622862)],
            vec![
                json!("gha_container-based-binary-linux-amd64-v14.2"),
                json!(true),
                json!(174298097)
            ],
        ]
    );
    // An attestation never changes: asking again finds the same bundles and keeps them once.
    let again = run().pull().await.unwrap();
    let table = &again.tables["attestations"];
    assert_eq!(
        (again.pages, table.added, table.duplicates),
        (2, 0, 2),
        "{again:?}"
    );
    assert_eq!(
        rows(&lake, "SELECT COUNT(*) AS n FROM attestations").await[0]["n"],
        json!(2)
    );
}
