//! What the question benchmarks share: the measuring children.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use evlake_query::{BoundQuestion, QuerySession, Rubric};
use evlake_store::Lake;

use crate::support::{peak_rss_mib, result_of};

/// The last day of the generated history, and the instant the questions are asked as of.
const END: &str = "2026-11-20";

/// The last day of the generated history.
pub fn end() -> NaiveDate {
    END.parse().unwrap()
}

/// The end of [`end`]: what the questions are asked as of.
pub fn as_of() -> DateTime<Utc> {
    evlake_core::time::parse_instant(END).unwrap()
}

/// Runs this benchmark binary again with `args` (a measuring child) and returns its result.
pub fn child(args: &[&str]) -> serde_json::Value {
    result_of(
        &Command::new(std::env::current_exe().unwrap())
            .args(args)
            .output()
            .unwrap(),
    )
}

/// The measuring child of a question: asks `question` over `lake` as of `as_of` six times,
/// each in a new session, and prints the median latency of the last five, the evidence rows
/// and the peak RSS.
pub fn ask(lake: &str, question: &str, as_of: DateTime<Utc>) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let lake = Lake::open(lake).unwrap();
        let mut latencies = Vec::new();
        let mut rows = 0;
        for i in 0..6 {
            let began = Instant::now();
            let session = QuerySession::builder(lake.clone()).build().await.unwrap();
            let answer = session.ask(question, Some(as_of), None).await.unwrap();
            if i > 0 {
                latencies.push(began.elapsed().as_secs_f64() * 1000.0);
            }
            rows = answer.evidence.len();
        }
        latencies.sort_by(f64::total_cmp);
        println!(
            "RESULT {}",
            serde_json::json!({"median_ms": latencies[latencies.len() / 2], "evidence_rows": rows,
                "peak_rss_mib": peak_rss_mib()})
        );
    });
}

/// A question's SQL for DuckDB, as of [`as_of`] and known now (after the bench's ingest): the
/// bound question's evidence and metrics statements with every parameter a literal, exactly
/// as its answer's `sql` records them.
fn duckdb_script(question: &str) -> serde_json::Value {
    let bound = BoundQuestion::new(Rubric::builtin(), question, as_of(), Utc::now()).unwrap();
    serde_json::json!({
        "evidence": bound.literal(bound.evidence()),
        "metrics": bound.literal(bound.metrics()),
    })
}

/// DuckDB asking a question: the lake's `tables` as views over their Parquet files, then six
/// times the question's evidence and metrics; the median of the last five.
const DUCKDB_ASK: &str = r#"
import duckdb, json, resource, sys, time
lake, script = sys.argv[1], json.loads(sys.argv[2])
con = duckdb.connect()
for table in script["tables"]:
    con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{lake}/{table}/*/*.parquet', hive_partitioning=true, union_by_name=true)")
latencies, rows = [], 0
for i in range(6):
    t = time.perf_counter()
    # Every value of every row is fetched, as text (fetching timestamps needs pytz).
    rows = len(con.execute(f"SELECT CAST(COLUMNS(*) AS VARCHAR) FROM ({script['evidence']})").fetchall())
    con.execute(script["metrics"]).fetchall()
    if i > 0:
        latencies.append((time.perf_counter() - t) * 1000)
latencies.sort()
print("RESULT " + json.dumps({"median_ms": latencies[len(latencies) // 2], "evidence_rows": rows,
      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"#;

/// Prints the latency table of `question` over each `(label, lake)`: evlake in a measuring
/// child (this binary with `--ask LAKE`) beside DuckDB running the same statements over the
/// lake's Parquet files, with `tables` registered.
pub fn latency_table(question: &str, tables: &[&str], lakes: &[(&str, &Path)]) {
    let mut script = duckdb_script(question);
    script["tables"] = serde_json::json!(tables);
    let script = script.to_string();
    println!(
        "\n| {question} over | evlake median ms | evidence rows | RSS MiB | DuckDB median ms | DuckDB rows | DuckDB RSS MiB |\n|---|---|---|---|---|---|---|"
    );
    for (label, lake) in lakes {
        let lake = lake.to_str().unwrap();
        let ask = child(&["--ask", lake]);
        let duck = result_of(
            &Command::new(crate::support::python())
                .args(["-c", DUCKDB_ASK, lake, &script])
                .output()
                .unwrap(),
        );
        println!(
            "| {label} | {:.0} | {} | {:.0} | {:.0} | {} | {:.0} |",
            ask["median_ms"].as_f64().unwrap(),
            ask["evidence_rows"],
            ask["peak_rss_mib"].as_f64().unwrap(),
            duck["median_ms"].as_f64().unwrap(),
            duck["evidence_rows"],
            duck["peak_rss_mib"].as_f64().unwrap()
        );
    }
}
