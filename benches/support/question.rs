//! What the question benchmarks share: the measuring children.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use datafusion::prelude::SessionContext;
use evlake_query::{BoundQuery, BoundQuestion, QuerySession, Rubric, catalog};
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

/// Planning `query` of `bound` the other way a question's views could be bound per request:
/// a new context over the shared session's tables, the views created in it with their
/// parameters as literals, then the bare query planned there. Milliseconds, registration
/// included.
async fn plan_in_own_context(
    session: &QuerySession,
    bound: &BoundQuestion,
    query: &BoundQuery,
) -> f64 {
    let shared = SessionContext::new_with_state(session.state());
    let began = Instant::now();
    let ctx = SessionContext::new_with_config_rt(shared.copied_config(), shared.runtime_env());
    for spec in evlake_core::tables::all() {
        ctx.register_table(spec.name, shared.table_provider(spec.name).await.unwrap())
            .unwrap();
    }
    let literal = |text: &str| {
        bound.literal(&BoundQuery {
            path: query.path,
            views: vec![],
            text: text.trim().trim_end_matches(';').to_string(),
        })
    };
    for name in &query.views {
        let view = catalog::VIEWS.iter().find(|v| v.stem() == *name).unwrap();
        ctx.sql(&format!("CREATE VIEW \"{name}\" AS {}", literal(view.text)))
            .await
            .unwrap();
    }
    let file = catalog::question_file(query.path).unwrap();
    ctx.sql(&literal(file.text))
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    ms(began.elapsed())
}

/// The measuring child of a question over `lake` as of `as_of`; prints, each a median of five
/// after a warm-up:
/// - `fresh_ms`: open a session and ask (what one `evlake ask` does);
/// - `open_ms`: opening the session alone;
/// - `shared_ms`: an ask on one shared, already open session;
/// - per query (evidence, metrics) on the shared session: planning and execution, and the
///   planning of the same query in a per-request context with the views registered in it.
///
/// Also the evidence rows and the peak RSS.
pub fn ask(lake: &str, question: &str, as_of: DateTime<Utc>) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let lake = Lake::open(lake).unwrap();
        let (mut fresh, mut open) = (Vec::new(), Vec::new());
        let mut rows = 0;
        for _ in 0..6 {
            let began = Instant::now();
            let session = QuerySession::builder(lake.clone()).build().await.unwrap();
            open.push(ms(began.elapsed()));
            let answer = session.ask(question, Some(as_of), None).await.unwrap();
            fresh.push(ms(began.elapsed()));
            rows = answer.evidence.len();
        }
        let session = QuerySession::builder(lake.clone()).build().await.unwrap();
        let bound = session.bind(question, Some(as_of), None).unwrap();
        let params = bound.param_values();
        let mut shared = Vec::new();
        let mut timings = serde_json::Map::new();
        for (name, query) in [("evidence", bound.evidence()), ("metrics", bound.metrics())] {
            let (mut planning, mut execution, mut own) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..6 {
                let (_, t) = session.timed_query(&query.text, &params).await.unwrap();
                planning.push(ms(t.planning));
                execution.push(ms(t.execution));
                own.push(plan_in_own_context(&session, &bound, query).await);
            }
            timings.insert(
                name.into(),
                serde_json::json!({"planning_ms": median(planning), "execution_ms": median(execution),
                    "own_context_planning_ms": median(own)}),
            );
        }
        for _ in 0..6 {
            let began = Instant::now();
            session.answer(&bound).await.unwrap();
            shared.push(ms(began.elapsed()));
        }
        println!(
            "RESULT {}",
            serde_json::json!({"fresh_ms": median(fresh), "open_ms": median(open),
                "shared_ms": median(shared), "queries": timings, "evidence_rows": rows,
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

/// DuckDB asking a question: every lake table as a view over its Parquet files (one the lake
/// never wrote as an empty table, as evlake registers it), then six times the question's
/// evidence and metrics; the median of the last five.
const DUCKDB_ASK: &str = r#"
import duckdb, glob, json, resource, sys, time
lake, script = sys.argv[1], json.loads(sys.argv[2])
con = duckdb.connect()
for table, columns in script["tables"].items():
    if glob.glob(f"{lake}/{table}/*/*.parquet"):
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{lake}/{table}/*/*.parquet', hive_partitioning=true, union_by_name=true)")
    else:
        con.execute(f"CREATE TABLE {table} ({columns})")
latencies, rows = [], 0
for i in range(6):
    t = time.perf_counter()
    # Every value of every row is fetched, as text (fetching timestamps needs pytz).
    rows = len(con.execute(f"SELECT CAST(COLUMNS(*) AS VARCHAR) FROM ({script['evidence']})").fetchall())
    con.execute(f"SELECT CAST(COLUMNS(*) AS VARCHAR) FROM ({script['metrics']})").fetchall()
    if i > 0:
        latencies.append((time.perf_counter() - t) * 1000)
latencies.sort()
print("RESULT " + json.dumps({"median_ms": latencies[len(latencies) // 2], "evidence_rows": rows,
      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"#;

/// Every lake table's columns as DuckDB declares them.
fn duckdb_tables() -> serde_json::Value {
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
/// lake's Parquet files.
pub fn latency_table(question: &str, lakes: &[(&str, &Path)]) {
    let mut script = duckdb_script(question);
    script["tables"] = duckdb_tables();
    let script = script.to_string();
    println!(
        "\n| {question} over | evlake fresh ms | open ms | shared-session ask ms | evidence rows | RSS MiB | DuckDB median ms | DuckDB rows | DuckDB RSS MiB |\n|---|---|---|---|---|---|---|---|---|"
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
            "| {label} | {:.0} | {:.0} | {:.0} | {} | {:.0} | {:.0} | {} | {:.0} |",
            f(&ask["fresh_ms"]),
            f(&ask["open_ms"]),
            f(&ask["shared_ms"]),
            ask["evidence_rows"],
            f(&ask["peak_rss_mib"]),
            f(&duck["median_ms"]),
            duck["evidence_rows"],
            f(&duck["peak_rss_mib"])
        );
        for query in ["evidence", "metrics"] {
            let q = &ask["queries"][query];
            plans.push(format!(
                "| {label} | {query} | {:.0} | {:.0} | {:.0} |",
                f(&q["planning_ms"]),
                f(&q["execution_ms"]),
                f(&q["own_context_planning_ms"])
            ));
        }
    }
    println!(
        "\n| {question} over | query | planning ms (views as CTEs) | execution ms | planning ms (views in a per-request context) |\n|---|---|---|---|---|\n{}",
        plans.join("\n")
    );
}
