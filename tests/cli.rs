//! End-to-end tests of the `evlake` binary, and of the lake read by DuckDB.

#[path = "support/duckdb.rs"]
mod duckdb;

use std::path::Path;
use std::process::{Command, Output};

use chrono::{DateTime, NaiveDate, Utc};
use evlake_store::{Lake, TableVersion};
use evlake_synth::IamEvents;

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-10-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// A lake of 5,000 synthetic IAM events over 10 days, in three commits.
async fn lake_in(dir: &Path) -> Lake {
    let lake = Lake::open(dir.to_str().unwrap()).unwrap();
    for batch in IamEvents::new(start(), 10, 5_000, 2_000, 1) {
        lake.append("iam_events", vec![batch])
            .unwrap()
            .execute()
            .await
            .unwrap();
    }
    lake
}

fn evlake(lake: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_evlake"))
        .arg("--lake")
        .arg(lake)
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[tokio::test]
async fn tables_verify_and_sql_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    lake_in(dir.path()).await;

    let tables = evlake(dir.path(), &["tables", "--format", "json"]);
    assert!(tables.status.success(), "{}", text(&tables.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&tables.stdout).unwrap();
    assert_eq!(listed[0]["name"], "iam_events");
    assert_eq!(listed[0]["rows"], 5000);
    assert_eq!(listed[0]["version"], 3);
    assert_eq!(listed[0]["first_event"], "2026-10-01T00:00:00Z");

    let verify = evlake(dir.path(), &["verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify.stdout));
    assert!(text(&verify.stdout).contains("OK: 1 tables verified"));

    let sql = evlake(
        dir.path(),
        &[
            "sql",
            "SELECT effect, count(*) AS n FROM iam_events GROUP BY effect ORDER BY effect",
            "--format",
            "csv",
        ],
    );
    assert!(sql.status.success(), "{}", text(&sql.stderr));
    let csv = text(&sql.stdout);
    let total: u64 = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(1)?.parse::<u64>().ok())
        .sum();
    assert!(csv.starts_with("effect,n\ngrant,"), "{csv}");
    assert_eq!(total, 5000);

    let refused = evlake(
        dir.path(),
        &["sql", "INSERT INTO iam_events SELECT * FROM iam_events"],
    );
    assert_eq!(refused.status.code(), Some(3));
    let message = text(&refused.stderr);
    assert!(
        message.contains("refused: INSERT INTO") && message.contains("read-only"),
        "{message}"
    );
    assert_eq!(
        message.lines().count(),
        1,
        "one line, no backtrace: {message}"
    );

    let bad = evlake(dir.path(), &["sql", "SELECT nope FROM iam_events"]);
    assert_eq!(bad.status.code(), Some(4));
}

#[tokio::test]
async fn verify_exits_non_zero_on_a_tampered_lake() {
    let dir = tempfile::tempdir().unwrap();
    lake_in(dir.path()).await;
    let day = dir.path().join("iam_events/event_date=2026-10-05");
    let file = std::fs::read_dir(&day)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[100] ^= 0xff;
    std::fs::write(&file, bytes).unwrap();
    let verify = evlake(dir.path(), &["verify"]);
    assert_eq!(verify.status.code(), Some(1));
    let out = text(&verify.stdout);
    assert!(
        out.contains("FAILED: 1 findings") && out.contains("data_file_changed"),
        "{out}"
    );
}

#[tokio::test]
async fn heads_kept_outside_the_bucket_catch_a_consistent_rewind() {
    let dir = tempfile::tempdir().unwrap();
    let lake = lake_in(dir.path()).await;
    let files = tempfile::tempdir().unwrap();
    let heads = files.path().join("heads.json");
    let out = evlake(dir.path(), &["tables", "--heads"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(&heads, &out.stdout).unwrap();
    let taken: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(taken["tables"][0]["table"], "iam_events");
    assert_eq!(taken["tables"][0]["version"], 3);
    assert_eq!(taken["manifest"]["entries"], 1);
    let expect = |file: &Path| {
        evlake(
            dir.path(),
            &["verify", "--expect-heads", file.to_str().unwrap()],
        )
    };
    assert_eq!(expect(&heads).status.code(), Some(0));

    // The lake grows: an earlier head is still in the chain.
    for batch in IamEvents::new(start(), 10, 500, 500, 7) {
        lake.append("iam_events", vec![batch])
            .unwrap()
            .execute()
            .await
            .unwrap();
    }
    assert_eq!(expect(&heads).status.code(), Some(0));
    // An answer records the heads it read, so a saved answer anchors the lake too.
    let answer = evlake(dir.path(), &["ask", "q1", "--format", "json"]);
    assert!(answer.status.success(), "{}", text(&answer.stderr));
    let saved = files.path().join("answer.json");
    std::fs::write(&saved, &answer.stdout).unwrap();
    assert_eq!(expect(&saved).status.code(), Some(0));

    // Someone with write access to the bucket takes the newest commit back, whole: its
    // commit file and the data files it added. The chain that is left is consistent.
    let log = dir.path().join("iam_events/_delta_log");
    let newest = log.join(format!("{:020}.json", 4));
    for line in std::fs::read_to_string(&newest).unwrap().lines() {
        let action: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Some(path) = action["add"]["path"].as_str() {
            std::fs::remove_file(dir.path().join("iam_events").join(path)).unwrap();
        }
    }
    std::fs::remove_file(&newest).unwrap();
    let alone = evlake(dir.path(), &["verify"]);
    assert_eq!(alone.status.code(), Some(0), "{}", text(&alone.stdout));

    let anchored = expect(&saved);
    assert_eq!(anchored.status.code(), Some(1));
    let out = text(&anchored.stdout);
    assert!(
        out.contains("FAILED: 1 findings")
            && out.contains("head_mismatch")
            && out.contains("version 4, which the log no longer has"),
        "{out}"
    );
    assert_eq!(expect(&heads).status.code(), Some(0), "version 3 is intact");

    let junk = files.path().join("junk.json");
    std::fs::write(&junk, "{}").unwrap();
    let refused = expect(&junk);
    assert_eq!(refused.status.code(), Some(4));
    assert!(text(&refused.stderr).contains("junk.json holds neither"));
}

#[test]
fn the_lake_location_falls_back_to_evlake_lake() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_evlake"))
        .env("EVLAKE_LAKE", dir.path())
        .arg("tables")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "the lake has no tables yet\n");
    let bad = Command::new(env!("CARGO_BIN_EXE_evlake"))
        .args(["--lake", "ftp://example/lake", "tables"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(4));
    assert!(text(&bad.stderr).contains("unsupported scheme 'ftp'"));
}

const DUCKDB_READ: &str = r#"
import json, sys, duckdb
files = json.load(sys.stdin)
row = duckdb.connect().execute(
    "SELECT count(*), sum(length(raw)), count(DISTINCT event_date), epoch_us(min(event_time)) "
    "FROM read_parquet($files, hive_partitioning = true)",
    {"files": files},
).fetchall()[0]
print(json.dumps([row[0], int(row[1]), row[2], row[3]]))
"#;

#[tokio::test]
async fn duckdb_reads_what_evlake_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let lake = lake_in(dir.path()).await;
    // The files of the table's current version, from its Delta log.
    let table = lake
        .table("iam_events", TableVersion::Latest)
        .await
        .unwrap();
    let files: Vec<String> = table
        .snapshot()
        .unwrap()
        .log_data()
        .iter()
        .map(|f| {
            dir.path()
                .join("iam_events")
                .join(f.path().as_ref())
                .display()
                .to_string()
        })
        .collect();

    let out = duckdb::run(
        DUCKDB_READ,
        &[],
        serde_json::to_string(&files).unwrap().as_bytes(),
    );
    let duck: serde_json::Value = serde_json::from_slice(&out).unwrap();

    let session = evlake_query::QuerySession::builder(lake)
        .build()
        .await
        .unwrap();
    let ours = session
        .user_query(
            "SELECT count(*) AS n, sum(length(raw)) AS chars, count(DISTINCT event_date) AS days, min(event_time) AS first FROM iam_events",
        )
        .await
        .unwrap();
    let ours = evlake_query::render_batches(&ours, evlake_query::OutputFormat::Json).unwrap();
    let ours: serde_json::Value = serde_json::from_str(&ours).unwrap();
    assert_eq!(duck[0], ours[0]["n"]);
    assert_eq!(duck[1], ours[0]["chars"]);
    assert_eq!(duck[2], ours[0]["days"]);
    assert_eq!(duck[0], 5000);
    assert_eq!(duck[2], 10);
    assert_eq!(duck[3], start().timestamp_micros());
}

#[test]
fn ingest_from_the_command_line_reports_and_exits_by_the_quarantine_share() {
    let lake = tempfile::tempdir().unwrap();
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/sarif");
    let shared = shared.to_str().unwrap();
    let ok = evlake(
        lake.path(),
        &[
            "ingest",
            "--source",
            "sarif",
            "--set",
            "repo=acme/web",
            shared,
            "--format",
            "json",
        ],
    );
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(summary["tables"]["scan_findings"]["added"], 8);
    assert_eq!(summary["source_name"], "sarif");

    let bad = tempfile::tempdir().unwrap();
    std::fs::write(bad.path().join("broken.sarif"), "{\"runs\": [").unwrap();
    let out = evlake(
        lake.path(),
        &["ingest", "--source", "sarif", bad.path().to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(5));
    assert!(text(&out.stdout).contains("FAILED: more than 1.00 % of the records were quarantined"));

    let unknown = evlake(
        lake.path(),
        &[
            "ingest",
            "--source",
            "sarif",
            "--set",
            "colour=blue",
            shared,
        ],
    );
    assert_eq!(unknown.status.code(), Some(4));
    assert!(
        text(&unknown.stderr).contains("unknown field `colour`"),
        "{}",
        text(&unknown.stderr)
    );
}

#[test]
fn ingest_every_source_of_a_config_file() {
    let lake = tempfile::tempdir().unwrap();
    let config = lake.path().join("site.toml");
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/sarif");
    let register = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/evlake-ingest/tests/data/exceptions.yaml");
    std::fs::write(
        &config,
        format!(
            "[sources.scans]\nkind = \"sarif\"\npaths = [{:?}]\n\n[sources.register]\nkind = \"exceptions\"\npaths = [{:?}]\nmax_quarantine_share = 0.5\n",
            shared.display().to_string(),
            register.display().to_string()
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let out = evlake(
        lake.path(),
        &["ingest", "--config", config, "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("\"source_name\": \"scans\"")
            && stdout.contains("\"source_name\": \"register\""),
        "{stdout}"
    );
    let one = evlake(
        lake.path(),
        &["ingest", "--config", config, "--source", "register"],
    );
    assert!(
        text(&one.stdout).starts_with("register (exceptions)"),
        "{}",
        text(&one.stdout)
    );
    let none = evlake(
        lake.path(),
        &["ingest", "--config", config, "--source", "nope"],
    );
    assert_eq!(none.status.code(), Some(4));
    assert!(text(&none.stderr).contains("no source named 'nope'"));
}

/// Row counts of the evidence tables, as the command line reports them.
fn counts(lake: &Path) -> String {
    let out = evlake(
        lake,
        &[
            "sql",
            "SELECT (SELECT count(*) FROM ci_jobs) AS ci_jobs, (SELECT count(*) FROM deployments) AS deployments, \
             (SELECT count(*) FROM scan_findings) AS findings, (SELECT count(*) FROM exceptions) AS exceptions, \
             (SELECT count(DISTINCT source_id) FROM ci_jobs) AS distinct_ci, (SELECT count(*) FROM _quarantine) AS quarantined, \
             (SELECT count(*) FROM runtime_alerts) AS alerts, (SELECT count(DISTINCT source_id) FROM runtime_alerts) AS distinct_alerts, \
             (SELECT count(*) FROM incidents) AS incidents",
            "--format",
            "csv",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

/// Generates an organisation of `services` over `days` ending 2026-11-20 into `dir/org`.
fn generate_org(dir: &Path, services: u32, days: u32) -> std::path::PathBuf {
    let org = dir.join("org");
    let (services, days) = (services.to_string(), days.to_string());
    let generate = evlake(
        &dir.join("unused"),
        &[
            "generate",
            "--out",
            org.to_str().unwrap(),
            "--services",
            &services,
            "--days",
            &days,
            "--end",
            "2026-11-20",
        ],
    );
    assert!(generate.status.success(), "{}", text(&generate.stderr));
    org
}

#[test]
fn a_crash_mid_ingest_then_a_rerun_gives_the_rows_of_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let org = generate_org(dir.path(), 4, 6);
    let config = org.join("ingest.toml");
    let ingest = |lake: &Path, failpoint: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_evlake"));
        command
            .args(["--lake", lake.to_str().unwrap(), "ingest", "--config"])
            .arg(&config);
        if let Some(point) = failpoint {
            command.env("EVLAKE_FAILPOINT", point);
        }
        command.output().unwrap()
    };

    let clean = dir.path().join("clean");
    assert!(ingest(&clean, None).status.success());
    let expected = counts(&clean);
    assert!(
        expected
            .lines()
            .nth(1)
            .is_some_and(|l| !l.starts_with("0,")),
        "{expected}"
    );

    // The answer, for machines and for reports.
    let json = evlake(
        &clean,
        &["ask", "q1", "--as-of", "2026-11-20", "--format", "json"],
    );
    assert!(json.status.success(), "{}", text(&json.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(answer["question"], "q1");
    assert_eq!(answer["as_of"], "2026-11-20T23:59:59.999999Z");
    assert_eq!(answer["window_start"], "2026-11-13T23:59:59.999999Z");
    assert!(
        ["evidenced", "contradicted", "not_evidenced"]
            .contains(&answer["verdict"].as_str().unwrap())
    );
    assert!(
        answer["metrics"]["prod_deploys"].as_i64().unwrap() > 0,
        "{answer}"
    );
    let md = evlake(
        &clean,
        &["ask", "q1", "--as-of", "2026-11-20", "--format", "md"],
    );
    assert!(
        text(&md.stdout).starts_with("## q1 — "),
        "{}",
        text(&md.stdout)
    );
    let q2 = evlake(
        &clean,
        &["ask", "q2", "--as-of", "2026-11-20", "--format", "json"],
    );
    assert!(q2.status.success(), "{}", text(&q2.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&q2.stdout).unwrap();
    assert_eq!(answer["question"], "q2");
    assert_eq!(answer["window_start"], "2026-10-21T23:59:59.999999Z");
    let alerts = answer["evidence"].as_array().unwrap();
    assert!(!alerts.is_empty(), "{answer}");
    assert_eq!(answer["metrics"]["alerts"], alerts.len());
    // DESIGN's stable q2 fields, in every row.
    for field in [
        "alert_id",
        "rule",
        "priority",
        "workload",
        "alert_time",
        "incident_id",
        "acknowledged_at",
        "remediated_at",
        "minutes_to_remediate",
        "correlation",
    ] {
        assert!(
            alerts.iter().all(|r| r.get(field).is_some()),
            "{field} missing"
        );
    }
    let unknown = evlake(&clean, &["ask", "q9"]);
    assert_eq!(unknown.status.code(), Some(4));
    assert!(text(&unknown.stderr).contains("no question 'q9'"));

    for point in ["append.before_commit", "ingest.before_cursor"] {
        let lake = dir.path().join(point);
        let crashed = ingest(&lake, Some(point));
        assert!(
            !crashed.status.success(),
            "{point}: the process was to abort"
        );
        assert!(
            text(&crashed.stderr).contains(point),
            "{}",
            text(&crashed.stderr)
        );
        let rerun = ingest(&lake, None);
        assert!(rerun.status.success(), "{point}: {}", text(&rerun.stderr));
        assert_eq!(
            counts(&lake),
            expected,
            "after a crash at {point} and a re-run"
        );
        // The crash left at most an uncommitted write behind, which verify notes, not flags.
        let verify = evlake(&lake, &["verify"]);
        assert!(verify.status.success(), "{point}: {}", text(&verify.stdout));
    }
}

#[test]
fn ingest_killed_at_any_moment_then_rerun_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let org = generate_org(dir.path(), 12, 10);
    let ingest = |lake: &Path| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_evlake"));
        command
            .args(["--lake", lake.to_str().unwrap(), "ingest", "--config"])
            .arg(org.join("ingest.toml"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        command
    };
    let clean = dir.path().join("clean");
    let started = std::time::Instant::now();
    assert!(ingest(&clean).status().unwrap().success());
    let duration = started.elapsed();
    let expected = counts(&clean);

    // SIGKILL at tenths of a clean run's duration, each into a lake of its own: no
    // failpoint, wherever the process happens to be (a table's creation, a data file
    // half-written, a commit, a cursor).
    let mut killed_mid_run = 0;
    for tenth in 1..=8 {
        let lake = dir.path().join(format!("killed-{tenth}"));
        let mut child = ingest(&lake).spawn().unwrap();
        std::thread::sleep(duration * tenth / 10);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed_mid_run += 1;
        }
        child.wait().unwrap();
        let rerun = ingest(&lake).status().unwrap();
        assert!(rerun.success(), "killed at {tenth}/10: the re-run failed");
        assert_eq!(counts(&lake), expected, "killed at {tenth}/10, then re-run");
        let verify = evlake(&lake, &["verify"]);
        assert!(
            verify.status.success(),
            "killed at {tenth}/10: {}",
            text(&verify.stdout)
        );
    }
    assert!(killed_mid_run > 0, "every run ended before its kill");
}

#[test]
fn an_answer_is_byte_identical_twice_and_reproduce_says_so_or_names_what_moved() {
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org");
    let lake = dir.path().join("lake");
    let generate = evlake(
        &lake,
        &[
            "generate",
            "--out",
            org.to_str().unwrap(),
            "--services",
            "8",
            "--days",
            "20",
            "--end",
            "2026-11-20",
        ],
    );
    assert!(generate.status.success(), "{}", text(&generate.stderr));
    let config = org.join("ingest.toml");
    let ingest = |source: &str| {
        let out = evlake(
            &lake,
            &[
                "ingest",
                "--config",
                config.to_str().unwrap(),
                "--source",
                source,
            ],
        );
        assert!(out.status.success(), "{source}: {}", text(&out.stderr));
    };
    for source in ["github", "scans", "register"] {
        ingest(source);
    }
    let ask = || {
        let out = evlake(
            &lake,
            &[
                "ask",
                "q1",
                "--as-of",
                "2026-11-20",
                "--known-at",
                "2030-01-01",
                "--format",
                "json",
            ],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        out.stdout
    };
    let first = ask();
    assert_eq!(first, ask(), "the same question twice gives the same bytes");
    let answer: serde_json::Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(
        answer["parameters"]["known_at"],
        "2030-01-01T23:59:59.999999Z"
    );
    assert_eq!(
        answer["parameters"]["window_start"],
        "2026-11-13T23:59:59.999999Z"
    );
    assert_eq!(answer["rubric_sha256"].as_str().map(str::len), Some(64));
    assert_eq!(answer["evlake_version"], env!("CARGO_PKG_VERSION"));
    let saved = dir.path().join("answer.json");
    std::fs::write(&saved, &first).unwrap();

    let reproduce = |file: &Path| evlake(&lake, &["reproduce", file.to_str().unwrap()]);
    let out = reproduce(&saved);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(report.starts_with("identical: q1"), "{report}");
    assert!(!report.contains("moved since"), "{report}");

    // A later ingest moves a table on; the answer, pinned to its versions, still reproduces.
    ingest("falco");
    let out = reproduce(&saved);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(report.starts_with("identical: q1"), "{report}");
    assert!(
        report.contains("moved since: runtime_alerts absent → v1"),
        "{report}"
    );

    // An answer edited after the fact does not reproduce, and says where.
    assert!(
        !answer["evidence"].as_array().unwrap().is_empty(),
        "{answer}"
    );
    let mut edited = answer.clone();
    let deploys = edited["metrics"]["prod_deploys"].as_i64().unwrap();
    edited["metrics"]["prod_deploys"] = (deploys + 1).into();
    edited["evidence"].as_array_mut().unwrap().pop();
    let forged = dir.path().join("forged.json");
    std::fs::write(&forged, edited.to_string()).unwrap();
    let out = reproduce(&forged);
    assert_eq!(out.status.code(), Some(6), "{}", text(&out.stdout));
    let report = text(&out.stdout);
    assert!(report.starts_with("DIFFERS: q1"), "{report}");
    assert!(
        report.contains(&format!(
            "metric prod_deploys: saved {}, now {deploys}",
            deploys + 1
        )),
        "{report}"
    );
    assert!(report.contains("row added now:"), "{report}");
}

#[test]
fn limits_out_of_range_are_usage_errors_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    // 2^44 MiB would wrap to a 0-byte pool if it were shifted unchecked.
    for (flag, value) in [
        ("--memory-limit-mib", "17592186044416"),
        ("--memory-limit-mib", "0"),
        ("--query-timeout", "0"),
    ] {
        let out = evlake(dir.path(), &[flag, value, "sql", "SELECT 1"]);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        let err = text(&out.stderr);
        assert!(err.contains(flag) && err.contains("not in"), "{err}");
    }
}

#[tokio::test]
async fn writes_hidden_in_a_query_are_refused_by_the_guard() {
    let dir = tempfile::tempdir().unwrap();
    lake_in(dir.path()).await;
    for sql in [
        "WITH x AS (DELETE FROM iam_events) SELECT * FROM x",
        "SELECT * INTO copied FROM iam_events",
    ] {
        let out = evlake(dir.path(), &["sql", sql]);
        assert_eq!(out.status.code(), Some(3), "{sql}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("refused"),
            "{}",
            text(&out.stderr)
        );
    }
}

/// Queries whose parsing and planning recurse thousands of levels deep: each shape past the
/// guard's bound is refused (exit 3), and one just inside it is answered, never a stack
/// overflow (exit 134).
#[test]
fn deep_queries_are_refused_or_answered_never_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let terms = |n: usize, term: &str, op: &str| vec![term; n].join(op);
    for sql in [
        format!("SELECT {}", terms(8_500, "1", "+")),
        terms(3_000, "SELECT 1", " UNION ALL "),
        format!("SELECT {}", terms(9_000, "'a'", "||")),
        format!("SELECT 1 WHERE {}", terms(9_000, "TRUE", " OR ")),
    ] {
        let out = evlake(dir.path(), &["sql", &sql]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{}…: {err}", &sql[..40]);
        assert!(err.contains("at most 2000"), "{err}");
    }
    let inside = format!("SELECT {} AS n", terms(1_500, "1", "+"));
    let out = evlake(dir.path(), &["sql", "--format", "csv", &inside]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().nth(1), Some("1500"));
}

/// Functions that allocate from the sizes in a literal are refused before they allocate,
/// whether DataFusion folds them at planning time or runs them per row.
#[test]
fn literal_sizes_cannot_get_past_the_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    for (limit, sql, function) in [
        (
            "64",
            "SELECT cardinality(array_repeat(1, 300000000))",
            "array_repeat",
        ),
        ("256", "SELECT length(repeat('a', 1000000000))", "repeat"),
        (
            "256",
            "SELECT length(repeat(s, 100000)) FROM (VALUES (repeat('x', 10000))) AS t(s)",
            "repeat",
        ),
    ] {
        let out = evlake(
            dir.path(),
            &[
                "--memory-limit-mib",
                limit,
                "--query-timeout",
                "1",
                "sql",
                sql,
            ],
        );
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{sql}: {err}");
        assert!(
            err.contains(&format!("{function}() would allocate about"))
                && err.contains("one call may use (a quarter of --memory-limit-mib)"),
            "{sql}: {err}"
        );
    }
}

/// The time limit covers planning: constant folding of heavy terms is cut off at the limit.
#[test]
fn the_time_limit_covers_planning() {
    let dir = tempfile::tempdir().unwrap();
    let term = r"length(regexp_replace(repeat('ab', 5000000), '(a)(b)', '\2\1', 'g'))";
    let sql = format!("SELECT {}", [term; 8].join(" + "));
    let out = evlake(dir.path(), &["--query-timeout", "1", "sql", &sql]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("ran past its time limit of 1s"), "{err}");
}

/// Results are written as they come, counted against the row cap, and a table (which needs
/// every row first) holds them under the memory limit.
#[test]
fn results_stream_out_and_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let series = "SELECT value FROM generate_series(1, 3000000)";
    let out = evlake(
        dir.path(),
        &[
            "--memory-limit-mib",
            "64",
            "sql",
            "--max-rows",
            "3000000",
            "--format",
            "csv",
            series,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    assert_eq!(csv.lines().count(), 3_000_001);
    assert_eq!(csv.lines().last(), Some("3000000"));

    let out = evlake(
        dir.path(),
        &[
            "sql",
            "--format",
            "json",
            "SELECT value FROM generate_series(1, 5)",
        ],
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        rows,
        serde_json::json!([{"value":1},{"value":2},{"value":3},{"value":4},{"value":5}])
    );

    let capped = evlake(
        dir.path(),
        &[
            "sql",
            "--max-rows",
            "10",
            "--format",
            "csv",
            "SELECT value FROM generate_series(1, 100)",
        ],
    );
    assert_eq!(capped.status.code(), Some(4));
    assert!(
        text(&capped.stderr).contains("returns more than 10 rows, the limit"),
        "{}",
        text(&capped.stderr)
    );
    let csv = text(&capped.stdout);
    assert_eq!(
        csv.lines().count(),
        11,
        "the header and the rows up to the cap: {csv}"
    );

    let table = evlake(
        dir.path(),
        &[
            "--memory-limit-mib",
            "32",
            "sql",
            "--max-rows",
            "6000000",
            "SELECT value FROM generate_series(1, 6000000)",
        ],
    );
    assert_eq!(table.status.code(), Some(4));
    let err = text(&table.stderr);
    assert!(err.contains("more memory than the limit"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line, no backtrace: {err}");
}

/// The README's first command, smaller: it generates, ingests, verifies and answers the five
/// questions in order; q3 names the shadow service the generator planted, q5 what audit mode
/// let in.
#[test]
fn the_demo_generates_ingests_verifies_and_answers_each_question() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let out = evlake(
        &dir.path().join("unused"),
        &[
            "demo",
            "--dir",
            demo.to_str().unwrap(),
            "--services",
            "10",
            "--days",
            "60",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains(", 0 findings\n"), "{stdout}");
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(demo.join("evidence/truth.json")).unwrap()).unwrap();
    assert_eq!(
        truth["inventory"]["shadow"],
        serde_json::json!(["svc-0005"])
    );
    let mut at = 0;
    let mut starts = Vec::new();
    for (step, question) in [
        ("4.", "q1 — "),
        ("5.", "q2 — "),
        ("6.", "q3 — "),
        ("7.", "q4 — "),
        ("8.", "q5 — "),
    ] {
        let heading = stdout[at..].find(&format!("\n{step} ")).expect(step) + at;
        at = stdout[heading..]
            .find(&format!("\n{question}"))
            .expect(question)
            + heading;
        starts.push(at);
    }
    // q5: an image let in while the policy audited; the switch to Enforce counted.
    let q5 = &stdout[starts[4]..];
    assert!(
        q5.lines()
            .nth(2)
            .unwrap()
            .starts_with("verdict: contradicted · "),
        "{q5}"
    );
    assert!(
        q5.lines()
            .any(|l| l.trim_start().starts_with("policy_mode_changes ")
                && l.trim_end().ends_with(" 1")),
        "{q5}"
    );
    let q3 = &stdout[starts[2]..starts[3]];
    assert!(
        q3.lines()
            .nth(2)
            .unwrap()
            .starts_with("verdict: contradicted · "),
        "{q3}"
    );
    assert!(
        q3.contains("\n  shadow_services                  1\n"),
        "{q3}"
    );
    assert!(
        q3.contains("svc-0005") && q3.contains("shadow_service"),
        "{q3}"
    );
    // 9: the scorecard, every generated team, and its roadmap.
    let card = &stdout[stdout.find("\n9. ").expect("step 9")..];
    let teams = truth["dsomm"]["teams"].as_array().unwrap();
    for team in teams {
        let name = team["team"].as_str().unwrap();
        assert!(card.contains(&format!("\nteam {name}\n")), "{name}: {card}");
    }
    assert!(card.contains("\nroadmap "), "{card}");

    // The scorecard from the command line: one report of the five answers and the scorecard,
    // and a series whose last date is that scorecard, row for row.
    let lake = demo.join("lake");
    let end = truth["end"].as_str().unwrap();
    let known_at = Utc::now().to_rfc3339();
    let report = evlake(
        &lake,
        &[
            "ask",
            "all",
            "--as-of",
            end,
            "--known-at",
            &known_at,
            "--format",
            "json",
        ],
    );
    assert!(report.status.success(), "{}", text(&report.stderr));
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    let questions: Vec<&str> = report["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["question"].as_str().unwrap())
        .collect();
    assert_eq!(questions, ["q1", "q2", "q3", "q4", "q5"]);
    assert_eq!(
        report["scorecard"]["teams"].as_array().unwrap().len(),
        teams.len()
    );
    let csv = |as_of: &str| {
        let out = evlake(
            &lake,
            &[
                "score",
                "--as-of",
                as_of,
                "--known-at",
                &known_at,
                "--format",
                "csv",
            ],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let from = (NaiveDate::parse_from_str(end, "%Y-%m-%d").unwrap() - chrono::Duration::days(40))
        .to_string();
    let series = evlake(
        &lake,
        &[
            "score",
            "--from",
            &from,
            "--to",
            end,
            "--every",
            "30d",
            "--known-at",
            &known_at,
            "--format",
            "csv",
        ],
    );
    assert!(series.status.success(), "{}", text(&series.stderr));
    let series = text(&series.stdout);
    let mut dates: Vec<&str> = series.lines().skip(1).map(|l| &l[..20]).collect();
    dates.dedup();
    assert_eq!(dates.len(), 3, "{series}");
    for date in [&from, end] {
        let single = csv(date);
        let at = &single.lines().nth(1).expect("a team scored")[..20];
        let of_date: Vec<&str> = series.lines().filter(|l| l.starts_with(at)).collect();
        assert_eq!(
            of_date,
            single.lines().skip(1).collect::<Vec<_>>(),
            "{date}"
        );
    }
    let bad = evlake(&lake, &["score", "--from", end, "--to", &from]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
    assert!(
        text(&bad.stderr).contains("is before --from"),
        "{}",
        text(&bad.stderr)
    );

    // The scorecard recorded in the lake: one `scorecards` row per team and sub-dimension,
    // once however often the same file is ingested.
    let card = evlake(
        &lake,
        &[
            "score",
            "--as-of",
            end,
            "--known-at",
            &known_at,
            "--format",
            "json",
        ],
    );
    assert!(card.status.success(), "{}", text(&card.stderr));
    let scores = dir.path().join("scores");
    std::fs::create_dir_all(&scores).unwrap();
    std::fs::write(scores.join(format!("{end}.json")), &card.stdout).unwrap();
    for _ in 0..2 {
        let out = evlake(
            &lake,
            &["ingest", "--source", "scorecard", scores.to_str().unwrap()],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let recorded = sql_rows(
        &lake,
        "SELECT team, sub_dimension, claimed, evidenced FROM scorecards ORDER BY team, dimension, sub_dimension",
    );
    let csv_rows: Vec<serde_json::Value> = csv(end)
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            serde_json::json!({"team": f[1], "sub_dimension": f[3],
                "claimed": f[4].parse::<i64>().unwrap(), "evidenced": f[5].parse::<i64>().unwrap()})
        })
        .collect();
    let mut want = csv_rows.clone();
    want.sort_by_key(|r| (r["team"].to_string(), r["sub_dimension"].to_string()));
    let mut got = recorded.clone();
    got.sort_by_key(|r| (r["team"].to_string(), r["sub_dimension"].to_string()));
    assert_eq!(got, want);

    // The audit-real state for the DSOMM app.
    let export = dir.path().join("dsomm-export");
    let out = evlake(
        &lake,
        &[
            "score",
            "--as-of",
            end,
            "--export-dsomm",
            export.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    for file in ["team-progress.yaml", "team-evidence.yaml"] {
        let written = std::fs::read_to_string(export.join(file)).unwrap();
        assert!(
            written.contains("\nprogress:\n") || written.contains("\nevidence:\n"),
            "{written}"
        );
    }
}

/// One AWS Config delivery file: `items` as a gzipped `configurationItems` document.
fn config_delivery(items: &[(&str, &str, u64, &str)]) -> Vec<u8> {
    use std::io::Write;
    let items: Vec<serde_json::Value> = items
        .iter()
        .map(|(id, at, state, status)| {
            serde_json::json!({
                "configurationItemVersion": "1.3", "configurationItemCaptureTime": at,
                "configurationStateId": state, "awsAccountId": "111122223333",
                "configurationItemStatus": status, "resourceType": "AWS::S3::Bucket",
                "resourceId": id, "resourceName": id, "ARN": format!("arn:aws:s3:::{id}"),
                "awsRegion": "eu-west-1", "tags": {"team": "payments", "environment": "prod"},
                "configuration": {"name": id},
            })
        })
        .collect();
    let body = serde_json::json!({"fileVersion": "1.0", "configurationItems": items});
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&serde_json::to_vec(&body).unwrap()).unwrap();
    gz.finish().unwrap()
}

/// `evlake ingest --source KIND s3://lake/AWSLogs/` against the S3-compatible server at
/// `endpoint`, reached with the standard AWS variables; its JSON summary.
fn ingest_under_s3_prefix(
    lake: &Path,
    endpoint: &str,
    kind: &'static str,
) -> tokio::task::JoinHandle<serde_json::Value> {
    let (lake, endpoint) = (lake.to_path_buf(), endpoint.to_string());
    tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_evlake"))
            .arg("--lake")
            .arg(&lake)
            .args(["ingest", "--source", kind, "--format", "json"])
            .arg("s3://lake/AWSLogs/")
            .env("AWS_ENDPOINT", endpoint)
            .env("AWS_ALLOW_HTTP", "true")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", evlake_testkit::ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", evlake_testkit::SECRET_KEY)
            .env("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "false")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    })
}

/// AWS Config delivers `.json.gz` files to an S3 bucket: `evlake ingest` reads them under an
/// `s3://` prefix, reaching the bucket with the standard AWS variables (an S3-compatible
/// server on loopback here), and a second run reads only the file delivered since.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_config_files_under_an_s3_prefix_are_ingested_and_not_read_twice() {
    use object_store::ObjectStoreExt;
    // moto keeps keys as S3 does (AWS Config's names hold `::`, which s3s-fs cannot store).
    let s3 = evlake_testkit::MotoServer::start();
    let (bucket, _, _) =
        evlake_store::object_store_at("s3://lake/", &evlake_testkit::s3_options(&s3.endpoint))
            .unwrap();
    let day = |d: u32| format!("AWSLogs/111122223333/Config/eu-west-1/2026/11/{d}/ConfigHistory");
    let put = |key: String, bytes: Vec<u8>| {
        let bucket = bucket.clone();
        async move {
            bucket
                .put(&object_store::path::Path::from(key), bytes.into())
                .await
                .unwrap();
        }
    };
    put(
        format!("{}/111122223333_Config_eu-west-1_ConfigHistory_AWS::S3::Bucket_20261102T000000Z_20261102T060000Z_1.json.gz", day(2)),
        config_delivery(&[
            ("receipts", "2026-11-02T01:00:00.000Z", 1, "ResourceDiscovered"),
            ("exports", "2026-11-02T02:00:00.000Z", 2, "ResourceDiscovered"),
        ]),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let ingest = || ingest_under_s3_prefix(&lake, &s3.endpoint, "aws-config");
    let first = ingest().await.unwrap();
    assert_eq!(
        (first["files"].as_u64(), first["records"].as_u64()),
        (Some(1), Some(2))
    );
    put(
        format!("{}/111122223333_Config_eu-west-1_ConfigHistory_AWS::S3::Bucket_20261103T000000Z_20261103T060000Z_1.json.gz", day(3)),
        config_delivery(&[("exports", "2026-11-03T01:00:00.000Z", 3, "ResourceDeleted")]),
    )
    .await;
    let second = ingest().await.unwrap();
    assert_eq!(
        (
            second["files"].as_u64(),
            second["unchanged_files"].as_u64(),
            second["records"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    let states = evlake(
        &lake,
        &[
            "sql",
            "--format",
            "csv",
            "SELECT name, status FROM assets ORDER BY event_time",
        ],
    );
    assert!(states.status.success(), "{}", text(&states.stderr));
    assert_eq!(
        text(&states.stdout),
        "name,status\nreceipts,ResourceDiscovered\nexports,ResourceDiscovered\nexports,ResourceDeleted\n"
    );
}

/// CloudTrail delivers `.json.gz` log files and digests to an S3 bucket in its layout:
/// `evlake ingest` reads the trail's prefix on an S3-compatible server on loopback, skips the
/// digests, and a second run reads only the file delivered since.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudtrail_objects_under_an_s3_prefix_are_read_once_and_digests_skipped() {
    use object_store::ObjectStoreExt;
    let s3 = evlake_testkit::MotoServer::start();
    let (bucket, _, _) =
        evlake_store::object_store_at("s3://lake/", &evlake_testkit::s3_options(&s3.endpoint))
            .unwrap();
    let gzip = |body: serde_json::Value| {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&serde_json::to_vec(&body).unwrap()).unwrap();
        gz.finish().unwrap()
    };
    let record = |id: &str, at: &str| {
        serde_json::json!({"eventVersion": "1.09", "eventID": id, "eventTime": at,
            "eventSource": "iam.amazonaws.com", "eventName": "AddUserToGroup", "awsRegion": "us-east-1",
            "recipientAccountId": "111122223333",
            "userIdentity": {"type": "AssumedRole", "accountId": "111122223333",
                "arn": "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0a1b/ops@acme.example"},
            "requestParameters": {"groupName": "platform-admins", "userName": "alice"},
            "responseElements": null, "eventType": "AwsApiCall"})
    };
    let day = |d: u32| format!("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/{d:02}");
    let put = |key: String, bytes: Vec<u8>| {
        let bucket = bucket.clone();
        async move {
            bucket
                .put(&object_store::path::Path::from(key), bytes.into())
                .await
                .unwrap();
        }
    };
    put(
        format!("{}/111122223333_CloudTrail_us-east-1_20261101T0005Z_a1.json.gz", day(1)),
        gzip(serde_json::json!({"Records": [record("e-1", "2026-11-01T00:01:00Z"), record("e-2", "2026-11-01T00:02:00Z")]})),
    )
    .await;
    put(
        "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/01/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20261101T010000Z.json.gz".into(),
        gzip(serde_json::json!({"awsAccountId": "111122223333", "logFiles": []})),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let ingest = || ingest_under_s3_prefix(&lake, &s3.endpoint, "cloudtrail");
    let first = ingest().await.unwrap();
    assert_eq!(
        (
            first["files"].as_u64(),
            first["records"].as_u64(),
            first["skipped"].as_u64()
        ),
        (Some(2), Some(2), Some(1)),
        "{first}"
    );
    put(
        format!("{}/111122223333_CloudTrail_us-east-1_20261102T0005Z_b1.json.gz", day(2)),
        gzip(serde_json::json!({"Records": [record("e-3", "2026-11-02T00:01:00Z"), record("e-2", "2026-11-01T00:02:00Z")]})),
    )
    .await;
    let second = ingest().await.unwrap();
    assert_eq!(
        (
            second["files"].as_u64(),
            second["unchanged_files"].as_u64(),
            second["records"].as_u64()
        ),
        (Some(1), Some(2), Some(2)),
        "{second}"
    );
    let rows = sql_rows(
        &lake,
        "SELECT source_id, principal, permission FROM iam_events ORDER BY source_id",
    );
    assert_eq!(
        rows.iter()
            .map(|r| r["source_id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["e-1", "e-2", "e-3"],
        "a re-delivered event is one row"
    );
    assert_eq!(rows[0]["principal"], "alice");
    assert_eq!(rows[0]["permission"], "platform-admins");
}

/// `SELECT` rows as JSON through `evlake sql`.
fn sql_rows(lake: &Path, sql: &str) -> Vec<serde_json::Value> {
    let out = evlake(lake, &["sql", sql, "--format", "json"]);
    assert!(out.status.success(), "{sql}: {}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_catalog_snapshot_is_read_only_once_its_run_has_committed_all_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/backstage");
    let ingest = |failpoint: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_evlake"));
        command
            .arg("--lake")
            .arg(&lake)
            .args(["ingest", "--source", "backstage", "--name", "catalog"])
            .arg(&catalog)
            .env_remove("EVLAKE_FAILPOINT");
        if let Some(point) = failpoint {
            command.env("EVLAKE_FAILPOINT", point);
        }
        command.output().unwrap()
    };
    // The checkout's snapshots (one per run), and the one the inventory reads now.
    let instants = |sql: &str| -> Vec<String> {
        sql_rows(&lake, sql)
            .iter()
            .map(|r| r["t"].as_str().unwrap().to_string())
            .collect()
    };
    let taken =
        || instants("SELECT DISTINCT CAST(event_time AS VARCHAR) AS t FROM assets ORDER BY t");
    let in_use = || {
        instants(
            "SELECT DISTINCT CAST(snapshot_time AS VARCHAR) AS t FROM asset_inventory ORDER BY t",
        )
    };
    assert!(ingest(None).status.success());
    let first = taken();
    assert_eq!(first.len(), 1);
    assert_eq!(in_use(), first);
    // A run whose rows are all in but whose snapshot was never marked complete (it died):
    // its rows are in the lake, and the inventory still reads the complete one before.
    let crashed = ingest(Some("ingest.before_snapshots"));
    assert!(!crashed.status.success());
    assert!(text(&crashed.stderr).contains("ingest.before_snapshots"));
    let after_crash = taken();
    assert_eq!(after_crash.len(), 2, "the dead run's rows are committed");
    assert_eq!(in_use(), first, "a snapshot without its marker is not read");
    assert_eq!(
        sql_rows(&lake, "SELECT COUNT(*) AS n FROM asset_inventory")[0]["n"],
        8
    );
    // The next run completes its own snapshot, which the inventory reads from then on.
    assert!(ingest(None).status.success());
    let all = taken();
    assert_eq!(all.len(), 3);
    assert_eq!(in_use(), [all[2].clone()]);
    let marked = sql_rows(
        &lake,
        "SELECT table_name, CAST(event_time AS VARCHAR) AS t, row_count FROM _snapshots ORDER BY t, table_name",
    );
    let expected: Vec<serde_json::Value> = [&all[0], &all[2]]
        .iter()
        .flat_map(|t| {
            [
                serde_json::json!({"table_name": "assets", "t": t, "row_count": 8}),
                serde_json::json!({"table_name": "people", "t": t, "row_count": 5}),
            ]
        })
        .collect();
    assert_eq!(marked, expected);
}
