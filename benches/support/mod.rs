//! What the benchmarks share: measuring a child process and finding DuckDB's Python.

use std::process::Command;
use std::time::Instant;

use chrono::{DateTime, Utc};
use evlake_query::QuerySession;
use evlake_store::Lake;

/// This process's peak resident memory (`VmHWM`), in MiB.
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The `RESULT {json}` line a measuring child (or DuckDB script) printed.
pub fn result_of(output: &std::process::Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| {
            panic!(
                "no result: {text}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    serde_json::from_str(line).unwrap()
}

/// The Python with `duckdb`: `EVLAKE_PYTHON`, else the venv `scripts/test` makes, else `python3`.
pub fn python() -> String {
    std::env::var("EVLAKE_PYTHON").unwrap_or_else(|_| {
        let venv = format!(
            "{}/.cache/evlake-venv/bin/python",
            std::env::var("HOME").unwrap_or_default()
        );
        if std::path::Path::new(&venv).exists() {
            venv
        } else {
            "python3".into()
        }
    })
}

/// CPU seconds (user + system) this process has used so far.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    // Linux reports in USER_HZ, 100 per second on every mainstream configuration.
    (ticks(11) + ticks(12)) / 100.0
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
