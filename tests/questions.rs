//! The audit questions end to end: a generated organisation, ingested through the real
//! source kinds, answered by the questions' SQL, compared with what the generator planted
//! (`truth.json`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use evlake_core::FixedClock;
use evlake_ingest::{IngestConfig, IngestRun};
use evlake_store::Lake;
use evlake_synth::{GenerateOptions, Maturity, Truth, generate, ingest_config};

#[path = "questions/bound.rs"]
mod bound;
#[path = "support/duckdb.rs"]
mod duckdb;
#[path = "questions/permissions.rs"]
mod permissions;
#[path = "questions/q1.rs"]
mod q1;
#[path = "questions/q1_cases.rs"]
mod q1_cases;
#[path = "questions/q2.rs"]
mod q2;
#[path = "questions/q3.rs"]
mod q3;
#[path = "questions/q4.rs"]
mod q4;
#[path = "questions/q5.rs"]
mod q5;
#[path = "questions/rungs.rs"]
mod rungs;
#[path = "questions/scorecard.rs"]
mod scorecard;

pub(crate) fn end_of(day: &str) -> DateTime<Utc> {
    evlake_core::time::parse_instant(day).unwrap()
}

/// Whether a source of the generated config feeds q2 (runtime alerts and incidents) rather
/// than q1.
pub(crate) fn runtime_source(name: &str) -> bool {
    matches!(name, "falco" | "pagerduty" | "jira")
}

pub(crate) fn organisation(dir: &Path, seed: u64, services: u32, days: u32) -> Truth {
    organisation_of(dir, seed, services, days, Maturity::default())
}

/// A generated organisation of `maturity`, its history ending 2026-11-20.
pub(crate) fn organisation_of(
    dir: &Path,
    seed: u64,
    services: u32,
    days: u32,
    maturity: Maturity,
) -> Truth {
    generate(&GenerateOptions {
        out: dir.to_path_buf(),
        services,
        days,
        end: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        seed,
        maturity,
    })
    .unwrap()
}

/// Ingests every source of the generated config whose files `only` admits. The exceptions
/// register is recorded when the generator says it was written (before the history), as a
/// lake that had been running would have; everything else by `lake`'s clock.
pub(crate) async fn ingest(lake: &Lake, dir: &Path, only: impl Fn(&str, &Path) -> bool) {
    let config = IngestConfig::load(&ingest_config(dir)).unwrap();
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("truth.json")).unwrap()).unwrap();
    let register_recorded_at: DateTime<Utc> =
        serde_json::from_value(truth["register_recorded_at"].clone()).unwrap();
    for (name, source) in config.sources {
        let lake = if source.kind == "exceptions" {
            lake.clone()
                .with_clock(Arc::new(FixedClock::new(register_recorded_at)))
        } else {
            lake.clone()
        };
        let paths: Vec<PathBuf> = source
            .paths
            .iter()
            .flat_map(|p| files(p))
            .filter(|p| only(&name, p))
            .collect();
        if paths.is_empty() {
            continue;
        }
        let summary = IngestRun::new(lake, &source.kind, &name, &source.settings)
            .unwrap()
            .ingest_paths(&paths)
            .await
            .unwrap();
        assert_eq!(summary.quarantined, 0, "{name}: {summary:?}");
    }
}

fn files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out: Vec<PathBuf> = std::fs::read_dir(path)
        .unwrap()
        .flat_map(|e| files(&e.unwrap().path()))
        .collect();
    out.sort();
    out
}
