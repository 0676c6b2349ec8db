//! q4 at scale, each beside DuckDB doing the same work in the same run:
//!
//! 1. CloudTrail ingest — the highest-volume source — of 5 M generated management events
//!    (`EVLAKE_BENCH_CLOUDTRAIL_EVENTS`, counts comma-separated) over a year, in `.json.gz`
//!    log files of CloudTrail's S3 layout (2,000 records each), ingested by a child process
//!    through the `cloudtrail` kind: records/s, MB/s of decompressed JSON, MB per CPU second,
//!    peak RSS. DuckDB (`duckdb` from PyPI, via `EVLAKE_PYTHON`) reads the same objects with
//!    `read_json`, unnests `Records`, takes the same fields and writes day-partitioned zstd
//!    Parquet.
//! 2. q4 latency: a year of the organisation's people and access evidence (HR and LMS
//!    exports, IAM snapshots, CloudTrail, Okta, GCP) ingested into the lake that holds the
//!    first size's CloudTrail events; a child asks q4 (median of 5 after a warm-up), and DuckDB
//!    runs the same SQL files over the same lake's Parquet files; evidence rows compared.
//!
//! Run: `cargo bench --bench q4`. Results and their reading: `docs/benchmarks.md`.

#[path = "support/question.rs"]
mod question;
mod support;
#[path = "support/window.rs"]
mod window;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use chrono::Duration;
use evlake_ingest::{IngestConfig, IngestRun};
use evlake_store::Lake;
use evlake_synth::{GenerateOptions, cloudtrail_volume, generate, ingest_config};
use question::{as_of, end};
use serde_json::{Map, json};

/// The sources of the generated config q4 reads.
fn q4_source(name: &str) -> bool {
    matches!(
        name,
        "hr" | "lms" | "aws-iam" | "cloudtrail" | "okta" | "gcp" | "register"
    )
}

/// The child: ingest the CloudTrail objects under `trail` (and, with `evidence`, q4's sources
/// of the generated organisation there) into `lake`.
fn ingest(lake: &str, trail: &Path, evidence: Option<&Path>, from: chrono::NaiveDate) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let lake = Lake::open(lake).unwrap();
        let began = Instant::now();
        let (mut records, mut bytes) = (0u64, 0u64);
        let mut runs = Vec::new();
        if let Some(evidence) = evidence {
            let config = IngestConfig::load(&ingest_config(evidence)).unwrap();
            for (name, source) in config.sources.into_iter().filter(|(n, _)| q4_source(n)) {
                let paths = source
                    .paths
                    .iter()
                    .flat_map(|p| window::files(p))
                    .filter(|p| window::from_day(p, from))
                    .collect();
                runs.push((source.kind, name, source.settings, paths));
            }
        } else {
            let url = format!("file://{}", trail.display());
            runs.push((
                "cloudtrail".into(),
                "trail".into(),
                Map::new(),
                vec![url.into()],
            ));
        }
        for (kind, name, settings, paths) in runs {
            let summary = IngestRun::new(lake.clone(), &kind, &name, &settings)
                .unwrap()
                .ingest_paths(&paths)
                .await
                .unwrap();
            assert_eq!(summary.quarantined, 0, "{name}");
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

const DUCKDB_CLOUDTRAIL: &str = r#"
import duckdb, json, resource, sys, time
src, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET preserve_insertion_order = false")
t = time.perf_counter()
con.execute(f"""CREATE TEMP TABLE staged AS
  SELECT
    json_extract_string(r, '$.eventID') AS event_id,
    CAST(json_extract_string(r, '$.eventTime') AS TIMESTAMPTZ) AS event_time,
    json_extract_string(r, '$.eventName') AS action,
    json_extract_string(r, '$.recipientAccountId') AS account,
    json_extract_string(r, '$.awsRegion') AS region,
    json_extract_string(r, '$.userIdentity.arn') AS actor,
    json_extract_string(r, '$.requestParameters.userName') AS principal,
    json_extract_string(r, '$.requestParameters.policyArn') AS permission,
    json_extract_string(r, '$.sourceIPAddress') AS source_ip,
    CAST(r AS VARCHAR) AS raw,
    CAST(CAST(json_extract_string(r, '$.eventTime') AS TIMESTAMPTZ) AS DATE) AS event_date
  FROM (SELECT unnest(Records) AS r
        FROM read_json('{src}/**/*.json.gz', columns={{'Records': 'JSON[]'}},
                       maximum_object_size=67108864))""")
rows = con.execute("SELECT count(*) FROM staged").fetchone()[0]
con.execute(f"COPY staged TO '{out}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (event_date))")
elapsed = time.perf_counter() - t
usage = resource.getrusage(resource.RUSAGE_SELF)
print("RESULT " + json.dumps({"seconds": elapsed, "records": rows,
      "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_rss_mib": usage.ru_maxrss / 1024}))
"#;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--ingest") {
        let evidence = args.get(pos + 3).map(Path::new);
        let from = end() - Duration::days(364);
        ingest(&args[pos + 1], Path::new(&args[pos + 2]), evidence, from);
        return;
    }
    if let Some(pos) = args.iter().position(|a| a == "--ask") {
        question::ask(&args[pos + 1], "q4", as_of());
        return;
    }
    let sizes: Vec<u64> = std::env::var("EVLAKE_BENCH_CLOUDTRAIL_EVENTS")
        .unwrap_or_else(|_| "5000000".to_string())
        .split(',')
        .map(|n| {
            n.trim()
                .parse()
                .expect("EVLAKE_BENCH_CLOUDTRAIL_EVENTS: counts, comma-separated")
        })
        .collect();
    let days = 365;
    let dir = tempfile::tempdir().unwrap();
    let start = end() - Duration::days(days - 1);
    let lake = dir.path().join("lake");

    // 1. CloudTrail ingest.
    let mut rows = Vec::new();
    for (i, events) in sizes.iter().enumerate() {
        let trail = dir.path().join("trail");
        let began = Instant::now();
        let bytes = cloudtrail_volume(&trail, *events, start, days as u32, 1).unwrap();
        let mb = bytes as f64 / 1e6;
        println!(
            "generated {events} CloudTrail records ({mb:.0} MB of JSON) in {:.1}s",
            began.elapsed().as_secs_f64()
        );
        let target = if i == 0 {
            lake.clone()
        } else {
            dir.path().join("lake-more")
        };
        let ours = question::child(&[
            "--ingest",
            target.to_str().unwrap(),
            trail.join("AWSLogs").to_str().unwrap(),
        ]);
        if i > 0 {
            std::fs::remove_dir_all(&target).unwrap();
        }
        let duck_out = dir.path().join("duck-trail");
        let duck = support::result_of(
            &Command::new(support::python())
                .args([
                    "-c",
                    DUCKDB_CLOUDTRAIL,
                    trail.join("AWSLogs").to_str().unwrap(),
                    duck_out.to_str().unwrap(),
                ])
                .output()
                .unwrap(),
        );
        std::fs::remove_dir_all(&trail).unwrap();
        let _ = std::fs::remove_dir_all(&duck_out);
        rows.push((mb, ours, duck));
    }
    println!(
        "\n| CloudTrail ingest | MB of JSON | evlake s | DuckDB s | ratio | evlake records/s | evlake MB/s | evlake MB per CPU s | DuckDB MB per CPU s | evlake RSS MiB | DuckDB RSS MiB |\n|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for (mb, ours, duck) in &rows {
        let secs = |r: &serde_json::Value| r["seconds"].as_f64().unwrap();
        let per_cpu = |r: &serde_json::Value| mb / r["cpu_seconds"].as_f64().unwrap();
        let rss = |r: &serde_json::Value| r["peak_rss_mib"].as_f64().unwrap();
        println!(
            "| {} records | {mb:.0} | {:.1} | {:.1} | {:.2}× | {:.0} | {:.1} | {:.1} | {:.1} | {:.0} | {:.0} |",
            ours["records"],
            secs(ours),
            secs(duck),
            secs(ours) / secs(duck),
            ours["records"].as_f64().unwrap() / secs(ours),
            mb / secs(ours),
            per_cpu(ours),
            per_cpu(duck),
            rss(ours),
            rss(duck),
        );
    }

    // 2. q4 over a generated year of people and access evidence, beside the year of CloudTrail.
    let evidence = dir.path().join("org");
    let truth = generate(&GenerateOptions {
        out: evidence.clone(),
        services: 8,
        days: days as u32,
        end: end(),
        seed: 1,
        maturity: Default::default(),
    })
    .unwrap();
    println!(
        "\ngenerated a year of access evidence: {:?}",
        truth.access.files
    );
    question::child(&[
        "--ingest",
        lake.to_str().unwrap(),
        "-",
        evidence.to_str().unwrap(),
    ]);
    question::latency_table("q4", &[("12 months", &lake)]);
}
