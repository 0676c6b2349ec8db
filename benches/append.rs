//! Append throughput of the lake, with DuckDB writing the same rows as the yardstick.
//!
//! For each size (default 1 M and 10 M rows; `EVLAKE_BENCH_ROWS=100000,1000000` to change)
//! a child process streams synthetic `iam_events` rows (a year, batches of 100 k) into a
//! fresh local lake through the one commit path — de-duplication against the touched
//! partitions, sorting, zstd Parquet, hash chain — and reports rows/s, MB/s of source JSON,
//! peak RSS, and the latency of a small commit on the grown table. Then DuckDB (the
//! `duckdb` Python package, from `EVLAKE_PYTHON`) writes the same rows, read from a staging
//! Parquet file, as day-partitioned zstd Parquet sorted by event time.
//!
//! Run: `cargo bench --bench append` (after `scripts/test` has made the Python environment).
//! Results and their reading: `docs/benchmarks.md`.

mod support;

use std::io::Write;
use std::process::Command;
use std::time::Instant;

use chrono::{DateTime, Utc};
use evlake_store::Lake;
use evlake_synth::IamEvents;

const BATCH: usize = 100_000;
const DAYS: u32 = 365;

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-11-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// The child: one measured append run, printed as one JSON line.
fn measure(rows: u64, dir: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // Generation alone, to separate its cost from the lake's.
        let began = Instant::now();
        let mut json_bytes = 0u64;
        for batch in IamEvents::new(start(), DAYS, rows, BATCH, 1) {
            json_bytes += batch.column_by_name("raw").unwrap().to_data().buffers()[1].len() as u64;
        }
        let generate_s = began.elapsed().as_secs_f64();

        let lake = Lake::open(dir).unwrap();
        let began = Instant::now();
        let mut commits = 0;
        for batch in IamEvents::new(start(), DAYS, rows, BATCH, 1) {
            lake.append("iam_events", vec![batch])
                .unwrap()
                .execute()
                .await
                .unwrap();
            commits += 1;
        }
        let append_s = began.elapsed().as_secs_f64();
        let rss = support::peak_rss_mib();

        // Small commits on the grown table: 10 new rows each, into one day.
        let mut latencies = Vec::new();
        for i in 0..20u64 {
            let batch = IamEvents::new(start(), 1, 10, 10, 1_000 + i)
                .next()
                .unwrap();
            let began = Instant::now();
            lake.append("iam_events", vec![batch])
                .unwrap()
                .execute()
                .await
                .unwrap();
            latencies.push(began.elapsed().as_secs_f64() * 1000.0);
        }
        latencies.sort_by(f64::total_cmp);
        let summary = lake.summary("iam_events").await.unwrap();
        println!(
            "RESULT {}",
            serde_json::json!({
                "rows": rows, "commits": commits, "json_mb": json_bytes as f64 / 1e6,
                "generate_s": generate_s, "append_s": append_s, "peak_rss_mib": rss,
                "cpu_seconds": support::cpu_seconds(),
                "small_commit_ms_median": latencies[latencies.len() / 2],
                "files": summary.files, "lake_mb": summary.bytes as f64 / 1e6,
            })
        );
    });
}

const DUCKDB: &str = r#"
import json, resource, sys, time, duckdb
staging, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET threads TO 2")
t = time.perf_counter()
con.execute(f"""COPY (SELECT *, CAST(event_time AS DATE) AS event_date FROM read_parquet('{staging}') ORDER BY event_time)
               TO '{out}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (event_date))""")
elapsed = time.perf_counter() - t
print("RESULT " + json.dumps({"duckdb_s": elapsed,
      "duckdb_peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"#;

/// Writes the same rows DuckDB will copy, streaming, to one staging Parquet file.
fn stage(rows: u64, path: &std::path::Path) {
    let schema = evlake_core::tables::get("iam_events")
        .unwrap()
        .input_schema();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
    for batch in IamEvents::new(start(), DAYS, rows, BATCH, 1) {
        writer.write(&batch).unwrap();
    }
    writer.close().unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--child") {
        measure(args[pos + 1].parse().unwrap(), &args[pos + 2]);
        return;
    }
    let sizes: Vec<u64> = std::env::var("EVLAKE_BENCH_ROWS")
        .unwrap_or_else(|_| "1000000,10000000".into())
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let python = support::python();
    let mut report = String::from(
        "| rows | evlake append s | rows/s | MB/s (JSON) | peak RSS MiB | small commit ms | generation s | DuckDB s | DuckDB rows/s | DuckDB RSS MiB | evlake/DuckDB time |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for rows in sizes {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("lake");
        let child = Command::new(std::env::current_exe().unwrap())
            .args(["--child", &rows.to_string(), lake.to_str().unwrap()])
            .output()
            .unwrap();
        let ours = support::result_of(&child);
        let staging = dir.path().join("staging.parquet");
        stage(rows, &staging);
        let duck = support::result_of(
            &Command::new(&python)
                .args([
                    "-c",
                    DUCKDB,
                    staging.to_str().unwrap(),
                    dir.path().join("duck").to_str().unwrap(),
                ])
                .output()
                .unwrap(),
        );
        let append_s = ours["append_s"].as_f64().unwrap();
        let duck_s = duck["duckdb_s"].as_f64().unwrap();
        let line = format!(
            "| {rows} | {append_s:.2} | {:.0} | {:.1} | {:.0} | {:.1} | {:.2} | {duck_s:.2} | {:.0} | {:.0} | {:.2} |\n",
            rows as f64 / append_s,
            ours["json_mb"].as_f64().unwrap() / append_s,
            ours["peak_rss_mib"].as_f64().unwrap(),
            ours["small_commit_ms_median"].as_f64().unwrap(),
            ours["generate_s"].as_f64().unwrap(),
            rows as f64 / duck_s,
            duck["duckdb_peak_rss_mib"].as_f64().unwrap(),
            append_s / duck_s,
        );
        print!("{line}");
        std::io::stdout().flush().unwrap();
        report.push_str(&line);
        eprintln!("{rows} rows: {ours} / {duck}");
    }
    println!("\n{report}");
}
