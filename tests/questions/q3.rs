//! q3: the asset inventory as it stood 30 days before, against the planted truth: which
//! snapshot is read (one second before and after one, a missed day, known-at before a late
//! snapshot was ingested), the decommissioned and the added service, and the services the
//! inventory forgot.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use evlake_core::FixedClock;
use evlake_ingest::{IngestConfig, IngestRun};
use evlake_query::{Answer, QuerySession, Verdict};
use evlake_store::Lake;
use evlake_synth::{Maturity, Truth, ingest_config};
use serde_json::{Value, json};

use super::{end_of, ingest, organisation_of};

/// The sources q3 reads: the catalog, AWS Config, the Jira reviews, and the activity it
/// checks them against.
fn inventory_source(name: &str) -> bool {
    matches!(name, "github" | "falco" | "catalog" | "aws-config" | "jira")
}

/// What q3 must answer as of `as_of`, from the truth; `known(t)` says whether the snapshot
/// taken at `t` was ingested by the answer's known-at.
pub(crate) struct Expected {
    verdict: Verdict,
    level: u8,
    metrics: serde_json::Map<String, Value>,
    production: BTreeSet<String>,
    /// The production assets whose last review is a Jira issue.
    jira_reviewed: BTreeSet<String>,
    /// Each production asset's last security review by $snapshot_at, if any.
    reviews: BTreeMap<String, Option<DateTime<Utc>>>,
    findings: BTreeSet<(String, String)>,
}

fn round1(seconds: i64) -> Value {
    json!((seconds as f64 / 360.0).round() / 10.0)
}

/// The verdict and level q3 must give as of `as_of`, everything ingested.
pub(crate) fn planted(truth: &Truth, as_of: DateTime<Utc>) -> (Verdict, u8) {
    let want = expected(truth, as_of, |_| true);
    (want.verdict, want.level)
}

pub(crate) fn expected(
    truth: &Truth,
    as_of: DateTime<Utc>,
    known: impl Fn(DateTime<Utc>) -> bool,
) -> Expected {
    let mut want = at_one_instant(truth, as_of, &known);
    // Level 4: level 3 held as of T, T - 30 d and T - 60 d (counting stops at the first
    // period below it).
    let periods_held = if want.level < 3 {
        0
    } else {
        (1..3)
            .take_while(|k| {
                at_one_instant(truth, as_of - Duration::days(30 * k), &known).level >= 3
            })
            .count() as u64
            + 1
    };
    want.metrics
        .insert("periods_held".to_string(), json!(periods_held));
    if periods_held == 3 {
        want.level = 4;
    }
    want
}

/// What q3 must answer as of `as_of` up to level 3: the inventory at one instant.
fn at_one_instant(
    truth: &Truth,
    as_of: DateTime<Utc>,
    known: &impl Fn(DateTime<Utc>) -> bool,
) -> Expected {
    let inv = &truth.inventory;
    let snapshot_at = as_of - Duration::days(30);
    let evidence_start = as_of - Duration::days(97);
    let lookback_start = as_of - Duration::days(90);
    let snapshot = inv
        .snapshots
        .iter()
        .copied()
        .filter(|t| *t > evidence_start && *t <= snapshot_at && known(*t))
        .max();
    let listed_in = |a: &evlake_synth::AssetTruth, s: DateTime<Utc>| {
        a.listed_from <= s && a.listed_until.is_none_or(|u| s < u)
    };
    let listed: Vec<_> = inv
        .assets
        .iter()
        .filter(|a| match a.asset_kind.as_str() {
            "component" => snapshot.is_some_and(|s| listed_in(a, s)),
            _ => listed_in(a, snapshot_at),
        })
        .collect();
    let production: Vec<_> = listed.iter().filter(|a| a.production).collect();
    // An annotation names the last review up to the snapshot it is in; a Jira review counts
    // once resolved, by $snapshot_at.
    let review = |a: &evlake_synth::AssetTruth| {
        let by = if a.jira_reviews {
            snapshot_at
        } else {
            snapshot?
        };
        a.reviews.iter().rfind(|r| **r <= by).copied()
    };
    let review_age = |a: &evlake_synth::AssetTruth| {
        Some((snapshot_at - review(a)?).num_seconds().div_euclid(86400))
    };
    let mut findings = BTreeSet::new();
    let (mut without_owner, mut unresolvable, mut without_review, mut stale) = (0, 0, 0, 0);
    for a in &production {
        // An owner resolves to a group of the catalog: with no snapshot, to none.
        let resolves = a.owner_staffed && snapshot.is_some();
        let finding = if a.owner.is_none() {
            without_owner += 1;
            Some("without_owner")
        } else if !resolves {
            unresolvable += 1;
            Some("owner_unresolvable")
        } else if a.asset_kind == "component" && review_age(a).is_none() {
            without_review += 1;
            Some("without_review")
        } else if review_age(a).is_some_and(|d| d > 365) {
            stale += 1;
            Some("review_stale")
        } else {
            None
        };
        if let Some(f) = finding {
            findings.insert((a.name.clone(), f.to_string()));
        }
    }
    let active_after = |service: &str, after: DateTime<Utc>| {
        inv.activity[service]
            .iter()
            .any(|t| *t > after && *t > snapshot_at - Duration::days(30) && *t <= snapshot_at)
    };
    let mut shadow = 0;
    for service in &inv.shadow {
        if active_after(service, evidence_start) {
            shadow += 1;
            findings.insert((service.clone(), "shadow_service".to_string()));
        }
    }
    let mut decommissioned = 0;
    let in_names = |name: &str| listed.iter().any(|a| a.name == name);
    for a in inv
        .assets
        .iter()
        .filter(|a| a.asset_kind == "component" && a.listed_until.is_some())
    {
        if in_names(&a.name) {
            continue;
        }
        let last_listed = inv
            .snapshots
            .iter()
            .copied()
            .filter(|t| *t > evidence_start && *t <= snapshot_at && known(*t) && listed_in(a, *t))
            .chain(
                inv.assets
                    .iter()
                    .filter(|r| r.name == a.name && r.asset_kind == "aws_resource")
                    .filter_map(|r| r.listed_until)
                    .filter(|u| *u > evidence_start && *u <= snapshot_at),
            )
            .max();
        if let Some(last) = last_listed
            && inv.activity.contains_key(&a.name)
            && active_after(&a.name, last)
        {
            decommissioned += 1;
            findings.insert((a.name.clone(), "decommissioned_deploying".to_string()));
        }
    }
    let resources = listed
        .iter()
        .filter(|a| a.asset_kind == "aws_resource")
        .count() as u64;
    let components = listed.len() as u64 - resources;
    let inventory_assets = resources + snapshot.map_or(0, |_| components + inv.directory_entities);
    let snapshot_age = snapshot.map(|s| round1((snapshot_at - s).num_seconds()));
    let instants: Vec<DateTime<Utc>> = inv
        .snapshots
        .iter()
        .copied()
        .filter(|t| *t > lookback_start && *t <= as_of && known(*t))
        .collect();
    let max_gap = (!instants.is_empty()).then(|| {
        let mut edges = vec![lookback_start];
        edges.extend(&instants);
        edges.push(as_of);
        let gap = edges
            .windows(2)
            .map(|w| (w[1] - w[0]).num_seconds())
            .max()
            .unwrap();
        round1(gap)
    });
    // What the inventory is checked against: the production deploys and the runtime alerts of
    // the 30 days up to $snapshot_at.
    let in_activity_window =
        |t: DateTime<Utc>| t > snapshot_at - Duration::days(30) && t <= snapshot_at;
    let deployments_seen = truth
        .deployed
        .iter()
        .filter(|d| in_activity_window(d.event_time))
        .count() as u64;
    let alerts_seen = truth
        .runtime
        .alerts
        .iter()
        .filter(|a| a.alert_time > evidence_start && in_activity_window(a.alert_time))
        .count() as u64;
    let activity_records = deployments_seen + alerts_seen;
    let production_assets = production.len() as u64;
    let verdict = if inventory_assets == 0 {
        Verdict::NoData
    } else if shadow > 0 {
        Verdict::Contradicted
    } else if production_assets > 0 {
        Verdict::Evidenced
    } else {
        Verdict::NotEvidenced
    };
    let age_ok = snapshot_age
        .as_ref()
        .is_some_and(|a| a.as_f64().unwrap() <= 26.0);
    let gap_ok = max_gap
        .as_ref()
        .is_some_and(|g| g.as_f64().unwrap() <= 50.0);
    let levels = [
        production_assets > 0,
        age_ok && without_owner == 0,
        gap_ok
            && activity_records > 0
            && unresolvable == 0
            && without_review == 0
            && stale == 0
            && shadow == 0
            && decommissioned == 0,
    ];
    let metrics = json!({
        "inventory_assets": inventory_assets,
        "snapshot_age_hours": snapshot_age,
        "max_snapshot_gap_hours": max_gap,
        "production_assets": production_assets,
        "without_owner": without_owner,
        "owner_unresolvable": unresolvable,
        "without_review": without_review,
        "review_stale": stale,
        "activity_records": activity_records,
        "deployments_seen": deployments_seen,
        "alerts_seen": alerts_seen,
        "shadow_services": shadow,
        "decommissioned_deploying": decommissioned,
    });
    Expected {
        verdict,
        level: levels.iter().take_while(|l| **l).count() as u8,
        metrics: metrics.as_object().unwrap().clone(),
        production: production.iter().map(|a| a.asset_id.clone()).collect(),
        reviews: production
            .iter()
            .map(|a| (a.asset_id.clone(), review(a)))
            .collect(),
        jira_reviewed: production
            .iter()
            .filter(|a| a.jira_reviews && review(a).is_some())
            .map(|a| a.asset_id.clone())
            .collect(),
        findings,
    }
}

pub(crate) fn assert_matches(answer: &Answer, want: &Expected, what: &str) {
    for (name, value) in &want.metrics {
        let got = &answer.metrics[name];
        let same = match (got.as_f64(), value.as_f64()) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            _ => got == value,
        };
        assert!(
            same,
            "{what}: {name} is {got}, the truth says {value}; {:?}",
            answer.metrics
        );
    }
    assert_eq!(
        (answer.verdict, answer.level),
        (want.verdict, want.level),
        "{what}: {:?}",
        answer.metrics
    );
    let production: BTreeSet<String> = answer
        .evidence
        .iter()
        .filter_map(|r| r["asset_id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(production, want.production, "{what}");
    let jira_reviewed: BTreeSet<String> = answer
        .evidence
        .iter()
        .filter(|r| {
            r["review_source"]
                .as_str()
                .is_some_and(|s| s.starts_with("jira:SECREV-"))
        })
        .filter_map(|r| r["asset_id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        jira_reviewed, want.jira_reviewed,
        "{what}: reviews from Jira"
    );
    let reviews: BTreeMap<String, Option<DateTime<Utc>>> = answer
        .evidence
        .iter()
        .filter_map(|r| {
            let review = r["last_security_review"]
                .as_str()
                .map(|t| t.parse().unwrap());
            Some((r["asset_id"].as_str()?.to_string(), review))
        })
        .collect();
    assert_eq!(reviews, want.reviews, "{what}: last security reviews");
    let findings: BTreeSet<(String, String)> = answer
        .evidence
        .iter()
        .filter_map(|r| {
            Some((
                r["name"].as_str()?.to_string(),
                r["finding"].as_str()?.to_string(),
            ))
        })
        .collect();
    assert_eq!(findings, want.findings, "{what}");
    // One row per production asset and per forgotten service: none twice.
    let forgotten = want.metrics["shadow_services"].as_u64().unwrap()
        + want.metrics["decommissioned_deploying"].as_u64().unwrap();
    assert_eq!(
        answer.evidence.len() as u64,
        want.production.len() as u64 + forgotten,
        "{what}"
    );
    // Every service the inventory forgot carries the record that shows it ran: its last
    // deployment or alert in the period, within it.
    for row in answer.evidence.iter().filter(|r| r["asset_id"].is_null()) {
        for field in [
            "source",
            "source_id",
            "record_sha256",
            "ingested_at",
            "seen_in",
        ] {
            assert!(row[field].is_string(), "{what}: {field} of {row:?}");
        }
        let seen_in = row["seen_in"].as_str().unwrap();
        let source = row["source"].as_str().unwrap();
        let kinds: &[&str] = match seen_in {
            "deployments" => &["github-actions", "gitlab-ci"],
            "runtime_alerts" => &["falco", "tetragon"],
            _ => &["github-actions", "gitlab-ci", "falco", "tetragon"],
        };
        assert!(kinds.contains(&source), "{what}: {row:?}");
    }
    // Every production asset says where it came from.
    for row in answer.evidence.iter().filter(|r| r["asset_id"].is_string()) {
        for field in [
            "observed_at",
            "source_id",
            "record_sha256",
            "ingested_at",
            "source_ref",
        ] {
            assert!(row[field].is_string(), "{what}: {field} of {row:?}");
        }
    }
}

#[tokio::test]
async fn q3_equals_the_planted_truth_for_several_seeds_and_dates() {
    for seed in [5, 2026] {
        let dir = tempfile::tempdir().unwrap();
        let truth = organisation_of(dir.path(), seed, 12, 100, Maturity::Advisory);
        let inv = &truth.inventory;
        assert_eq!(
            inv.missed_day.map(|d| d.to_string()).as_deref(),
            Some("2026-10-11")
        );
        let lake = Lake::open("memory://").unwrap();
        ingest(&lake, dir.path(), |name, _| inventory_source(name)).await;
        let session = QuerySession::builder(lake).build().await.unwrap();
        let after_missed = end_of("2026-10-12T06:00:00Z") + Duration::days(30);
        for (what, as_of) in [
            ("the end", end_of("2026-11-20")),
            (
                "the decommissioned service gone, the other not yet",
                end_of("2026-11-01"),
            ),
            (
                "a resource deleted, its catalog entry still in the last snapshot",
                end_of("2026-11-05T05:30:00Z"),
            ),
            ("the snapshot after the missed day", after_missed),
            (
                "one second before it: two days old",
                after_missed - Duration::seconds(1),
            ),
            ("before any snapshot, resources only", end_of("2026-09-01")),
            ("before anything", end_of("2026-08-01")),
        ] {
            let answer = session.ask("q3", Some(as_of), None).await.unwrap();
            let want = expected(&truth, as_of, |_| true);
            assert_matches(&answer, &want, &format!("seed {seed}, {what}"));
        }
        // The end: every plant found, and the service added after T - 30 d is nowhere.
        let answer = session
            .ask("q3", Some(end_of("2026-11-20")), None)
            .await
            .unwrap();
        assert_eq!(answer.verdict, Verdict::Contradicted);
        assert_eq!(answer.metrics["shadow_services"], 1);
        assert_eq!(answer.metrics["decommissioned_deploying"], 1);
        assert!(
            !answer
                .evidence
                .iter()
                .any(|r| r["name"] == "svc-new" || r["name"] == "svc-retired"),
            "svc-new was added after, svc-retired removed before T - 30 d"
        );
        let before = session
            .ask("q3", Some(end_of("2026-11-01")), None)
            .await
            .unwrap();
        assert!(
            before
                .evidence
                .iter()
                .any(|r| r["asset_id"] == "component:default/svc-0006")
        );
        assert_eq!(before.metrics["decommissioned_deploying"], 0);
    }
}

#[tokio::test]
async fn known_at_before_a_late_snapshot_was_ingested_reads_the_one_before() {
    let dir = tempfile::tempdir().unwrap();
    let truth = organisation_of(dir.path(), 11, 12, 100, Maturity::Enforced);
    let lake = Lake::open("memory://").unwrap();
    // Everything but the catalog is in the lake by 2026-10-21 (what happened after that lies
    // past every instant this test asks about).
    let by = Arc::new(FixedClock::new(end_of("2026-10-21T00:00:00Z")));
    ingest(&lake.clone().with_clock(by), dir.path(), |name, _| {
        inventory_source(name) && name != "catalog"
    })
    .await;
    // The catalog archiver ran ten minutes after each snapshot, but 2026-10-20's was ingested
    // five days late.
    let late = end_of("2026-10-20T06:00:00Z");
    let ingested = |t: DateTime<Utc>| {
        if t == late {
            t + Duration::days(5)
        } else {
            t + Duration::minutes(10)
        }
    };
    let config = IngestConfig::load(&ingest_config(dir.path())).unwrap();
    let catalog = &config.sources["catalog"];
    let mut order: Vec<DateTime<Utc>> = truth.inventory.snapshots.clone();
    order.sort_by_key(|t| ingested(*t));
    for t in order {
        let at = Arc::new(FixedClock::new(ingested(t)));
        let path = dir
            .path()
            .join("backstage")
            .join(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let summary = IngestRun::new(
            lake.clone().with_clock(at),
            "backstage",
            "catalog",
            &catalog.settings,
        )
        .unwrap()
        .ingest_paths(&[path])
        .await
        .unwrap();
        assert_eq!(summary.quarantined, 0);
    }
    let session = QuerySession::builder(lake).build().await.unwrap();
    let as_of = late + Duration::days(30) + Duration::hours(6);
    for known_at in [late + Duration::days(4), late + Duration::days(6)] {
        let answer = session
            .ask("q3", Some(as_of), Some(known_at))
            .await
            .unwrap();
        let want = expected(&truth, as_of, |t| ingested(t) <= known_at);
        assert_matches(&answer, &want, &format!("known at {known_at}"));
    }
    let stale = session
        .ask("q3", Some(as_of), Some(late + Duration::days(4)))
        .await
        .unwrap();
    let fresh = session
        .ask("q3", Some(as_of), Some(late + Duration::days(6)))
        .await
        .unwrap();
    assert_eq!(
        stale.metrics["snapshot_age_hours"], 30.0,
        "the snapshot before, a day older"
    );
    assert_eq!(fresh.metrics["snapshot_age_hours"], 6.0);
    // The late snapshot's rows say they were backfilled; the one before, archived ten minutes
    // after it was taken, does not.
    let catalog_late = |answer: &Answer| -> BTreeSet<bool> {
        answer
            .evidence
            .iter()
            .filter(|r| r["source"] == "backstage")
            .map(|r| r["late"].as_bool().unwrap())
            .collect()
    };
    assert_eq!(catalog_late(&fresh), BTreeSet::from([true]));
    assert_eq!(catalog_late(&stale), BTreeSet::from([false]));
    // Known at a date before $as_of, the lake knows no snapshot after it: the days from the
    // last one it knows to $as_of count as a gap (unknown is not evidence of a fresh catalog).
    assert_eq!(
        stale.metrics["max_snapshot_gap_hours"], 654.0,
        "10-23 06:00 to 11-19 12:00"
    );
    assert_eq!(
        fresh.metrics["max_snapshot_gap_hours"], 606.0,
        "10-25 06:00 to 11-19 12:00"
    );
    assert_eq!(
        (stale.verdict, stale.level),
        (Verdict::Evidenced, 1),
        "a day-old snapshot"
    );
    assert_eq!(
        (fresh.verdict, fresh.level),
        (Verdict::Evidenced, 2),
        "fresh, but a gap"
    );
}

/// The generated directory holds what the generator's truth counts.
#[test]
fn the_generated_inventory_is_in_the_vendors_layout() {
    let dir = tempfile::tempdir().unwrap();
    let truth = organisation_of(dir.path(), 5, 12, 100, Maturity::Advisory);
    let days: Vec<_> = std::fs::read_dir(dir.path().join("backstage"))
        .unwrap()
        .collect();
    assert_eq!(days.len(), truth.inventory.snapshots.len());
    assert_eq!(days.len(), 99, "100 days, one missed");
    let history = dir
        .path()
        .join("aws-config/AWSLogs/123456789012/Config/eu-west-1/2026/10/6/ConfigHistory");
    assert!(
        Path::new(&history).is_dir(),
        "unpadded month and day, as AWS writes them"
    );
}

#[tokio::test]
async fn a_review_in_the_review_register_is_the_last_review_of_the_service_it_names() {
    let dir = tempfile::tempdir().unwrap();
    organisation_of(dir.path(), 5, 12, 100, Maturity::Advisory);
    let lake = Lake::open("memory://").unwrap();
    ingest(&lake, dir.path(), |name, _| inventory_source(name)).await;
    let ask = |lake: Lake| async move {
        let session = QuerySession::builder(lake).build().await.unwrap();
        session
            .ask("q3", Some(end_of("2026-11-20")), None)
            .await
            .unwrap()
    };
    let before = ask(lake.clone()).await;
    // A production component the inventory says was never reviewed.
    let unreviewed = before
        .evidence
        .iter()
        .find(|r| r["finding"] == "without_review")
        .expect("the generator plants a service without a review");
    let name = unreviewed["name"].as_str().unwrap().to_string();
    let register = dir.path().join("reviews.csv");
    std::fs::write(
        &register,
        format!(
            "id,service,completed,reviewer\nREV-7,{},2026-10-01,AppSec Board\n",
            name.to_uppercase()
        ),
    )
    .unwrap();
    IngestRun::new(
        lake.clone(),
        "review-register",
        "reviews",
        &Default::default(),
    )
    .unwrap()
    .ingest_paths(&[register])
    .await
    .unwrap();
    let after = ask(lake).await;
    let row = after
        .evidence
        .iter()
        .find(|r| r["name"] == name.as_str() && r["asset_id"].is_string())
        .unwrap();
    assert_eq!(row["review_source"], "review-register:REV-7", "{row:?}");
    assert_eq!(row["last_security_review"], "2026-10-01T23:59:59.999999Z");
    // $snapshot_at is 2026-10-21T23:59:59.999999Z: twenty days after the review's day ended.
    assert_eq!(row["review_age_days"], 20);
    assert!(row.get("finding").is_none_or(Value::is_null), "{row:?}");
    assert_eq!(
        after.metrics["without_review"].as_u64().unwrap(),
        before.metrics["without_review"].as_u64().unwrap() - 1
    );
}

#[tokio::test]
async fn without_deployments_or_alerts_no_inventory_is_shown_to_miss_nothing() {
    // An organisation whose inventory reaches level 3 when its CI and Falco evidence is in
    // the lake (the rungs test): with the catalog, AWS Config and the reviews alone, nothing
    // shows that no service ran outside the inventory, so it stops at level 2.
    let dir = tempfile::tempdir().unwrap();
    let truth = organisation_of(dir.path(), 15, 12, 95, Maturity::Enforced);
    let as_of = end_of("2026-11-20");
    let whole = at_one_instant(&truth, as_of, &|_| true);
    assert_eq!((whole.verdict, whole.level), (Verdict::Evidenced, 3));
    let lake = Lake::open("memory://").unwrap();
    ingest(&lake, dir.path(), |name, _| {
        matches!(name, "catalog" | "aws-config" | "jira")
    })
    .await;
    let session = QuerySession::builder(lake).build().await.unwrap();
    let answer = session.ask("q3", Some(as_of), None).await.unwrap();
    for (metric, value) in [
        ("activity_records", 0),
        ("deployments_seen", 0),
        ("alerts_seen", 0),
        ("shadow_services", 0),
    ] {
        assert_eq!(
            answer.metrics[metric], value,
            "{metric}: {:?}",
            answer.metrics
        );
    }
    // Everything else level 3 asks of the inventory holds as it did with the activity in.
    for metric in [
        "max_snapshot_gap_hours",
        "owner_unresolvable",
        "without_review",
        "review_stale",
        "decommissioned_deploying",
    ] {
        assert_eq!(answer.metrics[metric], whole.metrics[metric], "{metric}");
    }
    assert_eq!(
        (answer.verdict, answer.level),
        (Verdict::Evidenced, 2),
        "{:?}",
        answer.metrics
    );
}

#[tokio::test]
async fn a_service_listed_only_by_an_incomplete_snapshot_is_still_a_shadow_service() {
    let dir = tempfile::tempdir().unwrap();
    let truth = organisation_of(dir.path(), 5, 12, 100, Maturity::Advisory);
    let as_of = end_of("2026-11-20");
    let shadow = truth.inventory.shadow[0].clone();
    let listed_at: DateTime<Utc> = "2026-09-22T06:00:00Z".parse().unwrap();
    assert!(
        truth.inventory.activity[&shadow]
            .iter()
            .any(|t| *t > listed_at && *t <= as_of - Duration::days(30)),
        "{shadow} runs after the archived export"
    );
    let lake = Lake::open("memory://").unwrap();
    ingest(&lake, dir.path(), |name, _| inventory_source(name)).await;
    // An archived export of another catalog that lists the shadow service, whose second page
    // was cut off: quarantined, so the export is no complete snapshot and lists nothing.
    let archive = dir.path().join("catalog-archive/2026-09-22T06:00:00Z");
    std::fs::create_dir_all(&archive).unwrap();
    let entity = json!({"items": [{
        "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
        "metadata": {"name": shadow, "namespace": "default"},
        "spec": {"type": "service", "lifecycle": "production", "owner": "group:default/payments"},
    }]});
    std::fs::write(archive.join("page-1.json"), entity.to_string()).unwrap();
    std::fs::write(archive.join("page-2.json"), r#"{"items": [{"kind": "Comp"#).unwrap();
    let summary = IngestRun::new(
        lake.clone(),
        "backstage",
        "catalog-archive",
        &Default::default(),
    )
    .unwrap()
    .ingest_paths(&[dir.path().join("catalog-archive")])
    .await
    .unwrap();
    assert_eq!(
        (
            summary.records,
            summary.quarantined,
            summary.incomplete_snapshots
        ),
        (1, 1, 1)
    );
    let session = QuerySession::builder(lake).build().await.unwrap();
    let answer = session.ask("q3", Some(as_of), None).await.unwrap();
    assert_matches(
        &answer,
        &expected(&truth, as_of, |_| true),
        "an incomplete export",
    );
    let row = answer
        .evidence
        .iter()
        .find(|r| r["name"] == json!(shadow))
        .unwrap();
    assert_eq!(row["finding"], "shadow_service", "{row:?}");
    assert!(row["observed_at"].is_null(), "never listed: {row:?}");
}
