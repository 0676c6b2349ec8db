//! What the question benchmarks share: the measuring children.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

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

/// The median of `samples` after the first (the warm-up).
fn median(mut samples: Vec<f64>) -> f64 {
    samples.remove(0);
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The measuring child of a question over `lake` as of `as_of`; prints:
/// - `oneshot_ms`: the `evlake ask` command, process start to exit (median of three);
/// - `open_ms`: opening a session (median of five after a warm-up);
/// - `first_ms`: the first ask on a session just opened (median of five such sessions after
///   a warm-up);
/// - `later_ms`: the median of five later asks on one shared session (what `serve` does);
/// - per statement of those later asks (the staged views, evidence, metrics): planning and
///   execution medians.
///
/// Also the evidence rows and the peak RSS.
pub fn ask(lake: &str, question: &str, as_of: DateTime<Utc>) {
    let mut oneshot = Vec::new();
    for _ in 0..4 {
        let began = Instant::now();
        let status = Command::new(env!("CARGO_BIN_EXE_evlake"))
            .args(["--lake", lake, "ask", question, "--format", "json"])
            .args(["--as-of", &as_of.to_rfc3339()])
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "evlake ask {question}: {status}");
        oneshot.push(ms(began.elapsed()));
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let lake = Lake::open(lake).unwrap();
        let (mut first, mut open) = (Vec::new(), Vec::new());
        let mut rows = 0;
        for _ in 0..6 {
            let began = Instant::now();
            let session = QuerySession::builder(lake.clone()).build().await.unwrap();
            open.push(ms(began.elapsed()));
            let began = Instant::now();
            let answer = session.ask(question, Some(as_of), None).await.unwrap();
            first.push(ms(began.elapsed()));
            rows = answer.evidence.len();
        }
        let session = QuerySession::builder(lake.clone()).build().await.unwrap();
        let bound = session.bind(question, Some(as_of), None).unwrap();
        let mut later = Vec::new();
        let mut statements: Vec<(String, Vec<f64>, Vec<f64>)> = Vec::new();
        for _ in 0..6 {
            let began = Instant::now();
            let (_, timings) = session.timed_answer(&bound).await.unwrap();
            later.push(ms(began.elapsed()));
            let parts = timings
                .staging
                .iter()
                .map(|(n, t)| (format!("staged {n}"), *t));
            let parts = parts.chain([
                ("evidence".to_string(), timings.evidence),
                ("metrics".to_string(), timings.metrics),
            ]);
            for (i, (name, t)) in parts.enumerate() {
                if statements.len() == i {
                    statements.push((name, Vec::new(), Vec::new()));
                }
                statements[i].1.push(ms(t.planning));
                statements[i].2.push(ms(t.execution));
            }
        }
        let statements: Vec<serde_json::Value> = statements
            .into_iter()
            .map(|(name, planning, execution)| {
                serde_json::json!({"statement": name, "planning_ms": median(planning),
                    "execution_ms": median(execution)})
            })
            .collect();
        println!(
            "RESULT {}",
            serde_json::json!({"oneshot_ms": median(oneshot), "open_ms": median(open),
                "first_ms": median(first), "later_ms": median(later), "statements": statements,
                "evidence_rows": rows, "peak_rss_mib": peak_rss_mib()})
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

/// DuckDB asking a question: every lake table as a view over its Parquet files (one the lake
/// never wrote as an empty table, as evlake registers it), then six times the question's
/// evidence and metrics; the first time and the median of the last five.
const DUCKDB_ASK: &str = r#"
import duckdb, glob, json, resource, sys, time
lake, script = sys.argv[1], json.loads(sys.argv[2])
con = duckdb.connect()
for table, columns in script["tables"].items():
    if glob.glob(f"{lake}/{table}/*=*/*.parquet"):
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{lake}/{table}/*=*/*.parquet', hive_partitioning=true, union_by_name=true)")
    else:
        con.execute(f"CREATE TABLE {table} ({columns})")
latencies, rows = [], 0
for i in range(6):
    t = time.perf_counter()
    # Every value of every row is fetched, as text (fetching timestamps needs pytz).
    rows = len(con.execute(f"SELECT CAST(COLUMNS(*) AS VARCHAR) FROM ({script['evidence']})").fetchall())
    con.execute(f"SELECT CAST(COLUMNS(*) AS VARCHAR) FROM ({script['metrics']})").fetchall()
    latencies.append((time.perf_counter() - t) * 1000)
first, later = latencies[0], sorted(latencies[1:])
print("RESULT " + json.dumps({"first_ms": first, "median_ms": later[len(later) // 2], "evidence_rows": rows,
      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"#;

/// Every lake table's columns as DuckDB declares them.
pub fn duckdb_tables() -> serde_json::Value {
    use datafusion::arrow::datatypes::DataType;
    evlake_core::tables::all()
        .iter()
        .map(|spec| {
            let columns = spec
                .schema()
                .fields()
                .iter()
                .map(|f| {
                    let kind = match f.data_type() {
                        DataType::Boolean => "BOOLEAN",
                        DataType::Int32 | DataType::Int64 => "BIGINT",
                        DataType::Float64 => "DOUBLE",
                        DataType::Date32 => "DATE",
                        DataType::Timestamp(_, _) => "TIMESTAMPTZ",
                        DataType::Binary | DataType::LargeBinary => "BLOB",
                        _ => "VARCHAR",
                    };
                    format!("\"{}\" {kind}", f.name())
                })
                .collect::<Vec<_>>()
                .join(", ");
            (spec.name.to_string(), serde_json::Value::String(columns))
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// Prints the latency table of `question` over each `(label, lake)`: evlake in a measuring
/// child (this binary with `--ask LAKE`) beside DuckDB running the same statements over the
/// lake's Parquet files, and the ratios (evlake ÷ DuckDB: below 1.0 evlake is faster).
pub fn latency_table(question: &str, lakes: &[(&str, &Path)]) {
    let mut script = duckdb_script(question);
    script["tables"] = duckdb_tables();
    let script = script.to_string();
    println!(
        "\n| {question} over | evlake one-shot CLI ms | open ms | first ask ms | later asks median ms | evidence rows | RSS MiB | DuckDB first ms | DuckDB median ms | DuckDB rows | DuckDB RSS MiB | first ÷ DuckDB first | later ÷ DuckDB median |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    let mut plans = Vec::new();
    for (label, lake) in lakes {
        let lake = lake.to_str().unwrap();
        let ask = child(&["--ask", lake]);
        let duck = result_of(
            &Command::new(crate::support::python())
                .args(["-c", DUCKDB_ASK, lake, &script])
                .output()
                .unwrap(),
        );
        let f = |v: &serde_json::Value| v.as_f64().unwrap();
        println!(
            "| {label} | {:.0} | {:.0} | {:.0} | {:.0} | {} | {:.0} | {:.0} | {:.0} | {} | {:.0} | {:.2} | {:.2} |",
            f(&ask["oneshot_ms"]),
            f(&ask["open_ms"]),
            f(&ask["first_ms"]),
            f(&ask["later_ms"]),
            ask["evidence_rows"],
            f(&ask["peak_rss_mib"]),
            f(&duck["first_ms"]),
            f(&duck["median_ms"]),
            duck["evidence_rows"],
            f(&duck["peak_rss_mib"]),
            f(&ask["first_ms"]) / f(&duck["first_ms"]),
            f(&ask["later_ms"]) / f(&duck["median_ms"]),
        );
        for s in ask["statements"].as_array().unwrap() {
            plans.push(format!(
                "| {label} | {} | {:.0} | {:.0} |",
                s["statement"].as_str().unwrap(),
                f(&s["planning_ms"]),
                f(&s["execution_ms"]),
            ));
        }
    }
    println!(
        "\n| {question} over | statement (later asks) | planning ms | execution ms |\n|---|---|---|---|\n{}",
        plans.join("\n")
    );
}
