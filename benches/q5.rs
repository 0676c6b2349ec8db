//! q5 at scale, each beside DuckDB in the same run:
//!
//! 1. Signature verification at ingest: 20,000 generated attestations
//!    (`EVLAKE_BENCH_ATTESTATIONS`) of each signing — DSSE envelopes signed by a release key,
//!    and keyless Sigstore bundles v0.3 (Fulcio-shaped certificate, Rekor entry with its
//!    promise, inclusion proof and checkpoint) — each verified in full and written to
//!    `attestations` by a child process through the `in-toto` kind: attestations/s, and per
//!    CPU second (what one core verifies). DuckDB, which cannot verify a signature, reads the
//!    same JSON lines into Parquet: the cost of the reading alone.
//! 2. Kubernetes audit ingest: 2 M generated audit events (`EVLAKE_BENCH_AUDIT_EVENTS`, counts
//!    comma-separated) over a year, one log file a day, through the `k8s-audit` kind:
//!    events/s, MB/s, MB per CPU second, peak RSS. DuckDB reads the same files with
//!    `read_json`, takes the decision fields and writes day-partitioned zstd Parquet.
//! 3. q5 latency over a generated year of the organisation (CI, audit log, Kyverno,
//!    provenance), beside DuckDB running the same SQL over the lake's Parquet files.
//!
//! Run: `cargo bench --bench q5`. Results and their reading: `docs/benchmarks.md`.

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
use evlake_synth::{
    GenerateOptions, attestation_volume, generate, ingest_config, k8s_audit_volume,
};
use question::{as_of, end};
use serde_json::{Map, Value, json};

/// The sources of the generated config q5 reads.
fn q5_source(name: &str) -> bool {
    matches!(name, "github" | "k8s-audit" | "kyverno" | "provenance")
}

/// The settings that verify what [`attestation_volume`] wrote under `dir`.
fn in_toto_settings(dir: &Path) -> Map<String, Value> {
    let trust = dir.join("sigstore");
    let Value::Object(m) = json!({
        "trusted_root_file": trust.join("trusted_root.json").display().to_string(),
        "keys": [{"name": "release", "file": trust.join("release.pub").display().to_string()}],
        "identities": [{"subject_regex": "https://github\\.com/acme/svc-[0-9]+/\\.github/workflows/release\\.yml@refs/heads/main",
            "issuer": "https://token.actions.githubusercontent.com"}],
    }) else {
        unreachable!("an object")
    };
    m
}

/// The child: ingest with `kind` the files under `path` into `lake` (`org`: q5's sources of
/// the generated organisation at `path`).
fn ingest(lake: &str, kind: &str, path: &Path) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let lake = Lake::open(lake).unwrap();
        let began = Instant::now();
        let mut runs = Vec::new();
        match kind {
            "org" => {
                let config = IngestConfig::load(&ingest_config(path)).unwrap();
                for (name, source) in config.sources.into_iter().filter(|(n, _)| q5_source(n)) {
                    let from = end() - Duration::days(364);
                    let paths = source
                        .paths
                        .iter()
                        .flat_map(|p| window::files(p))
                        .filter(|p| window::from_day(p, from))
                        .collect();
                    runs.push((source.kind, name, source.settings, paths));
                }
            }
            "in-toto" => runs.push((
                kind.to_string(),
                "provenance".to_string(),
                in_toto_settings(path),
                window::files(&path.join("provenance")),
            )),
            _ => runs.push((
                kind.to_string(),
                kind.to_string(),
                Map::new(),
                window::files(path),
            )),
        }
        let (mut records, mut bytes, mut verified) = (0u64, 0u64, 0u64);
        for (kind, name, settings, paths) in runs {
            let summary = IngestRun::new(lake.clone(), &kind, &name, &settings)
                .unwrap()
                .ingest_paths(&paths)
                .await
                .unwrap();
            assert_eq!(summary.quarantined, 0, "{name}");
            records += summary.records;
            bytes += summary.bytes;
            if kind == "in-toto" {
                verified = records;
            }
        }
        println!(
            "RESULT {}",
            json!({"seconds": began.elapsed().as_secs_f64(), "records": records, "bytes": bytes,
                "verified": verified, "cpu_seconds": support::cpu_seconds(),
                "peak_rss_mib": support::peak_rss_mib()})
        );
    });
}

/// DuckDB reading the attestation lines into Parquet.
const DUCKDB_ATTESTATIONS: &str = r#"
import duckdb, json, resource, sys, time
src, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
t = time.perf_counter()
con.execute(f"""CREATE TEMP TABLE staged AS
  SELECT CAST(j AS VARCHAR) AS raw, json_extract_string(j, '$.mediaType') AS media_type,
    json_extract_string(j, '$.payloadType') AS payload_type
  FROM read_json('{src}/*.jsonl', format='newline_delimited', records=false,
                 columns={{'j': 'JSON'}}, maximum_object_size=67108864) t(j)""")
rows = con.execute("SELECT count(*) FROM staged").fetchone()[0]
con.execute(f"COPY staged TO '{out}' (FORMAT parquet, COMPRESSION zstd)")
elapsed = time.perf_counter() - t
usage = resource.getrusage(resource.RUSAGE_SELF)
print("RESULT " + json.dumps({"seconds": elapsed, "records": rows,
      "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_rss_mib": usage.ru_maxrss / 1024}))
"#;

/// DuckDB reading the audit log into day-partitioned Parquet: the decision stages, with the
/// fields `admission_decisions` keeps.
const DUCKDB_AUDIT: &str = r#"
import duckdb, json, resource, sys, time
src, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET preserve_insertion_order = false")
t = time.perf_counter()
con.execute(f"""CREATE TEMP TABLE staged AS
  SELECT
    json_extract_string(e, '$.auditID') AS audit_id,
    json_extract_string(e, '$.stage') AS stage,
    CAST(json_extract_string(e, '$.stageTimestamp') AS TIMESTAMPTZ) AS event_time,
    json_extract_string(e, '$.verb') AS operation,
    json_extract_string(e, '$.user.username') AS username,
    json_extract_string(e, '$.objectRef.namespace') AS namespace,
    json_extract_string(e, '$.objectRef.resource') AS resource,
    json_extract_string(e, '$.objectRef.name') AS resource_name,
    CAST(json_extract(e, '$.responseStatus.code') AS INTEGER) AS status_code,
    json_extract_string(e, '$.responseObject.spec.template.spec.containers[0].image') AS image,
    CAST(e AS VARCHAR) AS raw,
    CAST(CAST(json_extract_string(e, '$.stageTimestamp') AS TIMESTAMPTZ) AS DATE) AS event_date
  FROM read_json('{src}/*.log', format='newline_delimited', records=false,
                 columns={{'e': 'JSON'}}) t(e)
  WHERE json_extract_string(e, '$.stage') IN ('ResponseComplete', 'Panic')""")
rows = con.execute("SELECT count(*) FROM staged").fetchone()[0]
con.execute(f"COPY staged TO '{out}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (event_date))")
elapsed = time.perf_counter() - t
usage = resource.getrusage(resource.RUSAGE_SELF)
print("RESULT " + json.dumps({"seconds": elapsed, "records": rows,
      "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_rss_mib": usage.ru_maxrss / 1024}))
"#;

fn duckdb(script: &str, src: &Path, out: &Path) -> Value {
    let result = support::result_of(
        &Command::new(support::python())
            .args(["-c", script, src.to_str().unwrap(), out.to_str().unwrap()])
            .output()
            .unwrap(),
    );
    let _ = std::fs::remove_dir_all(out);
    let _ = std::fs::remove_file(out);
    result
}

fn secs(r: &Value) -> f64 {
    r["seconds"].as_f64().unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--ingest") {
        ingest(&args[pos + 1], &args[pos + 2], Path::new(&args[pos + 3]));
        return;
    }
    if let Some(pos) = args.iter().position(|a| a == "--ask") {
        question::ask(&args[pos + 1], "q5", as_of());
        return;
    }
    let count = |var: &str, default: &str| -> Vec<u64> {
        std::env::var(var)
            .unwrap_or_else(|_| default.to_string())
            .split(',')
            .map(|n| {
                n.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("{var}: counts, comma-separated"))
            })
            .collect()
    };
    let dir = tempfile::tempdir().unwrap();

    // 1. Verification.
    println!(
        "\n| verified at ingest | attestations | MB | evlake s | attestations/s | per CPU s | evlake RSS MiB | DuckDB read s | DuckDB RSS MiB | evlake ÷ DuckDB |\n|---|---|---|---|---|---|---|---|---|---|"
    );
    for n in count("EVLAKE_BENCH_ATTESTATIONS", "20000") {
        for (label, keyless) in [("DSSE, keyed", false), ("bundle v0.3, keyless", true)] {
            let src = dir.path().join("attestations");
            let began = Instant::now();
            let bytes = attestation_volume(&src, n, keyless, 1).unwrap();
            eprintln!(
                "generated {n} {label} in {:.1}s",
                began.elapsed().as_secs_f64()
            );
            let lake = dir.path().join("lake-attestations");
            let ours = question::child(&[
                "--ingest",
                lake.to_str().unwrap(),
                "in-toto",
                src.to_str().unwrap(),
            ]);
            assert_eq!(
                ours["records"].as_u64(),
                Some(n),
                "every attestation ingested"
            );
            let duck = duckdb(
                DUCKDB_ATTESTATIONS,
                &src.join("provenance"),
                &dir.path().join("duck.parquet"),
            );
            std::fs::remove_dir_all(&lake).unwrap();
            std::fs::remove_dir_all(&src).unwrap();
            println!(
                "| {label} | {n} | {:.0} | {:.2} | {:.0} | {:.0} | {:.0} | {:.2} | {:.0} | {:.1}× |",
                bytes as f64 / 1e6,
                secs(&ours),
                n as f64 / secs(&ours),
                n as f64 / ours["cpu_seconds"].as_f64().unwrap(),
                ours["peak_rss_mib"].as_f64().unwrap(),
                secs(&duck),
                duck["peak_rss_mib"].as_f64().unwrap(),
                secs(&ours) / secs(&duck),
            );
        }
    }

    // 2. The audit log.
    let days = 365;
    let start = end() - Duration::days(days - 1);
    println!(
        "\n| k8s-audit ingest | MB | evlake s | DuckDB s | ratio | evlake events/s | evlake MB/s | evlake MB per CPU s | DuckDB MB per CPU s | evlake RSS MiB | DuckDB RSS MiB |\n|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for events in count("EVLAKE_BENCH_AUDIT_EVENTS", "2000000") {
        let src = dir.path().join("audit");
        let began = Instant::now();
        let mb = k8s_audit_volume(&src, events, start, days as u32, 1).unwrap() as f64 / 1e6;
        eprintln!(
            "generated {events} audit events ({mb:.0} MB) in {:.1}s",
            began.elapsed().as_secs_f64()
        );
        let lake = dir.path().join("lake-audit");
        let ours = question::child(&[
            "--ingest",
            lake.to_str().unwrap(),
            "k8s-audit",
            src.to_str().unwrap(),
        ]);
        let duck = duckdb(DUCKDB_AUDIT, &src, &dir.path().join("duck-audit"));
        std::fs::remove_dir_all(&lake).unwrap();
        std::fs::remove_dir_all(&src).unwrap();
        let per_cpu = |r: &Value| mb / r["cpu_seconds"].as_f64().unwrap();
        println!(
            "| {events} events | {mb:.0} | {:.1} | {:.1} | {:.2}× | {:.0} | {:.1} | {:.1} | {:.1} | {:.0} | {:.0} |",
            secs(&ours),
            secs(&duck),
            secs(&ours) / secs(&duck),
            events as f64 / secs(&ours),
            mb / secs(&ours),
            per_cpu(&ours),
            per_cpu(&duck),
            ours["peak_rss_mib"].as_f64().unwrap(),
            duck["peak_rss_mib"].as_f64().unwrap(),
        );
    }

    // 3. q5 over a generated year.
    let org = dir.path().join("org");
    let truth = generate(&GenerateOptions {
        out: org.clone(),
        services: 30,
        days: days as u32,
        end: end(),
        seed: 1,
        maturity: Default::default(),
    })
    .unwrap();
    println!(
        "\ngenerated a year of releases: {} production admissions, {:?}",
        truth.supply_chain.admissions.len(),
        truth.supply_chain.files
    );
    let lake = dir.path().join("lake");
    question::child(&[
        "--ingest",
        lake.to_str().unwrap(),
        "org",
        org.to_str().unwrap(),
    ]);
    question::latency_table("q5", &[("12 months", &lake)]);
}
