//! What the question benchmarks share: the measuring children.

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
pub fn duckdb_script(question: &str, views: &[&str]) -> String {
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
