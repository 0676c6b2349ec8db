//! q1 end to end at scale: ingest of a generated organisation's GitHub Actions JSON and SARIF,
//! and the latency of `ask q1`, each beside DuckDB doing the same work in the same run.
//!
//! 1. `evlake generate` writes a year of a 1,000-service organisation (`EVLAKE_BENCH_SERVICES`,
//!    `EVLAKE_BENCH_DAYS` to change).
//! 2. A child process ingests it (every source of its `ingest.toml`) into a fresh lake:
//!    records/s, MB/s of source JSON, peak RSS. A second child ingests only the last 90 days
//!    into another lake, to compare question latency over 3 and 12 months of history.
//! 3. DuckDB (`duckdb` from PyPI, via `EVLAKE_PYTHON`) reads the same files with `read_json`
//!    and writes them as day-partitioned zstd Parquet.
//! 4. A child asks q1 over each lake (median of 5 after one warm-up); DuckDB runs the same
//!    SQL files (views, evidence, metrics; parameters as literals) over the same lake's
//!    Parquet files, and its evidence row count is compared with evlake's.
//!
//! Run: `cargo bench --bench q1`. Results and their reading: `docs/benchmarks.md`.

#[path = "support/question.rs"]
mod question;
mod support;
#[path = "support/window.rs"]
mod window;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use chrono::{Duration, NaiveDate};
use evlake_ingest::{IngestConfig, IngestRun};
use evlake_store::Lake;
use evlake_synth::{GenerateOptions, generate, ingest_config};
use question::{as_of, end};

/// The child: ingest the evidence (from `from` on) into `lake`.
fn ingest(evidence: &Path, lake: &str, from: NaiveDate) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let lake = Lake::open(lake).unwrap();
        let config = IngestConfig::load(&ingest_config(evidence)).unwrap();
        let began = Instant::now();
        let (mut records, mut bytes) = (0u64, 0u64);
        // The runtime sources are q2's (benches/q2.rs).
        let ci = |kind: &str| !matches!(kind, "falco" | "pagerduty" | "jira");
        for (name, source) in config.sources.into_iter().filter(|(_, s)| ci(&s.kind)) {
            let paths: Vec<PathBuf> = source
                .paths
                .iter()
                .flat_map(|p| window::files(p))
                .filter(|p| window::from_day(p, from))
                .collect();
            let summary = IngestRun::new(lake.clone(), &source.kind, &name, &source.settings)
                .unwrap()
                .ingest_paths(&paths)
                .await
                .unwrap();
            assert_eq!(summary.quarantined, 0);
            records += summary.records;
            bytes += summary.bytes;
        }
        let seconds = began.elapsed().as_secs_f64();
        println!(
            "RESULT {}",
            serde_json::json!({"seconds": seconds, "records": records, "bytes": bytes,
                "cpu_seconds": support::cpu_seconds(), "peak_rss_mib": support::peak_rss_mib()})
        );
    });
}

const DUCKDB_INGEST: &str = r#"
import duckdb, json, resource, sys, time
src, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET preserve_insertion_order = false")
families = {
    "workflow_runs": (f"SELECT unnest(workflow_runs) AS r FROM read_json('{src}/github/runs/*.json', maximum_object_size=67108864)", "r.created_at"),
    "jobs": (f"SELECT unnest(jobs) AS r FROM read_json('{src}/github/jobs/*.jsonl', format='newline_delimited')", "r.completed_at"),
    "deployments": (f"SELECT json AS r FROM read_json('{src}/github/deployments/*.json', format='array', records=false, maximum_object_size=67108864)", "r.created_at"),
    "statuses": (f"SELECT unnest(json) AS r FROM read_json('{src}/github/statuses/*.jsonl', format='newline_delimited', records=false)", "r.created_at"),
    "check_runs": (f"SELECT unnest(check_runs) AS r FROM read_json('{src}/github/check-runs/*.jsonl', format='newline_delimited')", "r.completed_at"),
    "sarif": (f"SELECT unnest(CAST(json_extract(json, '$.runs[0].results') AS JSON[])) AS r, json_extract_string(json, '$.runs[0].invocations[0].endTimeUtc') AS t FROM read_json_objects('{src}/sarif/**/*.sarif')", "t"),
}
t = time.perf_counter()
rows = 0
for name, (query, when) in families.items():
    con.execute(f"CREATE OR REPLACE TEMP TABLE staged AS SELECT r, CAST(CAST({when} AS TIMESTAMPTZ) AS DATE) AS event_date FROM ({query})")
    rows += con.execute("SELECT count(*) FROM staged").fetchone()[0]
    con.execute(f"COPY (SELECT * FROM staged ORDER BY event_date) TO '{out}/{name}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (event_date))")
elapsed = time.perf_counter() - t
print("RESULT " + json.dumps({"seconds": elapsed, "records": rows,
      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"#;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--ingest") {
        ingest(
            Path::new(&args[pos + 1]),
            &args[pos + 2],
            args[pos + 3].parse().unwrap(),
        );
        return;
    }
    if let Some(pos) = args.iter().position(|a| a == "--ask") {
        question::ask(&args[pos + 1], "q1", as_of());
        return;
    }
    let env = |k: &str, d: u32| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let (services, days) = (
        env("EVLAKE_BENCH_SERVICES", 1000),
        env("EVLAKE_BENCH_DAYS", 365),
    );
    let python = support::python();
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence");
    let began = Instant::now();
    let truth = generate(&GenerateOptions {
        out: evidence.clone(),
        services,
        days,
        end: end(),
        seed: 1,
        maturity: Default::default(),
    })
    .unwrap();
    let mb = truth.files["bytes"] as f64 / 1e6;
    println!(
        "generated {services} services × {days} days in {:.1}s: {mb:.0} MB, {:?}",
        began.elapsed().as_secs_f64(),
        truth.files
    );

    let full = dir.path().join("lake-12m");
    let recent = dir.path().join("lake-3m");
    let start = end() - Duration::days(i64::from(days));
    let ours = question::child(&[
        "--ingest",
        evidence.to_str().unwrap(),
        full.to_str().unwrap(),
        &start.to_string(),
    ]);
    question::child(&[
        "--ingest",
        evidence.to_str().unwrap(),
        recent.to_str().unwrap(),
        &(end() - Duration::days(89)).to_string(),
    ]);
    let duck_out = dir.path().join("duck");
    std::fs::create_dir_all(&duck_out).unwrap();
    let duck = support::result_of(
        &Command::new(&python)
            .args([
                "-c",
                DUCKDB_INGEST,
                evidence.to_str().unwrap(),
                duck_out.to_str().unwrap(),
            ])
            .output()
            .unwrap(),
    );
    let secs = |v: &serde_json::Value| v["seconds"].as_f64().unwrap();
    let records = ours["records"].as_f64().unwrap();
    println!(
        "\n| ingest | seconds | records | records/s | MB/s (source) | peak RSS MiB |\n|---|---|---|---|---|---|"
    );
    println!(
        "| evlake | {:.1} | {records:.0} | {:.0} | {:.1} | {:.0} |",
        secs(&ours),
        records / secs(&ours),
        mb / secs(&ours),
        ours["peak_rss_mib"].as_f64().unwrap()
    );
    println!(
        "| DuckDB read_json → Parquet | {:.1} | {} | {:.0} | {:.1} | {:.0} |",
        secs(&duck),
        duck["records"],
        duck["records"].as_f64().unwrap() / secs(&duck),
        mb / secs(&duck),
        duck["peak_rss_mib"].as_f64().unwrap()
    );

    question::latency_table("q1", &[("3 months", &recent), ("12 months", &full)]);
}
