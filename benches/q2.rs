//! q2 at scale, each beside DuckDB doing the same work in the same run:
//!
//! 1. Falco ingest: 1 M and 10 M generated alerts (`EVLAKE_BENCH_FALCO_EVENTS`, counts
//!    comma-separated) over a year, one JSON Lines file per day, ingested by a child process through the `falco` kind:
//!    events/s, MB/s, MB/s per CPU second, peak RSS. DuckDB (`duckdb` from PyPI, via
//!    `EVLAKE_PYTHON`) reads the same files with `read_json` and writes day-partitioned zstd
//!    Parquet.
//! 2. q2 latency: a year of a 1,000-service organisation's runtime evidence
//!    (`EVLAKE_BENCH_SERVICES`, `EVLAKE_BENCH_DAYS`) — Falco alerts, PagerDuty webhook events,
//!    Jira issues — ingested into one lake with 12 months and one with the last 3; a child asks
//!    q2 over each (median of 5 after a warm-up), and DuckDB runs the same SQL files
//!    (parameters as literals) over the same lake's Parquet files; evidence rows compared.
//!
//! Run: `cargo bench --bench q2`. Results and their reading: `docs/benchmarks.md`.

#[path = "support/question.rs"]
mod question;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use chrono::{Duration, NaiveDate};
use evlake_ingest::IngestRun;
use evlake_store::Lake;
use evlake_synth::runtime;
use question::{as_of, end};
use serde_json::{Map, json};

/// Files under `path` whose name starts with a day on or after `from`, in order.
fn files_from(path: &Path, from: NaiveDate) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(path)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.get(..10))
                .and_then(|d| d.parse::<NaiveDate>().ok())
                .is_some_and(|d| d >= from)
        })
        .collect();
    out.sort();
    out
}

/// The child: ingest each `kind:dir` (files from `from` on) into `lake`.
fn ingest(lake: &str, from: NaiveDate, sources: &[String]) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let lake = Lake::open(lake).unwrap();
        let began = Instant::now();
        let (mut records, mut bytes) = (0u64, 0u64);
        for source in sources {
            let (kind, dir) = source.split_once(':').unwrap();
            let summary = IngestRun::new(lake.clone(), kind, kind, &Map::new())
                .unwrap()
                .ingest_paths(&files_from(Path::new(dir), from))
                .await
                .unwrap();
            assert_eq!(summary.quarantined, 0);
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

const DUCKDB_FALCO: &str = r#"
import duckdb, json, resource, sys, time
src, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET preserve_insertion_order = false")
t = time.perf_counter()
con.execute(f"""CREATE TEMP TABLE staged AS
  SELECT *, CAST(CAST(time AS TIMESTAMPTZ) AS DATE) AS event_date
  FROM read_json('{src}/*.jsonl', format='newline_delimited')""")
rows = con.execute("SELECT count(*) FROM staged").fetchone()[0]
con.execute(f"COPY staged TO '{out}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (event_date))")
elapsed = time.perf_counter() - t
usage = resource.getrusage(resource.RUSAGE_SELF)
print("RESULT " + json.dumps({"seconds": elapsed, "records": rows,
      "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_rss_mib": usage.ru_maxrss / 1024}))
"#;

fn python(script: &str, args: &[&str]) -> serde_json::Value {
    support::result_of(
        &Command::new(support::python())
            .arg("-c")
            .arg(script)
            .args(args)
            .output()
            .unwrap(),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--ingest") {
        ingest(
            &args[pos + 1],
            args[pos + 2].parse().unwrap(),
            &args[pos + 3..],
        );
        return;
    }
    if let Some(pos) = args.iter().position(|a| a == "--ask") {
        question::ask(&args[pos + 1], "q2", as_of());
        return;
    }
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    // Sizes, comma-separated: each gets a row of the Falco table, so that memory can be
    // compared across them (it should stay flat).
    let sizes: Vec<u64> = std::env::var("EVLAKE_BENCH_FALCO_EVENTS")
        .unwrap_or_else(|_| "1000000,10000000".to_string())
        .split(',')
        .map(|n| {
            n.trim()
                .parse()
                .expect("EVLAKE_BENCH_FALCO_EVENTS: counts, comma-separated")
        })
        .collect();
    let (services, days) = (
        env("EVLAKE_BENCH_SERVICES", 1000) as u32,
        env("EVLAKE_BENCH_DAYS", 365) as u32,
    );
    let dir = tempfile::tempdir().unwrap();
    let start = end() - Duration::days(i64::from(days) - 1);

    // 1. Falco ingest.
    let mut rows = Vec::new();
    for events in sizes {
        let falco = dir.path().join("falco");
        let began = Instant::now();
        let bytes = runtime::falco_events(&falco, events, services, start, days, 1).unwrap();
        let mb = bytes as f64 / 1e6;
        println!(
            "generated {events} Falco alerts ({mb:.0} MB) in {:.1}s",
            began.elapsed().as_secs_f64()
        );
        let falco_source = format!("falco:{}", falco.display());
        let ours = question::child(&[
            "--ingest",
            dir.path().join("lake-falco").to_str().unwrap(),
            &start.to_string(),
            &falco_source,
        ]);
        std::fs::remove_dir_all(dir.path().join("lake-falco")).unwrap();
        let duck_out = dir.path().join("duck-falco");
        let duck = python(
            DUCKDB_FALCO,
            &[falco.to_str().unwrap(), duck_out.to_str().unwrap()],
        );
        std::fs::remove_dir_all(&falco).unwrap();
        let _ = std::fs::remove_dir_all(&duck_out);
        rows.push((mb, ours, duck));
    }
    println!(
        "\n| Falco ingest | MB | evlake s | DuckDB s | ratio | evlake MB per CPU s | DuckDB MB per CPU s | evlake RSS MiB | DuckDB RSS MiB |\n|---|---|---|---|---|---|---|---|---|"
    );
    for (mb, ours, duck) in &rows {
        let secs = |r: &serde_json::Value| r["seconds"].as_f64().unwrap();
        let per_cpu = |r: &serde_json::Value| mb / r["cpu_seconds"].as_f64().unwrap();
        let rss = |r: &serde_json::Value| r["peak_rss_mib"].as_f64().unwrap();
        println!(
            "| {} alerts | {mb:.0} | {:.1} | {:.1} | {:.2}× | {:.1} | {:.1} | {:.0} | {:.0} |",
            ours["records"],
            secs(ours),
            secs(duck),
            secs(ours) / secs(duck),
            per_cpu(ours),
            per_cpu(duck),
            rss(ours),
            rss(duck),
        );
    }

    // 2. q2 over a generated year of runtime evidence.
    let evidence = dir.path().join("org");
    let truth = runtime::generate(&evidence, services, start, days, 1, Default::default()).unwrap();
    println!(
        "\ngenerated {services} services × {days} days of runtime evidence: {:?}",
        truth.files
    );
    let sources: Vec<String> = ["falco", "pagerduty", "jira"]
        .iter()
        .map(|k| format!("{k}:{}", evidence.join(k).display()))
        .collect();
    let (full, recent) = (dir.path().join("lake-12m"), dir.path().join("lake-3m"));
    for (lake, from) in [(&full, start), (&recent, end() - Duration::days(89))] {
        let mut args = vec![
            "--ingest".to_string(),
            lake.display().to_string(),
            from.to_string(),
        ];
        args.extend(sources.iter().cloned());
        question::child(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }
    question::latency_table("q2", &[("3 months", &recent), ("12 months", &full)]);
}
