//! Integration tests of the ingest framework over the real fixtures in `../shared/fixtures`
//! (origin and licence of each file in `../shared/fixtures/SOURCES.md`).

#[path = "ingest/admission.rs"]
mod admission;
#[path = "ingest/dsomm.rs"]
mod dsomm;
#[path = "ingest/iam.rs"]
mod iam;
#[path = "ingest/incidents.rs"]
mod incidents;
#[path = "ingest/inventory.rs"]
mod inventory;
#[path = "ingest/provenance.rs"]
mod provenance;
mod replay;
#[path = "ingest/runtime.rs"]
mod runtime;

use std::path::PathBuf;

use evlake_ingest::IngestRun;
use evlake_store::Lake;
use serde_json::{Map, Value, json};

/// A file of this crate's own test data (`tests/data`).
fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path)
}

/// A recorded `200 OK` JSON response whose body is the test data file `path`.
fn json_page(path: &str) -> replay::Recorded {
    replay::Recorded {
        status: 200,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: std::fs::read(data(path)).unwrap(),
    }
}

fn fixtures(kind: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures")
        .join(kind);
    assert!(
        dir.is_dir(),
        "the shared fixtures are expected beside the clone, at {}",
        dir.display()
    );
    dir
}

fn settings(pairs: &[(&str, &str)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect()
}

/// Rows of `sql` over the lake's tables, read through Delta and DataFusion.
async fn rows(lake: &Lake, sql: &str) -> Vec<Map<String, Value>> {
    use deltalake::datafusion::prelude::SessionContext;
    let ctx = SessionContext::new();
    for spec in lake.existing_tables().await.unwrap() {
        let table = lake
            .table(spec.name, evlake_store::TableVersion::Latest)
            .await
            .unwrap();
        table.update_datafusion_session(&ctx.state()).unwrap();
        ctx.register_table(spec.name, table.table_provider().await.unwrap())
            .unwrap();
    }
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    let mut out = Vec::new();
    let mut writer = arrow::json::ArrayWriter::new(&mut out);
    for b in &batches {
        writer.write(b).unwrap();
    }
    writer.finish().unwrap();
    if out.is_empty() {
        Vec::new()
    } else {
        serde_json::from_slice(&out).unwrap()
    }
}

#[tokio::test]
async fn every_sarif_fixture_ingests() {
    let lake = Lake::open("memory://").unwrap();
    let run = IngestRun::new(
        lake.clone(),
        "sarif",
        "scans",
        &settings(&[("repo", "acme/web"), ("commit", "abc123")]),
    )
    .unwrap();
    let summary = run.ingest_paths(&[fixtures("sarif")]).await.unwrap();
    assert_eq!(
        (summary.files, summary.records, summary.quarantined),
        (3, 8, 0)
    );
    assert_eq!(summary.tables["scan_findings"].added, 8);
    let by_tool = rows(
        &lake,
        "SELECT tool, severity, count(*) AS n, min(repo) AS repo, min(commit_sha) AS commit_sha \
         FROM scan_findings GROUP BY tool, severity ORDER BY tool, severity",
    )
    .await;
    let table: Vec<String> = by_tool
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {} {}",
                r["tool"], r["severity"], r["n"], r["repo"], r["commit_sha"]
            )
        })
        .collect();
    assert_eq!(
        table,
        [
            r#""CodeQL command-line toolchain" "low" 2 "acme/web" "abc123""#,
            r#""CodeQL command-line toolchain" "medium" 1 "acme/web" "abc123""#,
            r#""LGTM.com" "low" 1 "acme/web" "abc123""#,
            r#""Trivy" "medium" 4 "acme/web" "abc123""#,
        ]
    );
    let trivy = rows(&lake, "SELECT security_severity, rule_id, source_ref FROM scan_findings WHERE tool = 'Trivy' ORDER BY source_ref").await;
    assert_eq!(trivy[0]["security_severity"], 5.3);
    assert_eq!(trivy[0]["rule_id"], "CVE-2019-1549");
    assert!(
        trivy[0]["source_ref"]
            .as_str()
            .unwrap()
            .ends_with("trivy_alpine-310.sarif#/runs/0/results/0")
    );

    // The same files again: the cursor knows them, nothing is read.
    let again = run.ingest_paths(&[fixtures("sarif")]).await.unwrap();
    assert_eq!(
        (again.files, again.unchanged_files, again.records),
        (0, 3, 0)
    );
}

#[tokio::test]
async fn a_rerun_reads_only_changed_files_and_adds_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["trivy_alpine-310.sarif", "codeql_valid-sarif.sarif"] {
        std::fs::copy(fixtures("sarif").join(name), dir.path().join(name)).unwrap();
    }
    let lake = Lake::open("memory://").unwrap();
    let run = IngestRun::new(lake.clone(), "sarif", "scans", &Map::new()).unwrap();
    let first = run.ingest_paths(&[dir.path().to_path_buf()]).await.unwrap();
    assert_eq!((first.files, first.records), (2, 7));

    // One file is rewritten (the same results, reformatted), a new one arrives.
    let trivy = dir.path().join("trivy_alpine-310.sarif");
    let reformatted: Value = serde_json::from_slice(&std::fs::read(&trivy).unwrap()).unwrap();
    std::fs::write(&trivy, serde_json::to_vec(&reformatted).unwrap()).unwrap();
    std::fs::copy(
        fixtures("sarif").join("codeql_fingerprinting2.expected.sarif"),
        dir.path().join("new.sarif"),
    )
    .unwrap();
    let second = run.ingest_paths(&[dir.path().to_path_buf()]).await.unwrap();
    assert_eq!((second.files, second.unchanged_files), (2, 1));
    assert_eq!(
        second.tables["scan_findings"].added, 1,
        "only the new file's result"
    );
    assert_eq!(
        second.tables["scan_findings"].duplicates, 4,
        "the rewritten file's results were known"
    );
    let total = rows(&lake, "SELECT count(*) AS n FROM scan_findings").await;
    assert_eq!(total[0]["n"], 8);

    // Another source name keeps its own cursor.
    let other = IngestRun::new(lake.clone(), "sarif", "other-scans", &Map::new()).unwrap();
    assert_eq!(
        other
            .ingest_paths(&[dir.path().to_path_buf()])
            .await
            .unwrap()
            .files,
        3
    );
}

#[tokio::test]
async fn bad_files_are_quarantined_and_their_neighbours_kept() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(fixtures("sarif").join("trivy_alpine-310.sarif")).unwrap();
    std::fs::write(dir.path().join("a-good.sarif"), &good).unwrap();
    std::fs::write(
        dir.path().join("b-truncated.sarif"),
        &good[..good.len() / 2],
    )
    .unwrap();
    std::fs::write(
        dir.path().join("c-not-sarif.json"),
        br#"{"version":"2.1.0"}"#,
    )
    .unwrap();
    let no_rule = br#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"Semgrep"}},"results":[{"message":{"text":"x"}},{"ruleId":"r1","level":"error","message":{"text":"y"}}]}]}"#;
    std::fs::write(dir.path().join("d-one-bad-result.sarif"), no_rule).unwrap();

    let lake = Lake::open("memory://").unwrap();
    let summary = IngestRun::new(lake.clone(), "sarif", "scans", &Map::new())
        .unwrap()
        .ingest_paths(&[dir.path().to_path_buf()])
        .await
        .unwrap();
    assert_eq!((summary.records, summary.quarantined), (5, 3));
    assert!(summary.over_quarantine_limit());
    let reasons = rows(
        &lake,
        "SELECT location, reason FROM _quarantine ORDER BY location",
    )
    .await;
    let reasons: Vec<String> = reasons
        .iter()
        .map(|r| {
            let location = r["location"].as_str().unwrap();
            let name = location
                .strip_prefix(&format!("{}/", dir.path().display()))
                .unwrap();
            format!("{name}: {}", r["reason"].as_str().unwrap())
        })
        .collect();
    assert!(
        reasons[0].starts_with("b-truncated.sarif: not valid JSON: EOF while parsing"),
        "{reasons:?}"
    );
    assert_eq!(
        reasons[1],
        "c-not-sarif.json: not a SARIF log: no 'runs' array"
    );
    assert_eq!(
        reasons[2],
        "d-one-bad-result.sarif#/runs/0/results/0: result has no ruleId and no rule"
    );
    let kept = rows(
        &lake,
        "SELECT severity FROM scan_findings WHERE tool = 'Semgrep'",
    )
    .await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["severity"], "high");
}

#[test]
fn unknown_settings_and_kinds_are_named() {
    let lake = Lake::open("memory://").unwrap();
    let err = IngestRun::new(lake.clone(), "sarif", "scans", &settings(&[("reop", "x")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown field `reop`") && err.contains("scans"),
        "{err}"
    );
    let err = IngestRun::new(lake, "nope", "x", &Map::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown source kind 'nope'") && err.contains("sarif"),
        "{err}"
    );
}

#[tokio::test]
async fn an_exceptions_register_in_yaml_and_csv() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let lake = Lake::open("memory://").unwrap();
    let run = IngestRun::new(lake.clone(), "exceptions", "register", &Map::new()).unwrap();
    let summary = run
        .ingest_paths(&[data.join("exceptions.yaml"), data.join("exceptions.csv")])
        .await
        .unwrap();
    assert_eq!((summary.records, summary.quarantined), (5, 2));
    let found = rows(
        &lake,
        "SELECT exception_id, control, scope_kind, scope, owner, CAST(expires_at AS VARCHAR) AS expires, \
         CAST(revoked_at AS VARCHAR) AS revoked, CAST(event_time AS VARCHAR) AS created FROM exceptions ORDER BY exception_id",
    )
    .await;
    let first = &found[0];
    assert_eq!(first["exception_id"], "EXC-2026-014");
    assert_eq!(
        (first["scope_kind"].as_str(), first["scope"].as_str()),
        (Some("repo"), Some("acme/payments"))
    );
    assert_eq!(
        first["expires"], "2026-12-31T23:59:59.999999Z",
        "a date expires at the end of its day"
    );
    assert_eq!(first["created"], "2026-10-01T00:00:00Z");
    assert!(
        found[1].get("owner").is_none(),
        "an exception without an owner is kept, as evidence"
    );
    assert_eq!(found[2]["revoked"], "2026-09-15T00:00:00Z");
    assert_eq!(found[3]["scope"], "acme/mobile");
    assert_eq!(found.len(), 5);
    let quarantined = rows(
        &lake,
        "SELECT location, reason, CAST(raw AS VARCHAR) AS raw FROM _quarantine ORDER BY location",
    )
    .await;
    let what: Vec<(String, String)> = quarantined
        .iter()
        .map(|r| {
            let location = r["location"].as_str().unwrap();
            (
                location
                    .rsplit_once(['/', ':'])
                    .map_or("", |x| x.1)
                    .to_string(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(what[0].0, "3", "CSV line 3");
    assert!(
        what[0]
            .1
            .starts_with("field 'expires': cannot read 'not-a-date'"),
        "{what:?}"
    );
    assert_eq!(
        what[1],
        (
            "3".to_string(),
            "required field 'id' is missing".to_string()
        )
    );
    assert!(
        quarantined[0]["raw"]
            .as_str()
            .unwrap()
            .starts_with("EXC-2026-102,container"),
        "the CSV line verbatim"
    );

    // A changed register is a new reading: every entry is recorded again (so an entry changed
    // back to an earlier state is current again), and reading the same file twice adds nothing.
    let dir = tempfile::tempdir().unwrap();
    let extended = std::fs::read_to_string(data.join("exceptions.yaml"))
        .unwrap()
        .replace("2026-12-31", "2027-03-31");
    std::fs::write(dir.path().join("exceptions.yaml"), extended).unwrap();
    let again = run.ingest_paths(&[dir.path().to_path_buf()]).await.unwrap();
    assert_eq!(
        (
            again.tables["exceptions"].added,
            again.tables["exceptions"].duplicates
        ),
        (3, 0)
    );
    let unchanged = run.ingest_paths(&[dir.path().to_path_buf()]).await.unwrap();
    assert_eq!(
        (unchanged.unchanged_files, unchanged.records),
        (1, 0),
        "{unchanged:?}"
    );
    let states = rows(
        &lake,
        "SELECT count(*) AS n FROM exceptions WHERE exception_id = 'EXC-2026-014'",
    )
    .await;
    assert_eq!(states[0]["n"], 2);

    // A register emptied down to its key holds no exceptions: not a malformed file.
    for emptied in ["exceptions:\n", "# all closed\nexceptions: []\n"] {
        std::fs::write(dir.path().join("exceptions.yaml"), emptied).unwrap();
        let summary = run.ingest_paths(&[dir.path().to_path_buf()]).await.unwrap();
        assert_eq!(
            (summary.records, summary.quarantined),
            (0, 0),
            "{emptied:?}"
        );
    }
}

#[test]
fn every_example_config_loads() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ingest-configs");
    let mut loaded = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let config = evlake_ingest::IngestConfig::load(&path).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                !config.sources.is_empty(),
                "{} has no sources",
                path.display()
            );
            // Each source's settings are valid for its kind (parser and puller build).
            for (name, source) in &config.sources {
                let lake = Lake::open("memory://").unwrap();
                IngestRun::new(lake, &source.kind, name, &source.settings)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
            loaded += 1;
        }
    }
    assert!(loaded > 0, "no example configs in {}", dir.display());
}

/// The response bodies recorded in a VCR cassette, decoded, one file each.
fn cassette_bodies(cassette: &str, into: &std::path::Path) -> usize {
    use base64::Engine;
    let text = std::fs::read_to_string(fixtures("github-actions").join(cassette)).unwrap();
    let cassette: Value = serde_json::from_str(&text).unwrap();
    let interactions = cassette["http_interactions"].as_array().unwrap();
    for (i, interaction) in interactions.iter().enumerate() {
        let body = interaction["response"]["body"]["base64_string"]
            .as_str()
            .unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body.replace('\n', ""))
            .unwrap();
        std::fs::write(into.join(format!("body-{i}.json")), bytes).unwrap();
    }
    interactions.len()
}

#[tokio::test]
async fn every_github_actions_fixture_ingests() {
    let dir = tempfile::tempdir().unwrap();
    let mut bodies = 0;
    for cassette in [
        "vcr_list_workflow_runs_paginated.json",
        "vcr_list_jobs_for_run_paginated.json",
        "vcr_check_runs_for_ref_paginated.json",
    ] {
        let sub = dir.path().join(cassette.trim_end_matches(".json"));
        std::fs::create_dir(&sub).unwrap();
        bodies += cassette_bodies(cassette, &sub);
    }
    assert_eq!(bodies, 7);
    let lake = Lake::open("memory://").unwrap();
    let mut config = Map::new();
    config.insert(
        "gates".into(),
        serde_json::json!({"deploy": ["archive-*"], "sast": ["test"]}),
    );
    let summary = IngestRun::new(lake.clone(), "github-actions", "github", &config)
        .unwrap()
        .ingest_paths(&[dir.path().to_path_buf()])
        .await
        .unwrap();
    // Three runs and two jobs; the two check-run bodies were recorded with a placeholder
    // (`"id":<GITHUB_TEST_INTEGRATION>`) that breaks their JSON, so they are quarantined.
    assert_eq!((summary.records, summary.quarantined), (5, 2));
    let found = rows(
        &lake,
        "SELECT record_kind, run_id, job_id, job_name, gate, conclusion, repo, CAST(event_time AS VARCHAR) AS t \
         FROM ci_jobs ORDER BY record_kind, event_time",
    )
    .await;
    let kinds: Vec<&str> = found
        .iter()
        .map(|r| r["record_kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["job", "job", "run", "run", "run"]);
    assert_eq!(found[0]["job_name"], "job1");
    assert_eq!(found[1]["gate"], "deploy");
    assert_eq!(found[1]["job_id"], "8652030778");
    assert_eq!(found[1]["run_id"], "3163227438");
    assert_eq!(found[2]["gate"], "sast", "a whole workflow can be a gate");
    assert_eq!(found[2]["t"], "2022-09-22T23:05:57Z");
    assert_eq!(found[4]["repo"], "<GITHUB_LOGIN>/<GITHUB_TEST_REPOSITORY>");
    let reasons = rows(&lake, "SELECT reason FROM _quarantine").await;
    assert!(
        reasons[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("not valid JSON"),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn github_deployments_and_statuses_are_recognised_by_shape() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/github-deployments.json");
    let lake = Lake::open("memory://").unwrap();
    let summary = IngestRun::new(lake.clone(), "github-actions", "github", &Map::new())
        .unwrap()
        .ingest_paths(&[data])
        .await
        .unwrap();
    assert_eq!((summary.records, summary.quarantined), (3, 0));
    let found = rows(
        &lake,
        "SELECT deploy_id, environment, production, status, commit_sha, repo FROM deployments ORDER BY event_time",
    )
    .await;
    let line = |r: &Map<String, Value>| {
        format!(
            "{} {} {} {} {}",
            r["deploy_id"], r["environment"], r["production"], r["status"], r["repo"]
        )
    };
    assert_eq!(
        found.iter().map(line).collect::<Vec<_>>(),
        [
            r#""1002" "staging" false "created" "acme/payments""#,
            r#""1001" "production" true "created" "acme/payments""#,
            r#""1001" "production" true "failure" "acme/payments""#,
        ]
    );
}

#[tokio::test]
async fn every_gitlab_ci_fixture_ingests() {
    let lake = Lake::open("memory://").unwrap();
    let mut config = settings(&[("project", "acme/web")]);
    config.insert("gates".into(), serde_json::json!({"sast": ["spinach*"]}));
    let run = IngestRun::new(lake.clone(), "gitlab-ci", "gitlab", &config).unwrap();
    let summary = run.ingest_paths(&[fixtures("gitlab-ci")]).await.unwrap();
    assert_eq!(
        (summary.files, summary.records, summary.quarantined),
        (3, 6, 0)
    );
    assert_eq!(summary.tables["ci_jobs"].added, 4);
    assert_eq!(summary.tables["deployments"].added, 2);
    let jobs = rows(
        &lake,
        "SELECT record_kind, run_id, job_name, gate, status, commit_sha, repo FROM ci_jobs ORDER BY record_kind, source_id",
    )
    .await;
    let line = |r: &Map<String, Value>| {
        format!(
            "{} {} {} {} {}",
            r["record_kind"],
            r["run_id"],
            r.get("job_name").unwrap_or(&Value::Null),
            r.get("gate").unwrap_or(&Value::Null),
            r["status"]
        )
    };
    assert_eq!(
        jobs.iter().map(line).collect::<Vec<_>>(),
        [
            r#""job" "6" "spinach:other" "sast" "failed""#,
            r#""job" "6" "teaspoon" null "failed""#,
            r#""run" "47" null null "pending""#,
            r#""run" "48" null null "pending""#,
        ]
    );
    assert_eq!(
        jobs[0]["commit_sha"],
        "0ff3ae198f8601a285adcf5c0fff204ee6fba5fd"
    );
    assert_eq!(jobs[0]["repo"], "acme/web");
    let deployments = rows(
        &lake,
        "SELECT deploy_id, production, status FROM deployments ORDER BY deploy_id",
    )
    .await;
    assert_eq!(deployments.len(), 2);
    assert_eq!(
        (
            &deployments[0]["deploy_id"],
            &deployments[0]["production"],
            &deployments[0]["status"]
        ),
        (&json!("41"), &json!(true), &json!("success"))
    );

    // Without the project setting, bodies without web_url cannot say whose they are.
    let lake = Lake::open("memory://").unwrap();
    let summary = IngestRun::new(lake.clone(), "gitlab-ci", "gitlab", &Map::new())
        .unwrap()
        .ingest_paths(&[fixtures("gitlab-ci")])
        .await
        .unwrap();
    assert_eq!((summary.records, summary.quarantined), (0, 6));
    let reasons = rows(&lake, "SELECT DISTINCT reason FROM _quarantine").await;
    assert_eq!(
        reasons[0]["reason"],
        "no project: the body has no web_url and was not pulled from a project URL; set `project`"
    );
}

/// A `github-actions` source pulling `repo` from the replay server.
fn github_api(base: &str, repo: &str, max_wait: u64) -> Map<String, Value> {
    let mut settings = settings(&[]);
    settings.insert("production_environments".into(), json!(["production"]));
    settings.insert(
        "gates".into(),
        json!({"sast": ["CodeQL*"], "deploy": ["deploy*"]}),
    );
    settings.insert(
        "api".into(),
        json!({
            "url": base,
            "repos": [repo],
            "token_env": "EVLAKE_TEST_GITHUB_TOKEN",
            "since": "2022-01-01",
            "max_rate_limit_wait_secs": max_wait,
        }),
    );
    settings
}

/// The recorded runs (three pages of one run, `Link`-paged) and jobs (two pages) of real
/// api.github.com calls; the jobs pages answer for every run listed.
fn github_routes() -> (replay::Routes, &'static str) {
    let mut routes = replay::Routes::default();
    routes.cassette(&fixtures("github-actions").join("vcr_list_workflow_runs_paginated.json"));
    let mut jobs = replay::Routes::default();
    jobs.cassette(&fixtures("github-actions").join("vcr_list_jobs_for_run_paginated.json"));
    let repo = "<GITHUB_LOGIN>/<GITHUB_TEST_REPOSITORY>";
    let mut runs = routes.clone_pages("/repositories/540180744/actions/runs");
    runs.extend(routes.clone_pages(&format!("/repos/{repo}/actions/runs")));
    assert_eq!(runs.len(), 3);
    for (_, run) in runs {
        let body: Value = serde_json::from_slice(&run.body).unwrap();
        let id = body["workflow_runs"][0]["id"].as_u64().unwrap();
        let mut job_pages = jobs.clone_pages(&format!(
            "/repos/{repo}/actions/runs/3163227438/attempts/1/jobs"
        ));
        job_pages.extend(
            jobs.clone_pages("/repositories/543787706/actions/runs/3163227438/attempts/1/jobs"),
        );
        assert_eq!(job_pages.len(), 2);
        for (page, response) in job_pages {
            let mut response = response;
            for (k, v) in response.headers.iter_mut() {
                if k.eq_ignore_ascii_case("link") {
                    *v = v.replace(
                        "repositories/543787706/actions/runs/3163227438/attempts/1/jobs",
                        &format!("repos/{repo}/actions/runs/{id}/jobs"),
                    );
                }
            }
            routes.add(
                &format!("/repos/{repo}/actions/runs/{id}/jobs"),
                &page,
                response,
            );
        }
    }
    routes.add(
        &format!("/repos/{repo}/deployments"),
        "1",
        replay::Recorded {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: b"[]".to_vec(),
        },
    );
    (routes, repo)
}

#[tokio::test]
async fn github_api_pages_are_all_fetched_and_a_second_run_adds_nothing() {
    let (routes, repo) = github_routes();
    let server = replay::ReplayServer::start(routes).await;
    let lake = Lake::open("memory://").unwrap();
    let run = IngestRun::new(
        lake.clone(),
        "github-actions",
        "gh",
        &github_api(&server.base, repo, 5),
    )
    .unwrap();
    assert!(run.pulls());
    let first = run.pull().await.unwrap();
    // 3 run pages, 2 job pages for each of the 3 runs, 1 deployments page.
    assert_eq!(first.pages, 10, "{:?}", server.log.lock().unwrap());
    assert_eq!(
        first.tables["ci_jobs"].added, 5,
        "3 runs and the 2 recorded jobs"
    );
    assert_eq!(first.quarantined, 0);
    let log = server.log.lock().unwrap().clone();
    assert!(
        log[0].contains("/actions/runs?created=2022-01-01T00:00:00Z.."),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|u| u.contains("/jobs?filter=all&per_page=100")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|u| u.contains("/deployments?environment=production")),
        "{log:?}"
    );

    // The cursor moved: the next run starts a day before the last one, and adds nothing.
    let second = IngestRun::new(
        lake.clone(),
        "github-actions",
        "gh",
        &github_api(&server.base, repo, 5),
    )
    .unwrap()
    .pull()
    .await
    .unwrap();
    assert_eq!(second.tables["ci_jobs"].added, 0);
    let log = server.log.lock().unwrap().clone();
    let restart = log
        .iter()
        .filter(|u| u.contains("/actions/runs?created="))
        .nth(1)
        .unwrap();
    assert!(!restart.contains("created=2022-01-01"), "{restart}");
    let rows = rows(
        &lake,
        "SELECT record_kind, count(*) AS n FROM ci_jobs GROUP BY record_kind ORDER BY record_kind",
    )
    .await;
    assert_eq!(
        (rows[0]["n"].clone(), rows[1]["n"].clone()),
        (json!(2), json!(3))
    );
}

/// GitHub code scanning alerts pulled by the `github-actions` source, from two real
/// recordings of one repository's alerts (octokit.rb's cassettes): both open, served one per
/// page with a `Link` to the next as `per_page=1` would; then, at the next pull, alert 1
/// dismissed.
#[tokio::test]
async fn code_scanning_alerts_are_pulled_with_link_paging_and_a_dismissal_is_its_own_row() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/github-code-scanning");
    let repo = "Caja-de-Dano/active-wrapper";
    let alerts = format!("/repos/{repo}/code-scanning/alerts");
    let recorded = |file: &str| {
        let mut routes = replay::Routes::default();
        routes.cassette(&data.join(file));
        let mut pages = routes.clone_pages(&alerts);
        pages.extend(routes.clone_pages(&alerts.to_lowercase()));
        assert_eq!(pages.len(), 1, "{file}");
        pages.remove(0).1
    };
    let before = recorded("vcr_list_alerts_before_dismissal.json");
    let after = recorded("vcr_list_alerts_after_dismissal.json");
    let listed: Vec<Value> = serde_json::from_slice(&before.body).unwrap();
    assert_eq!(listed.len(), 2);
    let mut routes = replay::Routes::default();
    for (i, alert) in listed.iter().enumerate() {
        let mut page = before.clone();
        page.body = serde_json::to_vec(&json!([alert])).unwrap();
        if i == 0 {
            page.headers.push((
                "Link".into(),
                format!(
                    "<https://api.github.com{alerts}?sort=updated&direction=desc&per_page=100&page=2>; rel=\"next\""
                ),
            ));
        }
        routes.add(&alerts, &(i + 1).to_string(), page);
    }
    // The next request for the first page gets the later recording.
    routes.add(&alerts, "1", after);
    let json_page = |body: &[u8]| replay::Recorded {
        status: 200,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: body.to_vec(),
    };
    routes.add(
        &format!("/repos/{repo}/actions/runs"),
        "1",
        json_page(br#"{"total_count":0,"workflow_runs":[]}"#),
    );
    routes.add(&format!("/repos/{repo}/deployments"), "1", json_page(b"[]"));
    let server = replay::ReplayServer::start(routes).await;
    let mut config = github_api(&server.base, repo, 5);
    config["api"]["code_scanning"] = json!(true);
    config.insert("code_scanning".into(), json!({"blocking_severity": "high"}));
    let lake = Lake::open("memory://").unwrap();
    let pull = || async {
        IngestRun::new(lake.clone(), "github-actions", "gh", &config)
            .unwrap()
            .pull()
            .await
            .unwrap()
    };
    let first = pull().await;
    let log = server.log.lock().unwrap().clone();
    assert_eq!(
        first.pages, 4,
        "runs, deployments, two alert pages: {log:?}"
    );
    assert!(
        log.iter().any(|u| u
            .ends_with("/code-scanning/alerts?sort=updated&direction=desc&per_page=100&page=2")),
        "{log:?}"
    );
    assert_eq!(first.tables["scan_findings"].added, 2);
    assert_eq!(first.quarantined, 0);

    // The next pull starts at the cursor: its first page reaches before it, so it is the
    // last. Alert 1's dismissal is a row of its own, its open state already known.
    let second = pull().await;
    assert_eq!(second.pages, 3, "{:?}", server.log.lock().unwrap());
    // Alert 2 was updated since it was opened: open from then on too.
    assert_eq!(second.tables["scan_findings"].added, 2);
    assert_eq!(second.tables["scan_findings"].duplicates, 2);
    let found = rows(
        &lake,
        "SELECT rule_id, tool, tool_version, severity, blocking, sast, suppressed, repo, commit_sha, \
         file_path, start_line, fingerprint, CAST(scan_time AS VARCHAR) AS scan_time \
         FROM scan_findings ORDER BY fingerprint, suppressed, scan_time",
    )
    .await;
    let row = |fingerprint: &str, line: i64, suppressed: bool, at: &str| {
        json!({
            "rule_id": "py/clear-text-logging-sensitive-data", "tool": "CodeQL",
            "tool_version": "2.17.3", "severity": "high", "blocking": true, "sast": true,
            "suppressed": suppressed, "repo": repo,
            "commit_sha": "db8744967e1c91a80079ecef70c7db805871dd3d",
            "file_path": "orator/database_manager.py", "start_line": line,
            "fingerprint": fingerprint, "scan_time": at,
        })
    };
    assert_eq!(
        found.into_iter().map(Value::Object).collect::<Vec<_>>(),
        vec![
            row("code-scanning:1", 41, false, "2024-03-02T23:53:54Z"),
            row("code-scanning:1", 41, true, "2024-05-31T06:28:14Z"),
            row("code-scanning:2", 119, false, "2024-03-02T23:53:54Z"),
            row("code-scanning:2", 119, false, "2024-05-30T23:04:21Z"),
        ]
    );
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_or_reported() {
    let limited = |reset_in: i64| replay::Recorded {
        status: 403,
        headers: vec![
            ("X-RateLimit-Remaining".into(), "0".into()),
            (
                "X-RateLimit-Reset".into(),
                (chrono::Utc::now().timestamp() + reset_in).to_string(),
            ),
        ],
        body: br#"{"message":"API rate limit exceeded"}"#.to_vec(),
    };
    // A short limit: waited out, then every page is fetched.
    let (mut routes, repo) = github_routes();
    let first_page = format!("/repos/{repo}/actions/runs");
    routes.push_front(&first_page, "1", limited(1));
    let server = replay::ReplayServer::start(routes).await;
    let lake = Lake::open("memory://").unwrap();
    let summary = IngestRun::new(
        lake,
        "github-actions",
        "gh",
        &github_api(&server.base, repo, 5),
    )
    .unwrap()
    .pull()
    .await
    .unwrap();
    assert_eq!(summary.tables["ci_jobs"].added, 5);

    // A limit that resets in an hour, beyond the source's bound: a clear error, nothing committed.
    let (mut routes, repo) = github_routes();
    routes.push_front(&first_page, "1", limited(3600));
    let server = replay::ReplayServer::start(routes).await;
    let lake = Lake::open("memory://").unwrap();
    let err = IngestRun::new(
        lake.clone(),
        "github-actions",
        "gh",
        &github_api(&server.base, repo, 5),
    )
    .unwrap()
    .pull()
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("rate limited") && err.contains("/actions/runs"),
        "{err}"
    );
    assert!(!lake.exists("_cursors").await.unwrap());
}

#[tokio::test]
async fn gitlab_api_pages_follow_x_next_page_and_the_cursor_resumes() {
    let fixture = |name: &str| -> Vec<Value> {
        serde_json::from_slice(&std::fs::read(fixtures("gitlab-ci").join(name)).unwrap()).unwrap()
    };
    // Each recorded list served one record per page, as `per_page=1` would page it.
    let mut routes = replay::Routes::default();
    let mut paged = |path: &str, items: Vec<Value>| {
        let n = items.len();
        for (i, item) in items.into_iter().enumerate() {
            let next = if i + 1 < n {
                (i + 2).to_string()
            } else {
                String::new()
            };
            routes.add(
                path,
                &(i + 1).to_string(),
                replay::Recorded {
                    status: 200,
                    headers: vec![
                        ("Content-Type".into(), "application/json".into()),
                        ("X-Next-Page".into(), next),
                        ("X-Total".into(), n.to_string()),
                    ],
                    body: serde_json::to_vec(&json!([item])).unwrap(),
                },
            );
        }
    };
    let base = "/api/v4/projects/acme/web";
    let pipelines = fixture("list_project_pipelines.json");
    let ids: Vec<u64> = pipelines
        .iter()
        .map(|p| p["id"].as_u64().unwrap())
        .collect();
    paged(&format!("{base}/pipelines"), pipelines);
    paged(
        &format!("{base}/deployments"),
        fixture("list_project_deployments.json"),
    );
    for id in ids {
        paged(
            &format!("{base}/pipelines/{id}/jobs"),
            fixture("list_pipeline_jobs.json"),
        );
    }
    let server = replay::ReplayServer::start(routes).await;
    let mut settings = settings(&[]);
    settings.insert(
        "gates".into(),
        json!({"sast": ["*sast*"], "deploy": ["deploy*"]}),
    );
    settings.insert(
        "api".into(),
        json!({
            "url": format!("{}/api/v4", server.base),
            "projects": ["acme/web"],
            "token_env": "EVLAKE_TEST_GITLAB_TOKEN",
            "since": "2015-01-01",
        }),
    );
    let lake = Lake::open("memory://").unwrap();
    let run = || IngestRun::new(lake.clone(), "gitlab-ci", "gl", &settings).unwrap();
    let first = run().pull().await.unwrap();
    let log = server.log.lock().unwrap().clone();
    // 2 pipeline pages, 2 job pages for each of the 2 pipelines, 2 deployment pages.
    assert_eq!(first.pages, 8, "{log:?}");
    assert!(log.iter().any(|u| u.contains("/pipelines?updated_after=2015-01-01T00") && u.ends_with("&page=2")), "{log:?}");
    assert_eq!(
        first.tables["ci_jobs"].added, 4,
        "2 pipelines and the 2 recorded jobs"
    );
    assert_eq!(first.tables["deployments"].added, 2);
    assert_eq!(first.quarantined, 0);
    let repos = rows(&lake, "SELECT DISTINCT repo FROM ci_jobs").await;
    assert_eq!(
        repos,
        vec![Map::from_iter([("repo".to_string(), json!("acme/web"))])]
    );

    let second = run().pull().await.unwrap();
    assert_eq!(
        (
            second.tables["ci_jobs"].added,
            second.tables["deployments"].added
        ),
        (0, 0)
    );
    let log = server.log.lock().unwrap().clone();
    let restart = log
        .iter()
        .filter(|u| u.contains("/pipelines?updated_after="))
        .nth(2)
        .unwrap();
    assert!(
        !restart.contains("2015-01-01"),
        "the cursor resumes: {restart}"
    );
}

#[tokio::test]
async fn an_object_store_prefix_is_read_like_a_directory() {
    let bucket = tempfile::tempdir().unwrap();
    let prefix = bucket.path().join("scans/2026/11");
    std::fs::create_dir_all(&prefix).unwrap();
    let mut copied = 0;
    for entry in std::fs::read_dir(fixtures("sarif")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, prefix.join(path.file_name().unwrap())).unwrap();
        copied += 1;
    }
    std::fs::write(prefix.join(".partial-upload"), b"{").unwrap();
    let url = format!("file://{}", bucket.path().join("scans").display());
    let lake = Lake::open("memory://").unwrap();
    let settings = settings(&[("repo", "acme/web"), ("commit", "abc123")]);
    let run = || IngestRun::new(lake.clone(), "sarif", "bucket", &settings).unwrap();
    let first = run().ingest_paths(&[PathBuf::from(&url)]).await.unwrap();
    assert_eq!(
        (first.files, first.quarantined),
        (copied, 0),
        "hidden objects are skipped"
    );
    assert_eq!(first.tables["scan_findings"].added, 8);
    let refs = rows(&lake, "SELECT DISTINCT source_ref FROM scan_findings").await;
    assert!(
        refs.iter().all(|r| r["source_ref"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{url}/2026/11/"))),
        "{refs:?}"
    );
    // The cursor remembers each object: nothing is read twice.
    let second = run().ingest_paths(&[PathBuf::from(&url)]).await.unwrap();
    assert_eq!((second.files, second.unchanged_files), (0, copied));
    let missing = run()
        .ingest_paths(&[PathBuf::from("s3://")])
        .await
        .unwrap_err()
        .to_string();
    assert!(missing.contains("s3://"), "{missing}");
}

#[tokio::test]
async fn a_job_read_while_running_and_again_finished_keeps_both_states() {
    let dir = tempfile::tempdir().unwrap();
    let job = |status: &str, conclusion: Value| {
        json!({"total_count": 1, "jobs": [{
            "id": 77, "run_id": 5, "run_attempt": 1, "name": "semgrep", "status": status,
            "conclusion": conclusion, "head_sha": "abc", "started_at": "2026-11-01T10:00:00Z",
            "completed_at": if conclusion.is_null() { Value::Null } else { json!("2026-11-01T10:05:00Z") },
            "run_url": "https://api.github.com/repos/acme/web/actions/runs/5", "steps": []
        }]})
    };
    let lake = Lake::open("memory://").unwrap();
    let settings = settings(&[]);
    for (i, body) in [
        job("in_progress", Value::Null),
        job("completed", json!("failure")),
    ]
    .iter()
    .enumerate()
    {
        let path = dir.path().join(format!("jobs-{i}.json"));
        std::fs::write(&path, serde_json::to_vec(body).unwrap()).unwrap();
        let summary = IngestRun::new(lake.clone(), "github-actions", "gh", &settings)
            .unwrap()
            .ingest_paths(&[path])
            .await
            .unwrap();
        assert_eq!(summary.tables["ci_jobs"].added, 1, "state {i} is a new row");
    }
    let states = rows(
        &lake,
        "SELECT source_id, conclusion FROM ci_jobs ORDER BY source_id",
    )
    .await;
    assert_eq!(states[0]["source_id"], "job:77");
    assert_eq!(states[0]["conclusion"], "failure");
    assert_eq!(states[1]["source_id"], "job:77@in_progress");
}

/// Every row of a whole-document kind keeps the vendor's exact text of its record: `raw` is a
/// verbatim slice of the input file and `record_sha256` its SHA-256, so an auditor who
/// extracts the record and runs `sha256sum` on it gets the lake's digest.
#[tokio::test]
async fn raw_is_the_vendors_bytes_for_every_whole_document_kind() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    // The GitHub fixtures are recorded exchanges: their response bodies are the input.
    let github = tempfile::tempdir().unwrap();
    for cassette in [
        "vcr_list_workflow_runs_paginated.json",
        "vcr_list_jobs_for_run_paginated.json",
    ] {
        let sub = github.path().join(cassette.trim_end_matches(".json"));
        std::fs::create_dir(&sub).unwrap();
        cassette_bodies(cassette, &sub);
    }
    let kinds = [
        (
            "github-actions",
            "ci_jobs",
            vec![
                github.path().to_path_buf(),
                data.join("github-deployments.json"),
            ],
            settings(&[("repo", "acme/web")]),
        ),
        (
            "gitlab-ci",
            "ci_jobs",
            vec![fixtures("gitlab-ci")],
            settings(&[("project", "acme/web")]),
        ),
        (
            "pagerduty",
            "incidents",
            vec![
                data.join("pagerduty"),
                fixtures("incidents").join("pagerduty_webhook_v3_incident.resolved.json"),
            ],
            Map::new(),
        ),
        (
            "jira",
            "incidents",
            vec![
                data.join("jira"),
                fixtures("incidents").join("jira_issues_with_changelog.json"),
            ],
            Map::new(),
        ),
        (
            "sarif",
            "scan_findings",
            vec![fixtures("sarif")],
            settings(&[("repo", "acme/web"), ("commit", "abc123")]),
        ),
        (
            "exceptions",
            "exceptions",
            vec![data.join("exceptions.yaml"), data.join("exceptions.csv")],
            Map::new(),
        ),
        (
            "backstage",
            "assets",
            vec![fixtures("backstage"), data.join("backstage")],
            Map::new(),
        ),
        (
            "aws-config",
            "assets",
            vec![fixtures("aws-config")],
            Map::new(),
        ),
    ];
    for (kind, table, paths, settings) in kinds {
        let lake = Lake::open("memory://").unwrap();
        let run = IngestRun::new(lake.clone(), kind, "s", &settings).unwrap();
        let summary = run.ingest_paths(&paths).await.unwrap();
        assert!(
            summary.tables.contains_key(table),
            "{kind}: nothing in {table}"
        );
        for (table, written) in &summary.tables {
            let found = rows(
                &lake,
                &format!("SELECT source_ref, raw, record_sha256 FROM {table}"),
            )
            .await;
            for row in &found {
                let at = row["source_ref"].as_str().unwrap();
                let raw = row["raw"].as_str().unwrap();
                // Quarantined bytes may not be text: that column is binary, written as hex.
                let raw: Vec<u8> = if table == "_quarantine" {
                    (0..raw.len())
                        .step_by(2)
                        .map(|i| u8::from_str_radix(&raw[i..i + 2], 16).unwrap())
                        .collect()
                } else {
                    raw.as_bytes().to_vec()
                };
                let file = at.split_once('#').map_or(at, |(f, _)| f);
                let file = file
                    .rsplit_once(':')
                    .filter(|(_, n)| n.parse::<u32>().is_ok())
                    .map_or(file, |(f, _)| f);
                let input = std::fs::read(file).unwrap_or_else(|e| panic!("{kind}: {file}: {e}"));
                // AWS returns some items as JSON text inside a string (SelectResourceConfig's
                // `Results`, a rule's `invokingEvent`, an SNS `Message`): their raw is that text.
                let in_a_string = || {
                    let value: serde_json::Value = serde_json::from_slice(&input).unwrap();
                    let mut strings = vec![&value];
                    let mut found = false;
                    while let Some(v) = strings.pop() {
                        match v {
                            serde_json::Value::String(text) => {
                                found |= text.as_bytes().windows(raw.len()).any(|w| w == raw);
                            }
                            serde_json::Value::Array(items) => strings.extend(items),
                            serde_json::Value::Object(fields) => strings.extend(fields.values()),
                            _ => {}
                        }
                    }
                    found
                };
                assert!(
                    input.windows(raw.len()).any(|w| w == raw)
                        || (kind == "aws-config" && in_a_string()),
                    "{kind}: the raw of {at} is not a slice of its input:\n{}",
                    String::from_utf8_lossy(&raw)
                );
                assert_eq!(
                    row["record_sha256"].as_str().unwrap(),
                    evlake_core::sha256_hex(&raw),
                    "{kind}: {at}"
                );
            }
            assert_eq!(found.len() as u64, written.added, "{kind}: {table}");
        }
    }
}

/// Only regular files under the configured path are read: a link out of it (to a file of
/// secrets), a link loop and a FIFO are each quarantined with the reason and none of their
/// bytes, a link inside it is followed, and the run goes on.
#[cfg(unix)]
#[tokio::test]
async fn links_out_of_the_root_loops_and_fifos_are_refused_not_read() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let (inbox, outside) = (dir.path().join("inbox"), dir.path().join("outside"));
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    let sarif = fixtures("sarif");
    let mut logs: Vec<_> = std::fs::read_dir(&sarif)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sarif"))
        .collect();
    logs.sort();
    std::fs::copy(&logs[0], inbox.join("a.sarif")).unwrap();
    std::fs::write(outside.join("environ"), "GITHUB_TOKEN=ghp_secret\n").unwrap();
    symlink(outside.join("environ"), inbox.join("scan.sarif")).unwrap();
    symlink(inbox.join("loop-b.sarif"), inbox.join("loop-a.sarif")).unwrap();
    symlink(inbox.join("loop-a.sarif"), inbox.join("loop-b.sarif")).unwrap();
    symlink(inbox.join("a.sarif"), inbox.join("z-inside.sarif")).unwrap();
    let fifo = inbox.join("pipe.sarif");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let lake = Lake::open("memory://").unwrap();
    let settings = settings(&[("repo", "acme/web"), ("commit", "abc123")]);
    let summary = IngestRun::new(lake.clone(), "sarif", "scans", &settings)
        .unwrap()
        .ingest_paths(std::slice::from_ref(&inbox))
        .await
        .unwrap();
    assert_eq!(summary.quarantined, 4, "{summary:?}");
    let added = summary.tables["scan_findings"].added;
    assert!(added > 0);
    assert_eq!(
        summary.tables["scan_findings"].duplicates, added,
        "the link inside the inbox is the same log again"
    );
    let refused = rows(
        &lake,
        "SELECT location, reason, length(raw) AS bytes FROM _quarantine ORDER BY location",
    )
    .await;
    let seen: Vec<(String, String, i64)> = refused
        .iter()
        .map(|r| {
            (
                r["location"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                r["reason"].as_str().unwrap().to_string(),
                r["bytes"].as_i64().unwrap(),
            )
        })
        .collect();
    let names: Vec<&str> = seen.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["loop-a.sarif", "loop-b.sarif", "pipe.sarif", "scan.sarif"]
    );
    assert!(seen.iter().all(|(_, _, bytes)| *bytes == 0), "{seen:?}");
    assert!(seen[0].1.contains("does not resolve"), "{}", seen[0].1);
    assert!(seen[2].1.contains("not a regular file"), "{}", seen[2].1);
    assert!(
        seen[3].1.contains("outside") && seen[3].1.contains("not followed"),
        "{}",
        seen[3].1
    );
}
