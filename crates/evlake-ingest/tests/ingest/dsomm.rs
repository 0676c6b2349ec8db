//! The DSOMM app's own files (`../shared/fixtures/dsomm`, GPL-3.0 data read in place, never
//! copied): the model with and without the sample overlay, the legacy v3 file, the sample
//! progress in the older scalar `progressDefinition` form (whose `Planned` is commented out),
//! and the app's empty files.

use std::path::PathBuf;
use std::sync::Arc;

use evlake_core::FixedClock;
use evlake_ingest::IngestRun;
use evlake_store::Lake;
use serde_json::{Map, Value, json};

use super::{fixtures, rows};

fn dsomm(file: &str) -> PathBuf {
    fixtures("dsomm").join(file)
}

fn settings(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn lake() -> (Lake, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new("2026-11-02T06:00:00Z".parse().unwrap()));
    (
        Lake::open("memory://").unwrap().with_clock(clock.clone()),
        clock,
    )
}

#[tokio::test]
async fn the_model_imports_by_uuid_with_its_version_and_references_as_text() {
    let (lake, _) = lake();
    let run = IngestRun::new(lake.clone(), "dsomm", "dsomm", &Map::new()).unwrap();
    let summary = run
        .ingest_paths(&[dsomm("model-v4.3.1.yaml")])
        .await
        .unwrap();
    assert_eq!((summary.records, summary.quarantined), (194, 0));
    let shape = rows(
        &lake,
        "SELECT COUNT(DISTINCT dimension) AS dimensions, COUNT(DISTINCT sub_dimension) AS subs,
                COUNT(*) FILTER (WHERE level = 1) AS l1, COUNT(*) FILTER (WHERE level = 2) AS l2,
                COUNT(*) FILTER (WHERE level = 3) AS l3, COUNT(*) FILTER (WHERE level = 4) AS l4,
                COUNT(*) FILTER (WHERE level = 5) AS l5, MIN(model_version) AS version,
                MAX(model_version) AS same_version
         FROM dsomm_activities",
    )
    .await;
    assert_eq!(
        json!(shape),
        json!([{"dimensions": 5, "subs": 19, "l1": 26, "l2": 57, "l3": 61, "l4": 31, "l5": 19,
                "version": "4.3.1", "same_version": "4.3.1"}])
    );
    let inventory = rows(
        &lake,
        "SELECT dimension, sub_dimension, activity, level, \"references\", tags FROM dsomm_activities
         WHERE activity_uuid IN ('2a44b708-734f-4463-b0cb-86dc46344b2f', 'f0e01814-3b88-4bd0-a3a9-f91db001d20b-medium')
         ORDER BY activity_uuid",
    )
    .await;
    assert_eq!(
        inventory[0]["activity"],
        json!("Inventory of production components")
    );
    assert_eq!(
        (
            &inventory[0]["dimension"],
            &inventory[0]["sub_dimension"],
            &inventory[0]["level"]
        ),
        (
            &json!("Build and Deployment"),
            &json!("Deployment"),
            &json!(1)
        )
    );
    let references: Value =
        serde_json::from_str(inventory[0]["references"].as_str().unwrap()).unwrap();
    // `iso27001-2017: [8.1, 8.2]` are YAML floats in the file: kept as the controls' text.
    assert_eq!(references["iso27001-2017"], json!(["8.1", "8.2"]));
    assert_eq!(references["samm2"], json!(["I-SB-B-1", "D-TA-B-1"]));
    assert_eq!(inventory[0]["tags"], json!("[\"inventory\"]"));
    // Not an RFC 4122 UUID, and kept as written.
    assert_eq!(inventory.len(), 2, "{inventory:?}");
}

#[tokio::test]
async fn a_custom_overlay_adds_renames_moves_and_drops_activities_by_uuid_or_name() {
    let (lake, _) = lake();
    let config = settings(&[(
        "overlays",
        json!([{"file": dsomm("custom-activities.sample.yaml").display().to_string()}]),
    )]);
    let run = IngestRun::new(lake.clone(), "dsomm", "dsomm", &config).unwrap();
    let summary = run
        .ingest_paths(&[dsomm("model-v4.3.1.yaml")])
        .await
        .unwrap();
    // One activity added; SBOM of components dropped by name, then filed again by its UUID
    // under the custom dimension.
    assert_eq!((summary.records, summary.quarantined), (195, 0));
    let changed = rows(
        &lake,
        "SELECT activity_uuid, dimension, sub_dimension, activity, level FROM dsomm_activities
         WHERE activity_uuid IN ('11111111-1111-1111-1111-111111111111',
           'f6f7737f-25a9-4317-8de2-09bf59f29b5b', '2858ac12-0179-40d9-9acf-1b839c030473')
         ORDER BY activity_uuid",
    )
    .await;
    assert_eq!(
        json!(changed),
        json!([
            {"activity_uuid": "11111111-1111-1111-1111-111111111111", "dimension": "Build and Deployment",
             "sub_dimension": "Build", "activity": "New CUSTOM activity", "level": 1},
            {"activity_uuid": "2858ac12-0179-40d9-9acf-1b839c030473", "dimension": "New CUSTOM dimension",
             "sub_dimension": "CUSTOM sub-dimension", "activity": "Re-classify SBOM activity to CUSTOM dimension", "level": 2},
            {"activity_uuid": "f6f7737f-25a9-4317-8de2-09bf59f29b5b", "dimension": "Build and Deployment",
             "sub_dimension": "Build", "activity": "Defined OUR build process", "level": 1},
        ])
    );
}

#[tokio::test]
async fn the_sample_progress_keeps_every_state_with_its_date_and_reports_unknown_titles_and_teams()
{
    let (lake, _) = lake();
    let config = settings(&[
        (
            "meta_file",
            json!(dsomm("meta.v4-base-2025-09.yaml").display().to_string()),
        ),
        (
            "teams_file",
            json!(dsomm("teams.yaml").display().to_string()),
        ),
    ]);
    let run = IngestRun::new(lake.clone(), "dsomm", "dsomm", &config).unwrap();
    let summary = run
        .ingest_paths(&[
            dsomm("team-progress.sample.yaml"),
            dsomm("team-progress.empty.yaml"),
            dsomm("team-evidence.empty.yaml"),
        ])
        .await
        .unwrap();
    // 76 states of 9 activities; the empty files hold nothing.
    assert_eq!(
        (summary.files, summary.records, summary.quarantined),
        (3, 76, 0)
    );
    let counts = rows(
        &lake,
        "SELECT COUNT(*) AS states, COUNT(*) FILTER (WHERE progress_pct IS NULL) AS unscored,
                COUNT(*) FILTER (WHERE progress_state = 'Planned') AS planned,
                COUNT(DISTINCT team) FILTER (WHERE NOT known_team) AS unknown_teams,
                COUNT(DISTINCT activity_uuid) AS activities
         FROM dsomm_progress",
    )
    .await;
    // `Planned` is commented out of that meta's definition: kept, unscored, as the app ignores it.
    assert_eq!(
        json!(counts),
        json!([{"states": 76, "unscored": 34, "planned": 34, "unknown_teams": 1, "activities": 9}])
    );
    // (The rows' JSON leaves out null columns: an unscored state has no `progress_pct`.)
    let team_d = rows(
        &lake,
        "SELECT progress_state, progress_pct, CAST(entered_at AS VARCHAR) AS entered_at, known_team
         FROM dsomm_progress WHERE activity_uuid = 'a340f46b-6360-4cb8-847b-a0d3483d09d3'
           AND team IN ('Team D', 'Not referenced') ORDER BY team, entered_at",
    )
    .await;
    assert_eq!(
        json!(team_d),
        json!([
            {"progress_state": "Planned", "entered_at": "2000-01-01T00:00:00Z", "known_team": false},
            {"progress_state": "Started", "progress_pct": 0.3, "entered_at": "2000-07-01T00:00:00Z", "known_team": false},
            {"progress_state": "Implemented", "progress_pct": 1.0, "entered_at": "2000-12-31T00:00:00Z", "known_team": false},
            {"progress_state": "Planned", "entered_at": "2025-04-01T00:00:00Z", "known_team": true},
            {"progress_state": "Implemented", "progress_pct": 1.0, "entered_at": "2025-05-01T00:00:00Z", "known_team": true},
        ])
    );
}

#[tokio::test]
async fn the_legacy_v3_file_imports_its_model_and_flags_with_no_dates_and_current_meta_needs_its_teams()
 {
    let (lake, _) = lake();
    let run = IngestRun::new(lake.clone(), "dsomm", "dsomm", &Map::new()).unwrap();
    let summary = run
        .ingest_paths(&[dsomm("legacy-generated-v1.17.0.yaml")])
        .await
        .unwrap();
    // Every `teamsImplemented` flag of the upstream file is false: no state entered.
    assert_eq!((summary.records, summary.quarantined), (190, 0));
    let versions = rows(&lake, "SELECT DISTINCT model_version FROM dsomm_activities").await;
    assert_eq!(json!(versions), json!([{"model_version": "legacy"}]));
    let subs = rows(
        &lake,
        "SELECT COUNT(*) AS n FROM dsomm_activities WHERE sub_dimension = 'Test-Intensity'",
    )
    .await;
    assert_eq!(subs[0]["n"], json!(5));

    // The current meta's teams are a `$ref` into the app's assets directory, which the
    // fixtures do not have: the error says which file and how to point at it.
    let meta = settings(&[("meta_file", json!(dsomm("meta.yaml").display().to_string()))]);
    let Err(e) = IngestRun::new(lake.clone(), "dsomm", "dsomm", &meta) else {
        panic!("a $ref to a missing teams file is an error")
    };
    let e = e.to_string();
    assert!(
        e.contains("meta.yaml") && e.contains("default/teams.yaml") && e.contains("teams_file"),
        "{e}"
    );
    let meta = settings(&[
        ("meta_file", json!(dsomm("meta.yaml").display().to_string())),
        (
            "teams_file",
            json!(dsomm("teams.yaml").display().to_string()),
        ),
    ]);
    assert!(IngestRun::new(lake, "dsomm", "dsomm", &meta).is_ok());
}

#[tokio::test]
async fn a_legacy_flag_set_is_the_completed_state_with_its_date_unknown_and_bad_entries_are_quarantined()
 {
    let (lake, _) = lake();
    let dir = tempfile::tempdir().unwrap();
    let legacy = dir.path().join("generated.yaml");
    std::fs::write(
        &legacy,
        "Build and Deployment:\n  Build:\n    Defined build process:\n      uuid: f6f7737f-25a9-4317-8de2-09bf59f29b5b\n      level: 1\n      teamsImplemented:\n        Default: false\n        B: true\n      teamsEvidence:\n        B: 'pipeline: .github/workflows/ci.yml'\n    No level:\n      uuid: x-1\n",
    )
    .unwrap();
    let progress = dir.path().join("team-progress.yaml");
    std::fs::write(
        &progress,
        "progress:\n  f6f7737f-25a9-4317-8de2-09bf59f29b5b:  # Defined build process\n    'B':\n      'Started': 2026-01-05\n      'Fully implemented': 'soon'\n    'C':\n      'Fully implemented': 2026-02-01T10:00:00Z\n",
    )
    .unwrap();
    let run = IngestRun::new(lake.clone(), "dsomm", "dsomm", &Map::new()).unwrap();
    let summary = run.ingest_paths(&[legacy, progress]).await.unwrap();
    // The activity, its flag and its evidence; two states; an activity without a level and
    // a state dated `soon` quarantined.
    assert_eq!((summary.records, summary.quarantined), (5, 2));
    let states = rows(
        &lake,
        "SELECT team, progress_state, progress_pct, CAST(entered_at AS VARCHAR) AS entered_at
         FROM dsomm_progress ORDER BY team, progress_state",
    )
    .await;
    assert_eq!(
        json!(states),
        json!([
            {"team": "B", "progress_state": "Fully implemented", "progress_pct": 1.0},
            {"team": "B", "progress_state": "Started", "progress_pct": 0.2, "entered_at": "2026-01-05T00:00:00Z"},
            {"team": "C", "progress_state": "Fully implemented", "progress_pct": 1.0, "entered_at": "2026-02-01T10:00:00Z"},
        ])
    );
    let reasons = rows(
        &lake,
        "SELECT location, reason FROM _quarantine ORDER BY location",
    )
    .await;
    assert!(
        reasons[0]["reason"]
            .as_str()
            .unwrap()
            .contains("has no level"),
        "{reasons:?}"
    );
    assert!(
        reasons[1]["location"]
            .as_str()
            .unwrap()
            .ends_with("#/progress/f6f7737f-25a9-4317-8de2-09bf59f29b5b/B/Fully implemented"),
        "{reasons:?}"
    );
    let evidence = rows(&lake, "SELECT teams, description FROM dsomm_evidence").await;
    assert_eq!(
        json!(evidence),
        json!([{"teams": "[\"B\"]", "description": "pipeline: .github/workflows/ci.yml"}])
    );
}
