//! What the question benchmarks share: the measuring children.

use std::process::Command;
use std::time::Instant;

use chrono::{DateTime, Utc};
use evlake_query::QuerySession;
use evlake_store::Lake;

use crate::support::{peak_rss_mib, result_of};

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
