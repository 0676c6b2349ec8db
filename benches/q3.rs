//! q3 at scale, beside DuckDB running the same SQL in the same run: a year of a 1,000-service
//! organisation (`EVLAKE_BENCH_SERVICES`, `EVLAKE_BENCH_DAYS`) — a daily Backstage catalog
//! snapshot of every service, team and engineer, AWS Config history and weekly snapshots of
//! their resources, Jira reviews, and the production deployments and runtime alerts q3 checks
//! the inventory against — ingested into one lake with 12 months and one with the last 3 (AWS
//! Config whole in both: it is event-sourced, a resource's state may be a year old). A child
//! asks q3 over each (median of 5 after a warm-up), and DuckDB runs the same statements over
//! the same lake's Parquet files, evidence rows compared. q3's latency must not grow with the
//! snapshots the lake holds: 12 months within 1.2× of 3.
//!
//! Run: `cargo bench --bench q3`. Results and their reading: `docs/benchmarks.md`.

#[path = "support/question.rs"]
mod question;
mod support;
#[path = "support/window.rs"]
mod window;

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{Duration, NaiveDate};
use evlake_ingest::{IngestConfig, IngestRun};
use evlake_store::Lake;
use evlake_synth::{GenerateOptions, generate, ingest_config};
use question::{as_of, end};

/// The files of the generated evidence q3 reads: the inventory sources, the Jira issues and
/// Falco alerts, and of the GitHub bodies only the deployments and their statuses.
fn q3_input(source_kind: &str, path: &Path) -> bool {
    match source_kind {
        "backstage" | "aws-config" | "jira" | "falco" => true,
        "github-actions" => path
            .components()
            .any(|c| matches!(c.as_os_str().to_str(), Some("deployments" | "statuses"))),
        _ => false,
    }
}

/// The child: ingest q3's evidence (from `from` on; AWS Config whole) into `lake`.
fn ingest(evidence: &Path, lake: &str, from: NaiveDate) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let lake = Lake::open(lake).unwrap();
        let config = IngestConfig::load(&ingest_config(evidence)).unwrap();
        let began = Instant::now();
        let (mut records, mut bytes) = (0u64, 0u64);
        for (name, source) in config.sources {
            let paths: Vec<PathBuf> = source
                .paths
                .iter()
                .flat_map(|p| window::files(p))
                .filter(|p| q3_input(&source.kind, p))
                .filter(|p| source.kind == "aws-config" || window::from_day(p, from))
                .collect();
            if paths.is_empty() {
                continue;
            }
            let summary = IngestRun::new(lake.clone(), &source.kind, &name, &source.settings)
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
            serde_json::json!({"seconds": began.elapsed().as_secs_f64(), "records": records,
                "bytes": bytes, "cpu_seconds": support::cpu_seconds(),
                "peak_rss_mib": support::peak_rss_mib()})
        );
    });
}

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
        question::ask(&args[pos + 1], "q3", as_of());
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
    println!(
        "generated {services} services × {days} days in {:.1}s: {} catalog snapshots, {:?}",
        began.elapsed().as_secs_f64(),
        truth.inventory.snapshots.len(),
        truth.inventory.files
    );
    let full = dir.path().join("lake-12m");
    let recent = dir.path().join("lake-3m");
    println!("\n| ingest of q3's sources | seconds | records | peak RSS MiB |\n|---|---|---|---|");
    for (label, lake, from) in [
        ("12 months", &full, end() - Duration::days(i64::from(days))),
        ("3 months", &recent, end() - Duration::days(89)),
    ] {
        let ours = question::child(&[
            "--ingest",
            evidence.to_str().unwrap(),
            lake.to_str().unwrap(),
            &from.to_string(),
        ]);
        println!(
            "| {label} | {:.1} | {} | {:.0} |",
            ours["seconds"].as_f64().unwrap(),
            ours["records"],
            ours["peak_rss_mib"].as_f64().unwrap()
        );
    }
    question::latency_table("q3", &[("3 months", &recent), ("12 months", &full)]);
}
