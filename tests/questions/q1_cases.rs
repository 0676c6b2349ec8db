//! q1's rules, each planted once in the tools' own formats (GitHub Actions REST bodies, SARIF,
//! the exceptions register) and ingested at known instants: exceptions recorded after the
//! deploy they would excuse, an entry changed A -> B -> A, a bare scope, a deploy job that
//! failed on its own, a SAST block, a deployment GitHub later marked `inactive`, GitHub code
//! scanning alerts open or dismissed at the deploy, and a SARIF log stored twice.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use evlake_core::FixedClock;
use evlake_ingest::IngestRun;
use evlake_query::{QuerySession, Verdict};
use evlake_store::Lake;
use serde_json::{Map, Value, json};

use super::end_of;

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// One push of `repo`: its SAST job (failing when `sast_failed`), the SARIF log with a
/// critical finding, and the deploy job with the deployment it made.
struct Push {
    repo: &'static str,
    sast_failed: bool,
    /// `success`, `failure` or `skipped`.
    deploy: &'static str,
}

/// When every push of the fixture ran: the deploy job starts 10 minutes later.
fn pushed() -> DateTime<Utc> {
    "2026-11-18T10:00:00Z".parse().unwrap()
}

fn write_pushes(dir: &Path, pushes: &[Push]) {
    std::fs::create_dir_all(dir.join("github")).unwrap();
    std::fs::create_dir_all(dir.join("sarif")).unwrap();
    let t0 = pushed();
    let mut jobs = Vec::new();
    let mut deployments = Vec::new();
    let mut statuses = Vec::new();
    for (i, push) in pushes.iter().enumerate() {
        let (run_id, commit) = (7000 + i as u64, format!("{:040x}", 0xc0ffee + i));
        let api = format!("https://api.github.com/repos/{}", push.repo);
        let job = |id: u64, name: &str, conclusion: &str, start: DateTime<Utc>| {
            json!({
                "id": id, "run_id": run_id, "workflow_name": "ci", "head_branch": "main",
                "run_url": format!("{api}/actions/runs/{run_id}"), "run_attempt": 1,
                "head_sha": commit, "url": format!("{api}/actions/jobs/{id}"),
                "html_url": format!("https://github.com/{}/actions/runs/{run_id}/job/{id}", push.repo),
                "status": "completed", "conclusion": conclusion, "created_at": ts(t0),
                "started_at": ts(start), "completed_at": ts(start + Duration::minutes(5)),
                "name": name, "steps": [],
            })
        };
        let (sast_id, deploy_id) = (80_000 + 2 * i as u64, 80_001 + 2 * i as u64);
        jobs.push(json!({"total_count": 2, "jobs": [
            job(sast_id, "semgrep", if push.sast_failed { "failure" } else { "success" }, t0),
            job(deploy_id, "deploy-production", push.deploy, t0 + Duration::minutes(10)),
        ]}));
        let sarif = json!({"version": "2.1.0", "runs": [{
            "tool": {"driver": {"name": "Semgrep", "version": "1.90.0"}},
            "versionControlProvenance": [{"repositoryUri": format!("https://github.com/{}", push.repo), "revisionId": commit}],
            "invocations": [{"executionSuccessful": true, "endTimeUtc": ts(t0 + Duration::minutes(5))}],
            "results": [{"ruleId": "python.sqli", "level": "error",
                "message": {"text": "SQL built from request data"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app/db.py"}, "region": {"startLine": 12}}}],
                "partialFingerprints": {"primaryLocationLineHash": format!("{commit}:1")},
                "properties": {"security-severity": "9.8"}}],
        }]});
        std::fs::write(
            dir.join("sarif").join(format!("{i}.sarif")),
            serde_json::to_vec_pretty(&sarif).unwrap(),
        )
        .unwrap();
        if push.deploy != "skipped" {
            let id = 5000 + i as u64;
            let url = format!("{api}/deployments/{id}");
            let log = format!(
                "https://github.com/{}/actions/runs/{run_id}/job/{deploy_id}",
                push.repo
            );
            deployments.push(json!({"url": url, "id": id, "sha": commit, "ref": "main",
                "environment": "production", "created_at": ts(t0 + Duration::minutes(10)),
                "updated_at": ts(t0 + Duration::minutes(15)), "statuses_url": format!("{url}/statuses"),
                "repository_url": api, "creator": {"login": "github-actions[bot]"}}));
            statuses.push(json!([{"url": format!("{url}/statuses/{id}"), "id": id,
                "state": push.deploy, "environment": "production", "log_url": log, "target_url": log,
                "created_at": ts(t0 + Duration::minutes(15)), "updated_at": ts(t0 + Duration::minutes(15)),
                "deployment_url": url, "repository_url": api}]));
        }
    }
    // A deployment made by an external CD tool (no job): it went out, and a later deployment
    // superseded it, so GitHub marked it `inactive`.
    let api = "https://api.github.com/repos/acme/h";
    let commit = format!("{:040x}", 0xbeef);
    let url = format!("{api}/deployments/6000");
    deployments.push(json!({"url": url, "id": 6000, "sha": commit, "ref": "main",
        "environment": "production", "created_at": ts(t0 + Duration::minutes(10)),
        "updated_at": ts(t0 + Duration::hours(20)), "statuses_url": format!("{url}/statuses"),
        "repository_url": api, "creator": {"login": "argocd"}}));
    statuses.push(json!([
        {"url": format!("{url}/statuses/2"), "id": 60002, "state": "inactive", "environment": "production",
         "created_at": ts(t0 + Duration::hours(20)), "updated_at": ts(t0 + Duration::hours(20)),
         "deployment_url": url, "repository_url": api},
        {"url": format!("{url}/statuses/1"), "id": 60001, "state": "success", "environment": "production",
         "created_at": ts(t0 + Duration::minutes(15)), "updated_at": ts(t0 + Duration::minutes(15)),
         "deployment_url": url, "repository_url": api},
    ]));
    let sarif = json!({"version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "CodeQL", "semanticVersion": "2.19.0"}},
        "versionControlProvenance": [{"repositoryUri": "https://github.com/acme/h", "revisionId": commit}],
        "invocations": [{"executionSuccessful": true, "endTimeUtc": ts(t0)}],
        "results": [{"ruleId": "js/sql-injection", "level": "error", "message": {"text": "SQL injection"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/db.js"}}}],
            "partialFingerprints": {"primaryLocationLineHash": "h:1"},
            "properties": {"security-severity": "9.1"}}],
    }]});
    std::fs::write(
        dir.join("sarif/h.sarif"),
        serde_json::to_vec(&sarif).unwrap(),
    )
    .unwrap();
    let lines = |bodies: &[Value]| {
        bodies
            .iter()
            .map(|b| b.to_string() + "\n")
            .collect::<String>()
    };
    std::fs::write(dir.join("github/jobs.jsonl"), lines(&jobs)).unwrap();
    std::fs::write(
        dir.join("github/deployments.json"),
        Value::Array(deployments).to_string(),
    )
    .unwrap();
    std::fs::write(dir.join("github/statuses.jsonl"), lines(&statuses)).unwrap();
}

/// A register entry for `sast`.
fn entry(id: &str, scope: &str, owner: Option<&str>, expires: &str) -> String {
    let owner = owner.map_or(String::new(), |o| format!("    owner: {o}\n"));
    format!(
        "  - id: {id}\n    control: sast\n    scope: {scope}\n{owner}    created: 2026-11-01\n    expires: {expires}\n"
    )
}

async fn ingest(lake: &Lake, kind: &str, name: &str, settings: Value, path: &Path) {
    let settings: Map<String, Value> = serde_json::from_value(settings).unwrap();
    let summary = IngestRun::new(lake.clone(), kind, name, &settings)
        .unwrap()
        .ingest_paths(&[path.to_path_buf()])
        .await
        .unwrap();
    assert_eq!(summary.quarantined, 0, "{name}: {summary:?}");
}

/// Ingests what [`write_pushes`] wrote under `dir/github`, with its gate names.
async fn ingest_github(lake: &Lake, dir: &Path) {
    let gates = json!({"gates": {"sast": ["semgrep"], "deploy": ["deploy-production"]}});
    ingest(lake, "github-actions", "github", gates, &dir.join("github")).await;
}

#[tokio::test]
async fn q1_classifies_each_planted_rule_exactly() {
    let dir = tempfile::tempdir().unwrap();
    write_pushes(
        dir.path(),
        &[
            // Covered by EXC-A, recorded long before.
            Push {
                repo: "acme/a",
                sast_failed: true,
                deploy: "success",
            },
            // Covered by EXC-B, added (backdated) after the deploy.
            Push {
                repo: "acme/b",
                sast_failed: true,
                deploy: "success",
            },
            // EXC-C had expired; its expiry was extended after the deploy.
            Push {
                repo: "acme/c",
                sast_failed: true,
                deploy: "success",
            },
            // Covered by EXC-D, whose scope is the bare repository name.
            Push {
                repo: "acme/d",
                sast_failed: true,
                deploy: "success",
            },
            // Covered by EXC-E, added (backdated) 12 hours after the deploy: within the grace.
            Push {
                repo: "acme/e",
                sast_failed: true,
                deploy: "success",
            },
            // The deploy job ran and failed on its own: not a block.
            Push {
                repo: "acme/f",
                sast_failed: true,
                deploy: "failure",
            },
            // SAST failed and the deploy job was skipped: blocked.
            Push {
                repo: "acme/g",
                sast_failed: true,
                deploy: "skipped",
            },
        ],
    );
    let register = dir.path().join("exceptions.yaml");
    let a = |owner: bool| {
        entry(
            "EXC-A",
            "repo:acme/a",
            owner.then_some("lead-a@acme.example"),
            "2026-12-31",
        )
    };
    let b = entry(
        "EXC-B",
        "service:b",
        Some("lead-b@acme.example"),
        "2026-12-31",
    );
    let c = |expires| entry("EXC-C", "repo:acme/c", Some("lead-c@acme.example"), expires);
    let d = entry("EXC-D", "acme/d", Some("lead-d@acme.example"), "2026-12-31");
    let e = entry(
        "EXC-E",
        "'repo: acme/e'",
        Some("lead-e@acme.example"),
        "2026-12-31",
    );
    let ghost = entry(
        "EXC-GHOST",
        "acme/ghost",
        Some("nobody@acme.example"),
        "2026-12-31",
    );
    let versions = [
        // Long before the deploys.
        (
            end_of("2026-11-01"),
            [a(true), c("2026-11-15"), d.clone(), ghost.clone()].concat(),
        ),
        // 12 hours after: EXC-A loses its owner (the state in force at the deploy had one),
        // EXC-E appears, backdated, within the 24-hour grace.
        (
            pushed() + Duration::hours(12),
            [
                a(false),
                c("2026-11-15"),
                d.clone(),
                ghost.clone(),
                e.clone(),
            ]
            .concat(),
        ),
        // 36 hours after, past the grace: EXC-B appears backdated, EXC-C is extended.
        (
            pushed() + Duration::hours(36),
            [
                a(false),
                b.clone(),
                c("2026-12-31"),
                d.clone(),
                ghost.clone(),
                e.clone(),
            ]
            .concat(),
        ),
        // EXC-A gets its owner back (A -> B -> A), and EXC-GHOST is deleted.
        (
            "2026-11-20T06:00:00Z".parse().unwrap(),
            [a(true), b, c("2026-12-31"), d, e].concat(),
        ),
    ];
    let (v2_at, v3_at) = (versions[2].0, versions[3].0);

    let clock = Arc::new(FixedClock::new(versions[0].0));
    let lake = Lake::open(&dir.path().join("lake").display().to_string())
        .unwrap()
        .with_clock(clock.clone());
    let record_register = |at: DateTime<Utc>, text: String| {
        let (lake, clock, register) = (lake.clone(), clock.clone(), register.clone());
        async move {
            clock.set(at);
            std::fs::write(&register, format!("exceptions:\n{text}")).unwrap();
            ingest(&lake, "exceptions", "register", json!({}), &register).await;
        }
    };
    let mut versions = versions.into_iter();
    let (at, text) = versions.next().unwrap();
    record_register(at, text).await;
    // The CI evidence an hour after the pushes.
    clock.set(pushed() + Duration::hours(1));
    ingest_github(&lake, dir.path()).await;
    ingest(
        &lake,
        "sarif",
        "scans",
        json!({}),
        &dir.path().join("sarif"),
    )
    .await;
    for (at, text) in versions {
        record_register(at, text).await;
    }
    clock.set(end_of("2026-11-20") + Duration::hours(1));

    let session = QuerySession::builder(lake).build().await.unwrap();
    let as_of = end_of("2026-11-20");
    let answer = session.ask("q1", Some(as_of), None).await.unwrap();
    let mut classes: Vec<(String, String, Option<String>)> = answer
        .evidence
        .iter()
        .map(|r| {
            (
                r["repo"].as_str().unwrap().to_string(),
                r["class"].as_str().unwrap().to_string(),
                r["exception_id"].as_str().map(str::to_string),
            )
        })
        .collect();
    classes.sort();
    let row = |repo: &str, class: &str, exception: Option<&str>| {
        (
            repo.to_string(),
            class.to_string(),
            exception.map(str::to_string),
        )
    };
    assert_eq!(
        classes,
        [
            row("acme/a", "excepted", Some("EXC-A")),
            row("acme/b", "excepted_late", Some("EXC-B")),
            row("acme/c", "excepted_late", Some("EXC-C")),
            row("acme/d", "excepted", Some("EXC-D")),
            row("acme/e", "excepted", Some("EXC-E")),
            row("acme/f", "failed", None),
            row("acme/g", "blocked", None),
            row("acme/h", "advisory_leak", None),
        ]
    );
    let by_repo = |repo: &str| answer.evidence.iter().find(|r| r["repo"] == repo).unwrap();
    assert_eq!(by_repo("acme/f")["outcome"], "failed");
    assert_eq!(by_repo("acme/g")["blocked_by"], "semgrep");
    assert_eq!(
        by_repo("acme/h")["outcome"],
        "deployed",
        "inactive after success went out"
    );
    let recorded = |repo: &str| {
        by_repo(repo)["exception_recorded_at"]
            .as_str()
            .map(str::to_string)
    };
    let v2_text = v2_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    assert_eq!(recorded("acme/b").as_deref(), Some(v2_text.as_str()));
    assert_eq!(recorded("acme/c").as_deref(), Some(v2_text.as_str()));
    assert_eq!(recorded("acme/a"), None);

    // Each row names the records that decided it: the failed SAST job, the blocking
    // findings, and the exception's state — for acme/a the state recorded before the deploy,
    // not the current one.
    assert_eq!(by_repo("acme/g")["gate_source_id"], "job:80012");
    let hex64 = |v: &Value| {
        v.as_str()
            .is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    assert!(hex64(&by_repo("acme/g")["gate_record_sha256"]));
    assert!(
        hex64(&by_repo("acme/h")["finding_source_ids"]),
        "one CodeQL finding"
    );
    assert!(
        by_repo("acme/h")["gate_source_id"].is_null(),
        "no SAST job ran for h"
    );
    let states = session
        .user_query(
            "SELECT source_id, record_sha256, CAST(ingested_at AS VARCHAR) AS at FROM exceptions",
        )
        .await
        .unwrap();
    let states = evlake_query::batches_to_rows(&states).unwrap();
    let state_of = |repo: &str| {
        let row = by_repo(repo);
        let state = states
            .iter()
            .find(|s| s["source_id"] == row["exception_source_id"])
            .unwrap_or_else(|| panic!("{repo}: {row:?}"));
        assert_eq!(state["record_sha256"], row["exception_record_sha256"]);
        state["at"].as_str().unwrap().to_string()
    };
    assert_eq!(state_of("acme/a"), "2026-11-01T23:59:59.999999Z");
    assert_eq!(
        state_of("acme/b"),
        "2026-11-20T06:00:00Z",
        "the current state of a late one"
    );

    let metric = |answer: &evlake_query::Answer, k: &str| answer.metrics[k].clone();
    for (name, value) in [
        ("prod_deploys", json!(8)),
        ("blocked_by_sast", json!(1)),
        ("advisory_leaks", json!(1)),
        ("excepted", json!(3)),
        ("excepted_late", json!(2)),
        ("failed_deploys", json!(1)),
        ("sast_runs", json!(7)),
        // A to E: EXC-GHOST was deleted from the register.
        ("open_exceptions", json!(5)),
        ("exceptions_without_owner", json!(0)),
        ("exceptions_without_expiry", json!(0)),
        ("exceptions_matching_nothing", json!(0)),
        // Six went out (a, b, c, d, e, h); h had no SAST job.
        ("sast_coverage", json!(5.0 / 6.0)),
    ] {
        assert_eq!(metric(&answer, name), value, "{name}");
    }
    assert_eq!(answer.verdict, Verdict::Contradicted);
    assert_eq!(answer.level, 1, "coverage 0.83 misses level 2");

    // Known before v3, EXC-A's current state had no owner; its deploy stays excepted, by the
    // state recorded in time.
    let before_v3 = session
        .ask("q1", Some(as_of), Some(v3_at - Duration::minutes(1)))
        .await
        .unwrap();
    assert_eq!(metric(&before_v3, "exceptions_without_owner"), json!(1));
    assert_eq!(metric(&before_v3, "excepted"), json!(3));
    assert_eq!(metric(&before_v3, "open_exceptions"), json!(6));
    assert_eq!(metric(&before_v3, "exceptions_matching_nothing"), json!(1));
    assert_eq!(
        metric(&before_v3, "exceptions_matching_nothing_ids"),
        json!("EXC-GHOST")
    );
    // Known before v2, B and C had nothing to cover them: two leaks more.
    let before_v2 = session
        .ask("q1", Some(as_of), Some(v2_at - Duration::minutes(1)))
        .await
        .unwrap();
    assert_eq!(metric(&before_v2, "advisory_leaks"), json!(3));
    assert_eq!(metric(&before_v2, "excepted"), json!(3));
    assert_eq!(metric(&before_v2, "excepted_late"), json!(0));
}

/// A GitLab job as `GET /projects/:id/pipelines/:pipeline_id/jobs` returns it.
fn gitlab_job(
    id: u64,
    pipeline: u64,
    name: &str,
    stage: &str,
    status: &str,
    allow_failure: bool,
    at: DateTime<Utc>,
) -> Value {
    // GitLab sets `started_at` when a job starts running and `finished_at` only when it
    // succeeds, fails or is cancelled: a skipped or manual job has neither.
    let finished = matches!(status, "success" | "failed" | "canceled");
    let sha = format!("{:040x}", 0xfeed + pipeline);
    json!({
        "id": id, "status": status, "stage": stage, "name": name, "ref": "main", "tag": false,
        "allow_failure": allow_failure, "created_at": ts(at),
        "started_at": if finished || status == "running" { json!(ts(at)) } else { Value::Null },
        "finished_at": if finished { json!(ts(at + Duration::minutes(4))) } else { Value::Null },
        "duration": if finished { json!(240.0) } else { Value::Null },
        "user": {"username": "dev"},
        "commit": {"id": sha, "short_id": &sha[..8], "title": "change"},
        "pipeline": {"id": pipeline, "project_id": 42, "sha": sha, "ref": "main", "status": "success",
            "web_url": format!("https://gitlab.example.com/acme/gl/-/pipelines/{pipeline}")},
        "web_url": format!("https://gitlab.example.com/acme/gl/-/jobs/{id}"),
    })
}

#[tokio::test]
async fn gitlab_manual_deploys_keep_their_outcome_and_allow_failure_makes_sast_advisory() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = pushed();
    let sast = |id, pipeline, allow_failure| {
        gitlab_job(
            id,
            pipeline,
            "semgrep-sast",
            "test",
            "failed",
            allow_failure,
            t0,
        )
    };
    let deploy = |id, pipeline, status| {
        gitlab_job(
            id,
            pipeline,
            "deploy-production",
            "deploy",
            status,
            false,
            t0 + Duration::minutes(10),
        )
    };
    // Pipeline 1: SAST fails but may (allow_failure); the deploy waits to be played by hand.
    // Pipeline 2: SAST fails and may not; the deploy is skipped. Pipeline 3: SAST fails but
    // may, and the deploy is skipped for another reason: no block by SAST. Pipeline 4: like 2,
    // then retried.
    let first = json!([
        sast(101, 1, true),
        deploy(102, 1, "manual"),
        sast(201, 2, false),
        deploy(202, 2, "skipped"),
        sast(301, 3, true),
        deploy(302, 3, "skipped"),
        sast(401, 4, false),
        deploy(402, 4, "skipped"),
    ]);
    // Read again after someone played pipeline 1's deploy, and pipeline 4 was retried: its
    // skipped deploy job ran, under the same id, and went out.
    let second = json!([deploy(102, 1, "success"), deploy(402, 4, "success")]);
    let gitlab = dir.path().join("gitlab");
    std::fs::create_dir_all(&gitlab).unwrap();
    std::fs::write(gitlab.join("jobs-1.json"), first.to_string()).unwrap();

    let clock = Arc::new(FixedClock::new(t0 + Duration::hours(1)));
    let lake = Lake::open(&dir.path().join("lake").display().to_string())
        .unwrap()
        .with_clock(clock.clone());
    let gates = json!({"gates": {"sast": ["semgrep-sast"], "deploy": ["deploy-production"]}});
    ingest(&lake, "gitlab-ci", "gitlab", gates.clone(), &gitlab).await;
    clock.set(t0 + Duration::hours(3));
    std::fs::write(gitlab.join("jobs-2.json"), second.to_string()).unwrap();
    ingest(&lake, "gitlab-ci", "gitlab", gates, &gitlab).await;
    clock.set(end_of("2026-11-20") + Duration::hours(1));

    let session = QuerySession::builder(lake).build().await.unwrap();
    let as_of = end_of("2026-11-20");
    let answer = session.ask("q1", Some(as_of), None).await.unwrap();
    let rows: Vec<(String, String, String)> = answer
        .evidence
        .iter()
        .map(|r| {
            (
                r["deploy_id"].as_str().unwrap().to_string(),
                r["class"].as_str().unwrap().to_string(),
                r["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let row = |id: &str, class: &str, outcome: &str| {
        (id.to_string(), class.to_string(), outcome.to_string())
    };
    assert_eq!(
        rows,
        [
            // The skipped job has no finish time: its event time is its creation.
            row("202", "blocked", "blocked"),
            row("102", "advisory_leak", "deployed"),
            row("402", "advisory_leak", "deployed"),
        ]
    );
    for (name, value) in [
        ("prod_deploys", json!(4)),
        ("blocked_by_sast", json!(1)),
        ("advisory_leaks", json!(2)),
        ("sast_runs", json!(4)),
        ("failed_deploys", json!(0)),
    ] {
        assert_eq!(answer.metrics[name], value, "{name}");
    }
    // Known before the deploy was played, it was not an attempt yet.
    let waiting = session
        .ask("q1", Some(as_of), Some(t0 + Duration::hours(2)))
        .await
        .unwrap();
    assert_eq!(waiting.metrics["prod_deploys"], json!(3));
    assert_eq!(waiting.metrics["blocked_by_sast"], json!(2));
    assert_eq!(waiting.metrics["advisory_leaks"], json!(0));
}

/// A SARIF log of `tool` with one critical result carrying `extra` (suppressions, a
/// baseline state), scanned at `pushed()`, with provenance when `commit` is given.
fn sarif(tool: &str, repo: &str, commit: Option<&str>, extra: Value) -> String {
    let mut result = json!({"ruleId": "sqli", "level": "error", "message": {"text": "SQL injection"},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app/db.py"}, "region": {"startLine": 3}}}],
        "partialFingerprints": {"primaryLocationLineHash": format!("{repo}:1")},
        "properties": {"security-severity": "9.8"}});
    result
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let mut run = json!({"tool": {"driver": {"name": tool, "version": "1.0"}},
        "invocations": [{"executionSuccessful": true, "endTimeUtc": ts(pushed() + Duration::minutes(5))}],
        "results": [result]});
    if let Some(commit) = commit {
        run["versionControlProvenance"] =
            json!([{"repositoryUri": format!("https://github.com/{repo}"), "revisionId": commit}]);
    }
    json!({"version": "2.1.0", "runs": [run]}).to_string()
}

/// A production deployment of `commit` to `repo` by an external CD tool (no job) at `at`,
/// and its `success` status, as the GitHub API lists them.
fn external_redeploy(repo: &str, id: u64, commit: &str, at: DateTime<Utc>) -> Vec<Value> {
    let api = format!("https://api.github.com/repos/{repo}");
    let url = format!("{api}/deployments/{id}");
    vec![
        json!([{"url": url, "id": id, "sha": commit, "ref": "main",
            "environment": "production", "created_at": ts(at), "updated_at": ts(at),
            "statuses_url": format!("{url}/statuses"), "repository_url": api}]),
        json!([{"url": format!("{url}/statuses/1"), "id": id * 10 + 1, "state": "success",
            "environment": "production", "created_at": ts(at), "updated_at": ts(at),
            "deployment_url": url, "repository_url": api}]),
    ]
}

/// Response bodies as one JSON document per line.
fn write_bodies(path: &Path, bodies: &[Value]) {
    let lines: String = bodies.iter().map(|b| b.to_string() + "\n").collect();
    std::fs::write(path, lines).unwrap();
}

/// Passing pushes of acme/p, q, r and s that all deploy, their SARIF logs removed for a test
/// to write its own: the SARIF directory.
fn passing_pushes_without_sarif(dir: &Path) -> std::path::PathBuf {
    let pushes = ["acme/p", "acme/q", "acme/r", "acme/s"].map(|repo| Push {
        repo,
        sast_failed: false,
        deploy: "success",
    });
    write_pushes(dir, &pushes);
    let sarif_dir = dir.join("sarif");
    for i in 0..pushes.len() {
        std::fs::remove_file(sarif_dir.join(format!("{i}.sarif"))).unwrap();
    }
    sarif_dir
}

#[tokio::test]
async fn only_unsuppressed_sast_findings_of_a_resolved_commit_make_a_leak() {
    let dir = tempfile::tempdir().unwrap();
    // The pushes' SARIF replaced by the cases (the external deployment's CodeQL log stays).
    let sarif_dir = passing_pushes_without_sarif(dir.path());
    let commit = |i: usize| format!("{:040x}", 0xc0ffee + i);
    let write = |path: &str, text: String| {
        let path = sarif_dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    // Trivy's CVE findings are not SAST.
    write(
        "p.sarif",
        sarif("Trivy", "acme/p", Some(&commit(0)), json!({})),
    );
    // Suppressed in source (status absent means accepted).
    write(
        "q.sarif",
        sarif(
            "Semgrep OSS",
            "acme/q",
            Some(&commit(1)),
            json!({"suppressions": [{"kind": "inSource", "justification": "test fixture"}]}),
        ),
    );
    // Gone since the baseline: not a finding.
    write(
        "r.sarif",
        sarif(
            "CodeQL",
            "acme/r",
            Some(&commit(2)),
            json!({"baselineState": "absent"}),
        ),
    );
    // No provenance: placed by the path template.
    write(
        &format!("acme/s/{}/semgrep.sarif", commit(3)),
        sarif("semgrep", "acme/s", None, json!({})),
    );
    // No provenance and no place: its commit cannot be resolved.
    write("orphan.sarif", sarif("semgrep", "acme/s", None, json!({})));
    // acme/q's commit goes out again a day later (an external CD tool): its suppressed
    // finding is still one finding.
    let redeploy = external_redeploy("acme/q", 6100, &commit(1), pushed() + Duration::days(1));
    write_bodies(&dir.path().join("github/redeploy.jsonl"), &redeploy);

    let clock = Arc::new(FixedClock::new(pushed() + Duration::hours(1)));
    let lake = Lake::open(&dir.path().join("lake").display().to_string())
        .unwrap()
        .with_clock(clock.clone());
    ingest_github(&lake, dir.path()).await;
    let settings = json!({"path_template": "{repo_owner}/{repo_name}/{commit}/{tool}.sarif"});
    ingest(&lake, "sarif", "scans", settings, &sarif_dir).await;
    clock.set(end_of("2026-11-20") + Duration::hours(1));

    let session = QuerySession::builder(lake).build().await.unwrap();
    let answer = session
        .ask("q1", Some(end_of("2026-11-20")), None)
        .await
        .unwrap();
    let mut leaks: Vec<&str> = answer
        .evidence
        .iter()
        .filter(|r| r["class"] == "advisory_leak")
        .map(|r| r["repo"].as_str().unwrap())
        .collect();
    leaks.sort();
    assert_eq!(leaks, ["acme/h", "acme/s"]);
    assert_eq!(answer.evidence.len(), 2, "{:?}", answer.evidence);
    for (name, value) in [
        ("prod_deploys", json!(6)),
        ("advisory_leaks", json!(2)),
        ("suppressed_blocking_findings", json!(1)),
        ("scans_without_commit", json!(1)),
    ] {
        assert_eq!(answer.metrics[name], value, "{name}");
    }
    let orphan = answer.metrics["scans_without_commit_files"]
        .as_str()
        .unwrap();
    assert!(orphan.ends_with("/sarif/orphan.sarif"), "{orphan}");
    assert_eq!(
        answer.level, 1,
        "h went out without a SAST job: coverage 5/6"
    );
}

#[tokio::test]
async fn only_production_runs_are_attempts_and_a_job_failing_in_a_passing_run_is_advisory() {
    let t0 = pushed();
    // (repo, branch, run conclusion): each run's SAST job failed and its deploy job was
    // skipped.
    let runs = [
        // A pull request's run: its deploy job is skipped by `if:`, not blocked.
        ("acme/pr", "feature/login", "failure"),
        // `continue-on-error` on the SAST job: the run concluded `success` though the job
        // failed, so the failure did not block; the deploy was skipped by its own condition.
        ("acme/coe", "main", "success"),
        // The SAST gate failed the run and the deploy job that needs it was skipped: blocked.
        ("acme/block", "main", "failure"),
    ];
    let (mut run_bodies, mut job_bodies) = (Vec::new(), Vec::new());
    for (i, (repo, branch, conclusion)) in runs.iter().enumerate() {
        let (run_id, commit) = (9100 + i as u64, format!("{:040x}", 0xfeed + i));
        let api = format!("https://api.github.com/repos/{repo}");
        run_bodies.push(json!({
            "id": run_id, "name": "ci", "head_branch": branch, "head_sha": commit,
            "event": if branch.starts_with("feature/") { "pull_request" } else { "push" },
            "status": "completed", "conclusion": conclusion, "workflow_id": 7,
            "url": format!("{api}/actions/runs/{run_id}"), "created_at": ts(t0),
            "updated_at": ts(t0 + Duration::minutes(12)), "run_attempt": 1,
            "run_started_at": ts(t0), "repository": {"full_name": repo},
        }));
        let job = |id: u64, name: &str, conclusion: &str, start: DateTime<Utc>| {
            json!({
                "id": id, "run_id": run_id, "workflow_name": "ci", "head_branch": branch,
                "run_url": format!("{api}/actions/runs/{run_id}"), "run_attempt": 1,
                "head_sha": commit, "status": "completed", "conclusion": conclusion,
                "created_at": ts(t0), "started_at": ts(start),
                "completed_at": ts(start + Duration::minutes(5)), "name": name, "steps": [],
            })
        };
        let id = 91_000 + 2 * i as u64;
        job_bodies.push(json!({"total_count": 2, "jobs": [
            job(id, "semgrep", "failure", t0),
            job(id + 1, "deploy-production", "skipped", t0 + Duration::minutes(10)),
        ]}));
    }
    let dir = tempfile::tempdir().unwrap();
    let github = dir.path().join("github");
    std::fs::create_dir_all(&github).unwrap();
    std::fs::write(
        github.join("runs.json"),
        json!({"total_count": 3, "workflow_runs": run_bodies}).to_string(),
    )
    .unwrap();
    let lines: String = job_bodies.iter().map(|b| b.to_string() + "\n").collect();
    std::fs::write(github.join("jobs.jsonl"), lines).unwrap();

    let lake = Lake::open("memory://").unwrap();
    ingest_github(&lake, dir.path()).await;
    let session = QuerySession::builder(lake).build().await.unwrap();
    let answer = session
        .ask("q1", Some(t0 + Duration::hours(2)), None)
        .await
        .unwrap();
    let blocked: Vec<&str> = answer
        .evidence
        .iter()
        .map(|r| r["repo"].as_str().unwrap())
        .collect();
    assert_eq!(blocked, ["acme/block"], "{:?}", answer.evidence);
    assert_eq!(answer.evidence[0]["class"], "blocked");
    assert_eq!(answer.evidence[0]["blocked_by"], "semgrep");
    let m = |k: &str| answer.metrics[k].clone();
    // The pull request's deploy is no attempt; the advisory one is an attempt, not a block.
    assert_eq!(
        (m("prod_deploys"), m("blocked_by_sast")),
        (json!(2), json!(1))
    );
    assert_eq!(m("advisory_leaks"), json!(0));
    assert_eq!(answer.verdict, Verdict::Evidenced);
    // Nothing went out, so there is no coverage to speak of: level 1 (SAST ran).
    assert_eq!(answer.level, 1, "{:?}", answer.metrics);
}

#[tokio::test]
async fn a_deploy_seen_as_job_check_run_and_unlinked_deployment_is_one_attempt() {
    let t0 = pushed();
    let (repo, run_id, commit) = ("acme/once", 9300u64, format!("{:040x}", 0xface));
    let api = format!("https://api.github.com/repos/{repo}");
    let (sast_id, deploy_id) = (93_000u64, 93_001u64);
    let job = |id: u64, name: &str, conclusion: &str, start: DateTime<Utc>| {
        json!({
            "id": id, "run_id": run_id, "workflow_name": "ci", "head_branch": "main",
            "run_url": format!("{api}/actions/runs/{run_id}"), "run_attempt": 1,
            "head_sha": commit, "status": "completed", "conclusion": conclusion,
            "created_at": ts(t0), "started_at": ts(start),
            "completed_at": ts(start + Duration::minutes(5)), "name": name, "steps": [],
        })
    };
    // The same two jobs as the checks API lists them: check runs with the jobs' ids.
    let check = |id: u64, name: &str, conclusion: &str, start: DateTime<Utc>| {
        json!({
            "id": id, "name": name, "head_sha": commit, "status": "completed",
            "conclusion": conclusion, "started_at": ts(start),
            "completed_at": ts(start + Duration::minutes(5)),
            "url": format!("{api}/check-runs/{id}"),
            "check_suite": {"id": 77, "head_branch": "main"},
            "app": {"slug": "github-actions"},
        })
    };
    let deploy_start = t0 + Duration::minutes(10);
    let url = format!("{api}/deployments/9301");
    let bodies = [
        json!({"total_count": 2, "jobs": [
            job(sast_id, "semgrep", "failure", t0),
            job(deploy_id, "deploy-production", "success", deploy_start),
        ]}),
        json!({"total_count": 2, "check_runs": [
            check(sast_id, "semgrep", "failure", t0),
            check(deploy_id, "deploy-production", "success", deploy_start),
        ]}),
        // The deployment the job made, its status pointing at the application, not the job.
        json!([{"url": url, "id": 9301, "sha": commit, "ref": "main",
            "environment": "production", "created_at": ts(deploy_start + Duration::minutes(1)),
            "updated_at": ts(deploy_start + Duration::minutes(4)),
            "statuses_url": format!("{url}/statuses"), "repository_url": api}]),
        json!([{"url": format!("{url}/statuses/1"), "id": 9302, "state": "success",
            "environment": "production", "target_url": "https://app.acme.example/",
            "created_at": ts(deploy_start + Duration::minutes(4)),
            "updated_at": ts(deploy_start + Duration::minutes(4)),
            "deployment_url": url, "repository_url": api}]),
    ];
    let dir = tempfile::tempdir().unwrap();
    let github = dir.path().join("github");
    std::fs::create_dir_all(&github).unwrap();
    let lines: String = bodies.iter().map(|b| b.to_string() + "\n").collect();
    std::fs::write(github.join("bodies.jsonl"), lines).unwrap();

    let lake = Lake::open("memory://").unwrap();
    ingest_github(&lake, dir.path()).await;
    let session = QuerySession::builder(lake.clone()).build().await.unwrap();
    let answer = session
        .ask("q1", Some(t0 + Duration::hours(2)), None)
        .await
        .unwrap();
    let m = |k: &str| answer.metrics[k].clone();
    assert_eq!(
        (m("prod_deploys"), m("advisory_leaks"), m("sast_runs")),
        (json!(1), json!(1), json!(1)),
        "{:?}",
        answer.evidence
    );
    let leak = &answer.evidence[0];
    assert_eq!(
        (&leak["class"], &leak["deploy_id"], &leak["deploy_job"]),
        (
            &json!("advisory_leak"),
            &json!("9301"),
            &json!("deploy-production")
        )
    );
    // A deploy went out past a failed gate and no exceptions register was ever recorded: it
    // cannot be told from an excepted one.
    assert_eq!(answer.verdict, Verdict::NoData);
    assert_eq!(m("sources_missing_names"), json!("exceptions"));
    // With the register (it lists none), the same deploy is a leak.
    std::fs::write(dir.path().join("exceptions.yaml"), "exceptions: []\n").unwrap();
    let register = dir.path().join("exceptions.yaml");
    ingest(&lake, "exceptions", "register", json!({}), &register).await;
    let session = QuerySession::builder(lake).build().await.unwrap();
    let answer = session
        .ask("q1", Some(t0 + Duration::hours(2)), None)
        .await
        .unwrap();
    assert_eq!(answer.metrics["sources_unusable"], 0);
    assert_eq!(answer.verdict, Verdict::Contradicted);
    assert_eq!(answer.level, 2, "{:?}", answer.metrics);
}

#[tokio::test]
async fn a_deployment_naming_a_job_the_lake_never_ingested_is_still_an_attempt() {
    let dir = tempfile::tempdir().unwrap();
    write_pushes(
        dir.path(),
        &[Push {
            repo: "acme/x",
            sast_failed: true,
            deploy: "success",
        }],
    );
    // The jobs were never pulled: only the deployments and their statuses (which name the
    // job in their log URL) and the SARIF logs are in the lake.
    std::fs::remove_file(dir.path().join("github/jobs.jsonl")).unwrap();
    let lake = Lake::open("memory://").unwrap();
    ingest_github(&lake, dir.path()).await;
    let sarif = json!({"blocking_severity": "critical"});
    ingest(&lake, "sarif", "scans", sarif, &dir.path().join("sarif")).await;
    let session = QuerySession::builder(lake).build().await.unwrap();
    let answer = session
        .ask("q1", Some(pushed() + Duration::hours(30)), None)
        .await
        .unwrap();
    let mut leaks: Vec<(&str, &str)> = answer
        .evidence
        .iter()
        .map(|r| (r["repo"].as_str().unwrap(), r["class"].as_str().unwrap()))
        .collect();
    leaks.sort();
    assert_eq!(
        leaks,
        [("acme/h", "advisory_leak"), ("acme/x", "advisory_leak")],
        "{:?}",
        answer.evidence
    );
}

/// A GitHub code scanning alert as `GET /repos/{repo}/code-scanning/alerts` lists it (the
/// shape of the recorded responses in the ingest tests): opened at `opened`, dismissed at
/// `dismissed` when given.
fn code_scanning_alert(
    repo: &str,
    number: u64,
    commit: &str,
    opened: DateTime<Utc>,
    dismissed: Option<DateTime<Utc>>,
) -> Value {
    let api = format!("https://api.github.com/repos/{repo}/code-scanning/alerts/{number}");
    json!({
        "number": number, "created_at": ts(opened),
        "updated_at": ts(dismissed.unwrap_or(opened)), "url": api,
        "html_url": format!("https://github.com/{repo}/security/code-scanning/{number}"),
        "state": if dismissed.is_some() { "dismissed" } else { "open" },
        "fixed_at": null,
        "dismissed_by": dismissed.map(|_| json!({"login": "lead"})),
        "dismissed_at": dismissed.map(ts),
        "dismissed_reason": dismissed.map(|_| "won't fix"), "dismissed_comment": null,
        "rule": {"id": "js/sql-injection", "severity": "error",
            "description": "Database query built from user-controlled sources",
            "name": "js/sql-injection", "tags": ["security", "external/cwe/cwe-089"],
            "security_severity_level": "critical"},
        "tool": {"name": "CodeQL", "guid": null, "version": "2.19.0"},
        "most_recent_instance": {"ref": "refs/heads/main",
            "analysis_key": ".github/workflows/codeql.yml:analyze", "environment": "{}",
            "category": "/language:javascript",
            "state": if dismissed.is_some() { "dismissed" } else { "open" },
            "commit_sha": commit, "message": {"text": "This query depends on a user-provided value."},
            "location": {"path": "src/db.js", "start_line": 7, "end_line": 7,
                "start_column": 3, "end_column": 40},
            "classifications": []},
        "instances_url": format!("{api}/instances"),
    })
}

#[tokio::test]
async fn a_code_scanning_alert_leaks_unless_dismissed_before_the_deploy_and_a_finding_stored_twice_is_one()
 {
    let dir = tempfile::tempdir().unwrap();
    let sarif_dir = passing_pushes_without_sarif(dir.path());
    std::fs::remove_file(sarif_dir.join("h.sarif")).unwrap();
    let commit = |i: usize| format!("{:040x}", 0xc0ffee + i);
    let t0 = pushed();
    // Each push deploys 10 minutes in. p: open when it deployed. q: dismissed before it deployed. r: dismissed after.
    let opened = t0 + Duration::minutes(3);
    let open = [
        code_scanning_alert("acme/p", 1, &commit(0), opened, None),
        code_scanning_alert("acme/q", 1, &commit(1), opened, None),
        code_scanning_alert("acme/r", 1, &commit(2), opened, None),
    ];
    let later = [
        code_scanning_alert(
            "acme/q",
            1,
            &commit(1),
            opened,
            Some(t0 + Duration::minutes(6)),
        ),
        code_scanning_alert(
            "acme/r",
            1,
            &commit(2),
            opened,
            Some(t0 + Duration::hours(12)),
        ),
    ];
    let alerts = dir.path().join("alerts");
    std::fs::create_dir_all(&alerts).unwrap();
    std::fs::write(
        alerts.join("1.json"),
        Value::from(open.to_vec()).to_string(),
    )
    .unwrap();
    // s: a SARIF log without invocations (its time is the file's), copied again a day later
    // (a new modification time, another day partition), and s's commit redeployed after both.
    let orphan = sarif("semgrep", "acme/s", Some(&commit(3)), json!({}));
    let mut log: Value = serde_json::from_str(&orphan).unwrap();
    log["runs"][0]
        .as_object_mut()
        .unwrap()
        .remove("invocations");
    let copy = |name: &str, at: DateTime<Utc>| {
        let path = sarif_dir.join(name);
        std::fs::write(&path, log.to_string()).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(at.into())
            .unwrap();
    };
    copy("s.sarif", t0 + Duration::minutes(5));
    let (api, again) = (
        "https://api.github.com/repos/acme/s",
        t0 + Duration::days(2),
    );
    let mut redeploy = external_redeploy("acme/s", 6200, &commit(3), again);
    // The redeploy superseded a deployment made before the evidence begins: only its
    // `inactive` status is in the lake, and it is no attempt.
    redeploy.push(
        json!([{"url": format!("{api}/deployments/5999/statuses/9"), "id": 59999,
        "state": "inactive", "environment": "production", "created_at": ts(again),
        "updated_at": ts(again), "deployment_url": format!("{api}/deployments/5999"),
        "repository_url": api}]),
    );
    write_bodies(&dir.path().join("github/redeploy.jsonl"), &redeploy);

    let clock = Arc::new(FixedClock::new(t0 + Duration::hours(1)));
    let lake = Lake::open(&dir.path().join("lake").display().to_string())
        .unwrap()
        .with_clock(clock.clone());
    ingest_github(&lake, dir.path()).await;
    // The register lists no exception: the leaks stay leaks (without one, no_data).
    let register = dir.path().join("exceptions.yaml");
    std::fs::write(&register, "exceptions: []\n").unwrap();
    ingest(&lake, "exceptions", "register", json!({}), &register).await;
    ingest(&lake, "github-actions", "code-scanning", json!({}), &alerts).await;
    ingest(&lake, "sarif", "scans", json!({}), &sarif_dir).await;
    clock.set(t0 + Duration::days(1) + Duration::hours(1));
    std::fs::write(
        alerts.join("2.json"),
        Value::from(later.to_vec()).to_string(),
    )
    .unwrap();
    ingest(&lake, "github-actions", "code-scanning", json!({}), &alerts).await;
    std::fs::remove_file(sarif_dir.join("s.sarif")).unwrap();
    copy("s-copied.sarif", t0 + Duration::days(1));
    ingest(&lake, "sarif", "scans", json!({}), &sarif_dir).await;
    clock.set(end_of("2026-11-20") + Duration::hours(1));

    let session = QuerySession::builder(lake).build().await.unwrap();
    let answer = session
        .ask("q1", Some(end_of("2026-11-20")), None)
        .await
        .unwrap();
    let mut classes: Vec<(String, String, i64)> = answer
        .evidence
        .iter()
        .map(|r| {
            (
                r["repo"].as_str().unwrap().to_string(),
                r["class"].as_str().unwrap().to_string(),
                r["critical_findings"].as_i64().unwrap(),
            )
        })
        .collect();
    classes.sort();
    assert_eq!(
        classes,
        [
            ("acme/p".into(), "advisory_leak".into(), 1),
            ("acme/r".into(), "advisory_leak".into(), 1),
            ("acme/s".into(), "advisory_leak".into(), 1),
            ("acme/s".into(), "advisory_leak".into(), 1),
        ],
        "{:?}",
        answer.evidence
    );
    for (name, value) in [
        // The four pushes, s's redeploy, and the external deployment of acme/h (clean).
        ("prod_deploys", json!(6)),
        ("advisory_leaks", json!(4)),
        ("suppressed_blocking_findings", json!(1)),
        ("scans_without_commit", json!(0)),
        ("sast_runs", json!(4)),
    ] {
        assert_eq!(answer.metrics[name], value, "{name}");
    }
    assert_eq!(answer.verdict, Verdict::Contradicted);
    assert_eq!(
        answer.level, 1,
        "h went out without a SAST job: coverage 5/6"
    );
}

#[tokio::test]
async fn a_deploy_whose_job_completes_after_as_of_is_still_an_attempt_then() {
    let dir = tempfile::tempdir().unwrap();
    write_pushes(
        dir.path(),
        &[Push {
            repo: "acme/x",
            sast_failed: true,
            deploy: "success",
        }],
    );
    // The deployment's `success` status comes at +15 min; its job goes on (smoke tests)
    // and completes two hours later: a job record's time is its completion.
    let jobs = dir.path().join("github/jobs.jsonl");
    let mut body: Value = serde_json::from_str(&std::fs::read_to_string(&jobs).unwrap()).unwrap();
    body["jobs"][1]["completed_at"] = json!(ts(pushed() + Duration::hours(2)));
    std::fs::write(&jobs, format!("{body}\n")).unwrap();
    let lake = Lake::open("memory://").unwrap();
    ingest_github(&lake, dir.path()).await;
    let sarif = json!({"blocking_severity": "critical"});
    ingest(&lake, "sarif", "scans", sarif, &dir.path().join("sarif")).await;
    let session = QuerySession::builder(lake).build().await.unwrap();
    // As of +1 h the deployment is out and its job not yet recorded: the deployment is the
    // attempt. Later the job is, and it is the same one attempt.
    for after in [Duration::hours(1), Duration::hours(30)] {
        let answer = session
            .ask("q1", Some(pushed() + after), None)
            .await
            .unwrap();
        let classes: Vec<(&str, &str)> = answer
            .evidence
            .iter()
            .filter(|r| r["repo"] == "acme/x")
            .map(|r| (r["repo"].as_str().unwrap(), r["class"].as_str().unwrap()))
            .collect();
        assert_eq!(
            classes,
            [("acme/x", "advisory_leak")],
            "as of +{after}: {:?}",
            answer.evidence
        );
    }
}
