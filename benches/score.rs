//! The scorecard at scale, beside DuckDB in the same run: a generated organisation
//! (`EVLAKE_BENCH_SERVICES`, default 1,000 services; `EVLAKE_BENCH_DAYS`, default a year)
//! with every source, the DSOMM app's files among them, ingested by a child process; then
//! `evlake score` as of the last day — the five answers and the scorecard made from them, on
//! one shared session — with the share of the time each question takes, and a series of 12
//! monthly dates. DuckDB runs the same statements (each answer's evidence and metrics, the
//! scorecard's model and states) over the lake's Parquet files.
//!
//! Run: `cargo bench --bench score`. Results and their reading: `docs/benchmarks.md`.

// The question benchmarks' measuring children: this one uses the DuckDB table declarations.
#[allow(dead_code)]
#[path = "support/question.rs"]
mod question;
mod support;
// The generated files under a path (the window of days is not needed: every day is read).
#[allow(dead_code)]
#[path = "support/window.rs"]
mod window;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use evlake_core::FixedClock;
use evlake_ingest::{IngestConfig, IngestRun};
use evlake_query::{QuerySession, Rubric};
use evlake_store::Lake;
use evlake_synth::{GenerateOptions, generate, ingest_config};
use question::{as_of, end};
use serde_json::{Value, json};

/// The child: every source of the generated organisation at `org` into `lake`, the
/// exceptions register recorded when the generator says it was (as the tests ingest it).
fn ingest(lake: &str, org: &Path) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let lake = Lake::open(lake).unwrap();
        let began = Instant::now();
        let config = IngestConfig::load(&ingest_config(org)).unwrap();
        let truth: Value =
            serde_json::from_slice(&std::fs::read(org.join("truth.json")).unwrap()).unwrap();
        let recorded: DateTime<Utc> =
            serde_json::from_value(truth["register_recorded_at"].clone()).unwrap();
        let (mut records, mut bytes) = (0u64, 0u64);
        for (name, source) in config.sources {
            let lake = if source.kind == "exceptions" {
                lake.clone().with_clock(Arc::new(FixedClock::new(recorded)))
            } else {
                lake.clone()
            };
            let paths: Vec<_> = source.paths.iter().flat_map(|p| window::files(p)).collect();
            let summary = IngestRun::new(lake, &source.kind, &name, &source.settings)
                .unwrap()
                .ingest_paths(&paths)
                .await
                .unwrap();
            assert_eq!(summary.quarantined, 0, "{name}");
            records += summary.records;
            bytes += summary.bytes;
        }
        println!(
            "RESULT {}",
            json!({"seconds": began.elapsed().as_secs_f64(), "records": records, "bytes": bytes,
                "cpu_seconds": support::cpu_seconds(), "peak_rss_mib": support::peak_rss_mib()})
        );
    });
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// The child: the scorecard as of the last day, four times on one session after a warm-up
/// (each question's time and the scorecard's own), then the 12-date series; prints the
/// medians, the statements DuckDB is to run and the peak RSS.
fn score(lake: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let lake = Lake::open(lake).unwrap();
        let session = QuerySession::builder(lake).build().await.unwrap();
        let questions: Vec<&str> = Rubric::builtin().questions().map(|(q, _)| q).collect();
        let mut per_question: Vec<Vec<f64>> = vec![Vec::new(); questions.len()];
        let (mut card_ms, mut total_ms) = (Vec::new(), Vec::new());
        let mut statements = Vec::new();
        let mut teams = 0;
        for round in 0..5 {
            let began = Instant::now();
            let mut answers = Vec::new();
            for (i, q) in questions.iter().enumerate() {
                let t = Instant::now();
                answers.push(session.ask(q, Some(as_of()), None).await.unwrap());
                if round > 0 {
                    per_question[i].push(ms(t.elapsed()));
                }
            }
            let t = Instant::now();
            let card = session.scorecard_of(answers.clone(), None).await.unwrap();
            if round > 0 {
                card_ms.push(ms(t.elapsed()));
                total_ms.push(ms(began.elapsed()));
            }
            teams = card.teams.len();
            statements = answers
                .iter()
                .flat_map(|a| a.sql.split("\n;\n").map(str::to_string).collect::<Vec<_>>())
                .chain(card.sql.split(";\n\n").map(str::to_string))
                .filter(|s| !s.trim().is_empty())
                .collect();
        }
        let dates: Vec<_> = (0..12)
            .rev()
            .map(|k| as_of() - Duration::days(30 * k))
            .collect();
        let began = Instant::now();
        let series = session.scorecard_series(&dates, None, None).await.unwrap();
        let series_ms = ms(began.elapsed());
        let per_question: Vec<Value> = questions
            .iter()
            .zip(per_question)
            .map(|(q, t)| json!({"question": q, "ms": median(t)}))
            .collect();
        println!(
            "RESULT {}",
            json!({"total_ms": median(total_ms), "scorecard_ms": median(card_ms),
                "questions": per_question, "series_ms": series_ms,
                "series_points": series.points.len(), "teams": teams,
                "statements": statements, "peak_rss_mib": support::peak_rss_mib()})
        );
    });
}

/// DuckDB running the scorecard's statements: every lake table as a view over its Parquet
/// files (one never written as an empty table), then the statements in order, five times
/// after a warm-up; the median.
const DUCKDB_SCORE: &str = r#"
import duckdb, glob, json, resource, sys, time
lake, script = sys.argv[1], json.loads(sys.stdin.read())
con = duckdb.connect()
for table, columns in script["tables"].items():
    if glob.glob(f"{lake}/{table}/*=*/*.parquet"):
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{lake}/{table}/*=*/*.parquet', hive_partitioning=true, union_by_name=true)")
    else:
        con.execute(f"CREATE TABLE {table} ({columns})")
latencies = []
for i in range(6):
    t = time.perf_counter()
    for sql in script["statements"]:
        con.execute(f"SELECT CAST(COLUMNS(*) AS VARCHAR) FROM ({sql}\n) q").fetchall()
    latencies.append((time.perf_counter() - t) * 1000)
later = sorted(latencies[1:])
print("RESULT " + json.dumps({"first_ms": latencies[0], "median_ms": later[len(later) // 2],
      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"#;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--ingest") {
        ingest(&args[pos + 1], Path::new(&args[pos + 2]));
        return;
    }
    if let Some(pos) = args.iter().position(|a| a == "--score") {
        score(&args[pos + 1]);
        return;
    }
    let var = |name: &str, default: u32| -> u32 {
        std::env::var(name)
            .map(|v| v.parse().unwrap_or_else(|_| panic!("{name}: a number")))
            .unwrap_or(default)
    };
    let (services, days) = (
        var("EVLAKE_BENCH_SERVICES", 1000),
        var("EVLAKE_BENCH_DAYS", 365),
    );
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org");
    let began = Instant::now();
    generate(&GenerateOptions {
        out: org.clone(),
        services,
        days,
        end: end(),
        seed: 1,
        maturity: Default::default(),
    })
    .unwrap();
    eprintln!(
        "generated {services} services, {days} days in {:.0}s",
        began.elapsed().as_secs_f64()
    );
    let lake = dir.path().join("lake");
    let ingested = question::child(&["--ingest", lake.to_str().unwrap(), org.to_str().unwrap()]);
    eprintln!("ingested: {ingested}");
    let ours = question::child(&["--score", lake.to_str().unwrap()]);
    let script = json!({"tables": question::duckdb_tables(), "statements": ours["statements"]});
    let mut child = Command::new(support::python())
        .args(["-c", DUCKDB_SCORE, lake.to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.to_string().as_bytes())
            .unwrap();
    }
    let duck = support::result_of(&child.wait_with_output().unwrap());
    let f = |v: &Value| v.as_f64().unwrap();
    println!(
        "\n| score over | records | teams | evlake scorecard ms (5 answers + scorecard) | of it the scorecard's own ms | RSS MiB | DuckDB first / median ms | DuckDB RSS MiB | evlake ÷ DuckDB median | 12-date series s |\n|---|---|---|---|---|---|---|---|---|---|"
    );
    println!(
        "| {services} services, {days} days | {} | {} | {:.0} | {:.0} | {:.0} | {:.0} / {:.0} | {:.0} | {:.2} | {:.1} |",
        ingested["records"],
        ours["teams"],
        f(&ours["total_ms"]),
        f(&ours["scorecard_ms"]),
        f(&ours["peak_rss_mib"]),
        f(&duck["first_ms"]),
        f(&duck["median_ms"]),
        f(&duck["peak_rss_mib"]),
        f(&ours["total_ms"]) / f(&duck["median_ms"]),
        f(&ours["series_ms"]) / 1000.0,
    );
    let total = f(&ours["total_ms"]);
    println!("\n| question | ms | share of the scorecard's time |\n|---|---|---|");
    for q in ours["questions"].as_array().unwrap() {
        println!(
            "| {} | {:.0} | {:.0} % |",
            q["question"].as_str().unwrap(),
            f(&q["ms"]),
            f(&q["ms"]) * 100.0 / total
        );
    }
    println!(
        "| the scorecard's own SQL and derivation | {:.0} | {:.0} % |",
        f(&ours["scorecard_ms"]),
        f(&ours["scorecard_ms"]) * 100.0 / total
    );
}
