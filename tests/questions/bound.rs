//! Answers an auditor can re-run anywhere: concurrent asks on one shared session, known-at
//! as an `ingested_at` filter that survives a copy of the lake, and an answer's `sql` giving
//! the same rows and metrics in DataFusion and in DuckDB.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use evlake_core::FixedClock;
use evlake_query::{Answer, QuerySession, Verdict, batches_to_rows};
use evlake_store::Lake;
use serde_json::{Map, Value};

use super::{end_of, ingest, organisation};

/// A lake of seed 7 (`services` services, `days` days to 2026-11-20) with every source, ingested by a
/// clock stopped at 2026-11-21.
async fn lake_of_every_source(dir: &Path, services: u32, days: u32) -> Lake {
    organisation(dir, 7, services, days);
    let clock = Arc::new(FixedClock::new(end_of("2026-11-21")));
    let lake = Lake::open(&dir.join("lake").display().to_string())
        .unwrap()
        .with_clock(clock);
    ingest(&lake, dir, |_, _| true).await;
    lake
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_asks_on_one_shared_session_equal_fresh_sequential_runs() {
    let dir = tempfile::tempdir().unwrap();
    let lake = lake_of_every_source(dir.path(), 6, 30).await;
    let asks: Vec<(&str, DateTime<Utc>)> = (0..20)
        .map(|i| {
            let question = if i % 2 == 0 { "q1" } else { "q2" };
            (question, end_of("2026-11-20") - Duration::hours(19 * i))
        })
        .collect();
    // Forty queries at once on two cores (and a debug build): each may wait its turn longer
    // than the default per-query limit.
    let shared = Arc::new(
        QuerySession::builder(lake.clone())
            .with_timeout(std::time::Duration::from_secs(900))
            .build()
            .await
            .unwrap(),
    );
    let tasks: Vec<_> = asks
        .iter()
        .map(|&(question, as_of)| {
            let session = shared.clone();
            tokio::spawn(async move { session.ask(question, Some(as_of), None).await })
        })
        .collect();
    let mut concurrent = Vec::new();
    for task in tasks {
        concurrent.push(task.await.unwrap().unwrap());
    }
    let mut evidenced = 0;
    let fresh = QuerySession::builder(lake.clone()).build().await.unwrap();
    for (&(question, as_of), answer) in asks.iter().zip(&concurrent) {
        let alone = fresh.ask(question, Some(as_of), None).await.unwrap();
        assert_eq!(answer.as_of, as_of);
        assert_eq!(
            answer.to_json(),
            alone.to_json(),
            "{question} as of {as_of}"
        );
        evidenced += usize::from(!answer.evidence.is_empty());
    }
    assert_eq!(evidenced, 20, "every answer has evidence rows to compare");
}

/// Copies a directory tree as `cp -r` would: every file gets a new modification time.
fn copy_tree(from: &Path, to: &Path) {
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn known_at_is_an_ingested_at_filter_and_survives_a_copy_of_the_lake() {
    let dir = tempfile::tempdir().unwrap();
    organisation(dir.path(), 5, 12, 45);
    // Three ingests at known instants: the q1 sources on 11-10 (days up to 11-09), then on
    // 11-15 (up to 11-14), then the rest on 11-21.
    let clock = Arc::new(FixedClock::new(end_of("2026-11-10")));
    let lake_dir = dir.path().join("lake");
    let lake = Lake::open(&lake_dir.display().to_string())
        .unwrap()
        .with_clock(clock.clone());
    // Which of the three ingests reads an input: by the day in its path (undated inputs, the
    // exceptions register, in the first).
    let step = |p: &Path| {
        let day = p
            .to_string_lossy()
            .split('/')
            .filter_map(|part| part.get(..10))
            .find(|d| d.starts_with("2026-"))
            .map(str::to_string);
        match day.as_deref() {
            Some(d) if d > "2026-11-14" => 2,
            Some(d) if d > "2026-11-09" => 1,
            _ => 0,
        }
    };
    for (k, then) in ["2026-11-10", "2026-11-15", "2026-11-21"]
        .iter()
        .enumerate()
    {
        clock.set(end_of(then));
        ingest(&lake, dir.path(), |name, p| {
            !super::runtime_source(name) && step(p) == k
        })
        .await;
    }
    let session = QuerySession::builder(lake).build().await.unwrap();
    let as_of = end_of("2026-11-20");
    let at = |k: &str| {
        let session = &session;
        let k = end_of(k);
        async move { session.ask("q1", Some(as_of), Some(k)).await.unwrap() }
    };
    let (first, second, third) = (
        at("2026-11-12").await,
        at("2026-11-17").await,
        at("2026-11-30").await,
    );
    // Known on 11-12, the lake held no CI record of the window (11-13 – 11-20).
    assert_eq!(first.verdict, Verdict::NoData);
    assert_eq!(first.metrics["ci_records"], 0);
    let ci = |a: &Answer| a.metrics["ci_records"].as_i64().unwrap();
    assert!(ci(&second) > 0 && ci(&second) < ci(&third), "{second:?}");
    for row in &second.evidence {
        assert!(row["ingested_at"].as_str().unwrap() <= "2026-11-15T23:59:59.999999Z");
    }

    // A copy of the lake (new modification times everywhere) answers byte for byte the same.
    let copy = dir.path().join("copy");
    copy_tree(&lake_dir, &copy);
    let copied = QuerySession::builder(Lake::open(&copy.display().to_string()).unwrap())
        .build()
        .await
        .unwrap();
    for (k, answer) in [
        ("2026-11-12", &first),
        ("2026-11-17", &second),
        ("2026-11-30", &third),
    ] {
        let again = copied
            .ask("q1", Some(as_of), Some(end_of(k)))
            .await
            .unwrap();
        assert_eq!(again.to_json(), answer.to_json(), "known at {k}");
    }
}

/// The statements of an answer's `sql`: evidence, metrics, and the metrics of each earlier
/// period a rung held over periods asked (one per period asked: as many as held, at most all
/// but the current one).
pub(crate) fn statements(answer: &Answer) -> Vec<String> {
    let parts: Vec<String> = answer
        .sql
        .split("\n;\n")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let most = evlake_query::Rubric::builtin()
        .question(&answer.question)
        .unwrap()
        .held_rung()
        .map_or(0, |(_, held)| held.periods as u64 - 1);
    let earlier = answer
        .metrics
        .get("periods_held")
        .map_or(0, |n| n.as_u64().unwrap().min(most) as usize);
    assert_eq!(parts.len(), 2 + earlier, "{}", answer.sql);
    parts
}

/// The rows of `sql` in DuckDB over the lake's Parquet files, each as JSON.
pub(crate) fn duckdb_rows(lake: &Path, sql: &str) -> Vec<Map<String, Value>> {
    const SCRIPT: &str = r#"
import duckdb, glob, json, os, sys
lake, sql = sys.argv[1], sys.stdin.read()
con = duckdb.connect()
for table in sorted(os.listdir(lake)):
    if glob.glob(f"{lake}/{table}/*=*/*.parquet"):
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{lake}/{table}/*=*/*.parquet', hive_partitioning=true, union_by_name=true)")
for (row,) in con.execute(f"SELECT CAST(to_json(q) AS VARCHAR) FROM ({sql}\n) q").fetchall():
    print(row)
"#;
    let out = crate::duckdb::run(SCRIPT, &[lake.to_str().unwrap()], sql.as_bytes());
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Whether a value from DuckDB equals evlake's: instants as instants, numbers as numbers.
fn same(evlake: &Value, duck: &Value) -> bool {
    let instant = |v: &Value| {
        let text = v.as_str()?;
        DateTime::parse_from_rfc3339(text)
            .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%#z"))
            .ok()
    };
    match (evlake, duck) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            (a - b).abs() <= 1e-9 * a.abs().max(1.0)
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Value::String(_), Value::String(_)) if instant(evlake).is_some() => {
            instant(evlake) == instant(duck)
        }
        _ => evlake == duck,
    }
}

pub(crate) fn assert_same_rows(
    what: &str,
    evlake: &[Map<String, Value>],
    duck: &[Map<String, Value>],
) {
    assert_eq!(evlake.len(), duck.len(), "{what}: row count");
    for (i, (e, d)) in evlake.iter().zip(duck).enumerate() {
        let columns = |row: &Map<String, Value>| {
            let mut names: Vec<String> = row.keys().cloned().collect();
            names.sort();
            names
        };
        assert_eq!(columns(e), columns(d), "{what} row {i}: columns");
        for (column, value) in e {
            assert!(
                same(value, &d[column]),
                "{what} row {i} {column}: evlake {value}, DuckDB {}",
                d[column]
            );
        }
    }
}

#[tokio::test]
async fn an_answers_sql_gives_the_same_rows_and_metrics_in_datafusion_and_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    // Eight services and sixty days: q3's inventory at T - 30 d lies inside the history, with
    // every planted inventory finding.
    let lake = lake_of_every_source(dir.path(), 8, 60).await;
    // The self-contained statements compute each view at every mention (an answer computes a
    // view read twice once): q4's metrics read the permission views five times, longer than
    // the default minute in a debug build.
    let session = QuerySession::builder(lake)
        .with_timeout(std::time::Duration::from_secs(900))
        .build()
        .await
        .unwrap();
    for question in ["q1", "q2", "q3", "q4", "q5"] {
        let answer = session
            .ask(question, Some(end_of("2026-11-20")), None)
            .await
            .unwrap();
        assert!(!answer.evidence.is_empty(), "{question} has evidence");
        let parts = statements(&answer);
        let (evidence, metrics, earlier) = (&parts[0], &parts[1], &parts[2..]);
        // The literal text, run as user SQL by DataFusion, gives the answer exactly.
        let rows = |sql: &str| {
            let session = &session;
            let sql = sql.to_string();
            async move { batches_to_rows(&session.user_query(&sql).await.unwrap()).unwrap() }
        };
        assert_eq!(rows(evidence).await, answer.evidence, "{question}");
        // `periods_held` is counted from the earlier periods' statements, not a column.
        let metric_row: Map<String, Value> = answer
            .metrics
            .clone()
            .into_iter()
            .filter(|(name, _)| name != "periods_held")
            .collect();
        assert_eq!(rows(metrics).await, vec![metric_row.clone()], "{question}");
        // DuckDB, over the lake's Parquet files, gives the same rows and metrics.
        let lake_dir = dir.path().join("lake");
        assert_same_rows(
            question,
            &answer.evidence,
            &duckdb_rows(&lake_dir, evidence),
        );
        assert_same_rows(
            &format!("{question} metrics"),
            &[metric_row],
            &duckdb_rows(&lake_dir, metrics),
        );
        for (k, sql) in earlier.iter().enumerate() {
            assert_same_rows(
                &format!("{question} metrics {} periods earlier", k + 1),
                &rows(sql).await,
                &duckdb_rows(&lake_dir, sql),
            );
        }
    }
    // The scorecard's statements (the teams' evidence entries, the model and their states)
    // give the same rows.
    let card = session
        .scorecard(Some(end_of("2026-11-20")), None, None)
        .await
        .unwrap();
    assert!(!card.teams.is_empty());
    let lake_dir = dir.path().join("lake");
    let statements: Vec<&str> = card.sql.split(";\n\n").collect();
    assert_eq!(statements.len(), 3, "{}", card.sql);
    for sql in statements {
        let ours = batches_to_rows(&session.user_query(sql).await.unwrap()).unwrap();
        assert!(!ours.is_empty(), "{sql}");
        assert_same_rows("scorecard", &ours, &duckdb_rows(&lake_dir, sql));
    }
}
