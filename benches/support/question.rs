//! What the question benchmarks share: the measuring children.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use evlake_query::{EVIDENCE_MARGIN_DAYS, QuerySession, Rubric, catalog};
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
            let answer = session.ask(question, Some(as_of)).await.unwrap();
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

/// A question's SQL for DuckDB, as of [`as_of`]: the `views` it reads (the others may read
/// tables the DuckDB script does not register) and its evidence and metrics queries, with
/// every parameter — instants and the rubric's `parameters` — as a literal.
fn duckdb_script(question: &str, views: &[&str]) -> String {
    let spec = Rubric::builtin().question(question).unwrap();
    let literal =
        |t: DateTime<Utc>| format!("TIMESTAMPTZ '{}'", t.format("%Y-%m-%d %H:%M:%S%.6f+00"));
    let lookback = i64::from(spec.lookback_days);
    let substitute = |sql: &str| {
        let mut sql = sql
            .replace("$as_of", &literal(as_of()))
            .replace(
                "$window_start",
                &literal(as_of() - Duration::days(spec.window_days.into())),
            )
            .replace(
                "$lookback_start",
                &literal(as_of() - Duration::days(lookback)),
            )
            .replace(
                "$evidence_start",
                &literal(as_of() - Duration::days(lookback + EVIDENCE_MARGIN_DAYS)),
            );
        for (name, value) in &spec.parameters {
            sql = sql.replace(&format!("${name}"), &value.to_string());
        }
        sql
    };
    let views: Vec<String> = catalog::VIEWS
        .iter()
        .filter(|v| views.contains(&v.stem()))
        .map(|v| {
            format!(
                "CREATE OR REPLACE VIEW {} AS {}",
                v.stem(),
                substitute(v.text.trim().trim_end_matches(';'))
            )
        })
        .collect();
    let file = |p: &str| substitute(catalog::question_file(p).unwrap().text);
    serde_json::json!({
        "views": views,
        "evidence": file(&spec.sql),
        "metrics": file(&spec.metrics_sql),
    })
    .to_string()
}

/// DuckDB asking a question: the lake's `tables` as views over their Parquet files, then six
/// times the question's views, evidence and metrics; the median of the last five.
const DUCKDB_ASK: &str = r#"
import duckdb, json, resource, sys, time
lake, script = sys.argv[1], json.loads(sys.argv[2])
con = duckdb.connect()
for table in script["tables"]:
    con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{lake}/{table}/*/*.parquet', hive_partitioning=true, union_by_name=true)")
latencies, rows = [], 0
for i in range(6):
    t = time.perf_counter()
    for view in script["views"]:
        con.execute(view)
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
/// child (this binary with `--ask LAKE`) beside DuckDB running the same SQL files over the
/// lake's Parquet files, with `tables` registered and the question's `views` created.
pub fn latency_table(question: &str, tables: &[&str], views: &[&str], lakes: &[(&str, &Path)]) {
    let mut script: serde_json::Value =
        serde_json::from_str(&duckdb_script(question, views)).unwrap();
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
