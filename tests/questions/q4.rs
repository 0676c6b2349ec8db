//! q4: the permissions of every engineer overdue on security training, against the planted
//! truth: the group-held administrator, the revoked admin role, grant → revoke → grant around
//! T, the valid and the expired exception, the identity only an alias maps, the unmapped
//! break-glass user, an expired certificate, a leaver — at instants between the events.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use evlake_query::{Answer, QuerySession, Verdict};
use evlake_store::Lake;
use evlake_synth::{Maturity, Truth};
use serde_json::{Value, json};

use super::{end_of, ingest, organisation_of};

/// The sources q4 reads.
fn access_source(name: &str) -> bool {
    matches!(
        name,
        "hr" | "lms" | "aws-iam" | "cloudtrail" | "okta" | "gcp" | "register"
    )
}

const WINDOW_DAYS: i64 = 365;
const LOOKBACK_DAYS: i64 = 90;
const REVOKE_WITHIN_DAYS: i64 = 14;
const STALE_AFTER_DAYS: i64 = 2;
const PEOPLE_MAX_AGE_DAYS: f64 = 35.0;

/// One overdue person as q4 must show them.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    class: &'static str,
    privileged: bool,
    last_training: Option<DateTime<Utc>>,
    overdue_days: Option<f64>,
    permissions: Vec<String>,
    privileged_permissions: Vec<String>,
    exception_id: Option<String>,
}

struct Expected {
    verdict: Verdict,
    level: u8,
    metrics: serde_json::Map<String, Value>,
    rows: BTreeMap<String, Row>,
}

fn round(x: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    (x * k).round() / k
}

/// When a person's security training stopped counting, as of `t`: the latest of each
/// completion's year or expiry, over the completions at or before `t`.
fn lapse(truth: &Truth, person: &str, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    truth
        .access
        .training
        .iter()
        .filter(|c| c.security && c.person == person && c.completed_at <= t)
        .map(|c| {
            let year = c.completed_at + Duration::days(WINDOW_DAYS);
            c.expires_at.map_or(year, |x| x.min(year))
        })
        .max()
}

fn at_one_instant(truth: &Truth, t: DateTime<Utc>) -> Expected {
    let access = &truth.access;
    let hr = access
        .hr_snapshots
        .iter()
        .filter(|s| **s <= t)
        .max()
        .copied();
    let snapshot = access.iam_snapshots.iter().any(|(s, _)| *s <= t);
    let in_scope: Vec<&str> = match hr {
        None => Vec::new(),
        Some(hr) => access
            .people
            .iter()
            .filter(|p| p.engineer && p.left_at.is_none_or(|l| l > hr))
            .map(|p| p.person.as_str())
            .collect(),
    };
    let visible = |h: &&evlake_synth::HeldTruth| h.held_at(t) && (snapshot || !h.snapshots_only);
    let order = |h: &evlake_synth::HeldTruth| {
        (
            h.provider.clone(),
            h.scope.clone(),
            h.kind.clone(),
            h.name.clone(),
            h.via.clone(),
        )
    };
    let exception = |person: &str| {
        access
            .exceptions
            .iter()
            .filter(|x| x.person == person && x.created <= t && x.expires > t)
            .max_by_key(|x| x.expires)
    };
    let mut rows = BTreeMap::new();
    let mut trained = 0u64;
    for person in &in_scope {
        let current = access.training.iter().any(|c| {
            c.security
                && c.person == *person
                && c.completed_at <= t
                && c.completed_at > t - Duration::days(WINDOW_DAYS)
                && c.expires_at.is_none_or(|x| x > t)
        });
        if current {
            trained += 1;
            continue;
        }
        let mut held: Vec<&evlake_synth::HeldTruth> = access
            .held
            .iter()
            .filter(visible)
            .filter(|h| h.person.as_deref() == Some(*person))
            .collect();
        held.sort_by_key(|h| order(h));
        let privileged = held.iter().any(|h| h.privileged);
        let covered = exception(person);
        let last_training = access
            .training
            .iter()
            .filter(|c| c.security && c.person == *person && c.completed_at <= t)
            .map(|c| c.completed_at)
            .max();
        rows.insert(
            person.to_string(),
            Row {
                class: match (privileged, covered) {
                    (true, None) => "privileged_unexcepted",
                    (true, Some(_)) => "excepted",
                    _ => "overdue",
                },
                privileged,
                last_training,
                overdue_days: lapse(truth, person, t)
                    .map(|l| round((t - l).num_microseconds().unwrap() as f64 / 86_400e6, 1)),
                permissions: held.iter().map(|h| h.shown()).collect(),
                privileged_permissions: held
                    .iter()
                    .filter(|h| h.privileged)
                    .map(|h| h.shown())
                    .collect(),
                exception_id: covered.map(|x| x.id.clone()),
            },
        );
    }
    let count = |class: &str| rows.values().filter(|r| r.class == class).count() as u64;
    let people_in_scope = in_scope.len() as u64;
    let overdue = rows.len() as u64;
    let privileged_unexcepted = count("privileged_unexcepted");
    let past_deadline = rows
        .values()
        .filter(|r| r.class == "privileged_unexcepted")
        .filter(|r| r.overdue_days.is_none_or(|d| d > REVOKE_WITHIN_DAYS as f64))
        .count() as u64;
    let unmapped: BTreeSet<&str> = access
        .held
        .iter()
        .filter(visible)
        .filter(|h| h.privileged && (h.person.is_none() || hr.is_none()))
        .map(|h| h.principal.as_str())
        .collect();
    let (mut revoked_in_time, mut revoked_late) = (0u64, 0u64);
    for (person, at) in &access.revocations {
        // Revocations from the engineers the people sources list at T.
        if *at <= t - Duration::days(LOOKBACK_DAYS) || *at > t || hr.is_none() {
            continue;
        }
        match lapse(truth, person, *at) {
            Some(l) if l > *at => {}
            Some(l) if *at - l <= Duration::days(REVOKE_WITHIN_DAYS) => revoked_in_time += 1,
            _ => revoked_late += 1,
        }
    }
    let training_records = access
        .training
        .iter()
        .filter(|c| c.completed_at <= t)
        .count() as u64;
    let in_lookback = |e: &DateTime<Utc>| *e > t - Duration::days(LOOKBACK_DAYS) && *e <= t;
    let iam_records = access
        .iam_event_times
        .iter()
        .filter(|(_, e)| in_lookback(e))
        .count() as u64
        + access
            .iam_snapshots
            .iter()
            .filter(|(s, _)| *s <= t)
            .map(|(_, n)| n)
            .sum::<u64>();
    // A feed with records in the lookback, silent for more than two days before T.
    let mut last: BTreeMap<&str, DateTime<Utc>> = BTreeMap::new();
    for (source, e) in access
        .iam_event_times
        .iter()
        .filter(|(_, e)| in_lookback(e))
    {
        last.insert(source, *e);
    }
    let iam_stale_sources = last
        .values()
        .filter(|e| t - **e > Duration::days(STALE_AFTER_DAYS))
        .count() as u64;
    let people_age = hr.map(|s| round((t - s).num_microseconds().unwrap() as f64 / 86_400e6, 1));
    let missing = u64::from(people_in_scope == 0)
        + u64::from(training_records == 0)
        + u64::from(iam_records == 0)
        + iam_stale_sources
        + u64::from(people_age.is_some_and(|a| a > PEOPLE_MAX_AGE_DAYS));
    // The places whose permissions at T come from grants alone: what no snapshot covers.
    let covered = |h: &evlake_synth::HeldTruth| {
        snapshot
            && h.provider == "aws"
            && ["policy", "inline_policy", "group"].contains(&h.kind.as_str())
    };
    let without_baseline: BTreeSet<(String, String)> = access
        .held
        .iter()
        .filter(visible)
        .filter(|h| !covered(h))
        .map(|h| (h.provider.clone(), h.scope.clone()))
        .collect();
    let share = (people_in_scope > 0).then(|| round(trained as f64 / people_in_scope as f64, 4));
    let verdict = if missing > 0 {
        Verdict::NoData
    } else if privileged_unexcepted > 0 {
        Verdict::Contradicted
    } else if people_in_scope > 0 {
        Verdict::Evidenced
    } else {
        Verdict::NotEvidenced
    };
    let unmapped_privileged = unmapped.len() as u64;
    let levels = [
        trained > 0,
        share.is_some_and(|s| s >= 0.9),
        privileged_unexcepted == 0
            && count("excepted_late") == 0
            && unmapped_privileged == 0
            && revoked_late == 0
            && share.is_some_and(|s| s >= 0.95),
    ];
    let metrics = json!({
        "people_in_scope": people_in_scope,
        "trained": trained,
        "overdue": overdue,
        "completion_share": share,
        "overdue_privileged": rows.values().filter(|r| r.privileged).count(),
        "excepted": count("excepted"),
        "excepted_late": count("excepted_late"),
        "privileged_unexcepted": privileged_unexcepted,
        "past_deadline": past_deadline,
        "unmapped_privileged": unmapped_privileged,
        "systems_without_baseline": without_baseline.len(),
        "revoked_in_time": revoked_in_time,
        "revoked_late": revoked_late,
        "training_records": training_records,
        "iam_records": iam_records,
        "iam_stale_sources": iam_stale_sources,
        "people_snapshot_age_days": people_age,
        "missing_sources": missing,
    });
    Expected {
        verdict,
        level: levels.iter().take_while(|l| **l).count() as u8,
        metrics: metrics.as_object().unwrap().clone(),
        rows,
    }
}

/// The verdict and level q4 must give as of `t`.
pub(crate) fn planted(truth: &Truth, t: DateTime<Utc>) -> (Verdict, u8) {
    let want = expected(truth, t);
    (want.verdict, want.level)
}

/// What q4 must answer as of `t`: level 4 when level 3 held as of T, T − 30 d and T − 60 d.
fn expected(truth: &Truth, t: DateTime<Utc>) -> Expected {
    let mut want = at_one_instant(truth, t);
    let periods_held = if want.level < 3 {
        0
    } else {
        (1..3)
            .take_while(|k| at_one_instant(truth, t - Duration::days(30 * k)).level >= 3)
            .count() as u64
            + 1
    };
    want.metrics
        .insert("periods_held".into(), json!(periods_held));
    if periods_held == 3 {
        want.level = 4;
    }
    want
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn assert_matches(answer: &Answer, want: &Expected, what: &str) {
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
    let got: BTreeMap<String, Row> = answer
        .evidence
        .iter()
        .map(|r| {
            let row = Row {
                class: match r["class"].as_str().unwrap() {
                    "privileged_unexcepted" => "privileged_unexcepted",
                    "excepted" => "excepted",
                    "excepted_late" => "excepted_late",
                    "overdue" => "overdue",
                    other => panic!("{what}: class {other}"),
                },
                privileged: r["privileged"].as_bool().unwrap(),
                last_training: r["last_training"].as_str().map(|t| t.parse().unwrap()),
                overdue_days: r["overdue_days"].as_f64(),
                permissions: strings(&r["permissions"]),
                privileged_permissions: strings(&r["privileged_permissions"]),
                exception_id: r["exception_id"].as_str().map(str::to_string),
            };
            (r["person"].as_str().unwrap().to_string(), row)
        })
        .collect();
    assert_eq!(
        got.len(),
        answer.evidence.len(),
        "{what}: one row per person"
    );
    assert_eq!(got, want.rows, "{what}");
    for r in &answer.evidence {
        // Each permission names when and by which record it was granted.
        let n = strings(&r["permissions"]).len();
        assert_eq!(
            r["granted_at"].as_array().map_or(0, Vec::len),
            n,
            "{what}: {r:?}"
        );
        assert_eq!(
            r["permission_sources"].as_array().map_or(0, Vec::len),
            n,
            "{what}: {r:?}"
        );
        for field in ["source", "source_id", "record_sha256", "ingested_at"] {
            assert!(r[field].is_string(), "{what}: {field} of {r:?}");
        }
        if r["exception_id"].is_string() {
            assert_eq!(r["exception_owner"], "security-lead@acme.example", "{what}");
        }
    }
    // The rows holding privileged access without an exception come first.
    let classes: Vec<&str> = answer
        .evidence
        .iter()
        .map(|r| r["class"].as_str().unwrap())
        .collect();
    let mut sorted = classes.clone();
    sorted.sort_by_key(|c| match *c {
        "privileged_unexcepted" => 0,
        "excepted_late" => 1,
        "excepted" => 2,
        _ => 3,
    });
    assert_eq!(classes, sorted, "{what}");
}

#[tokio::test]
async fn q4_equals_the_planted_truth_for_several_seeds_and_dates() {
    for (seed, instants) in [(3, 13), (2026, 4)] {
        let dir = tempfile::tempdir().unwrap();
        let truth = organisation_of(dir.path(), seed, 8, 120, Maturity::Advisory);
        let lake = Lake::open("memory://").unwrap();
        ingest(&lake, dir.path(), |name, _| access_source(name)).await;
        let session = QuerySession::builder(lake).build().await.unwrap();
        // The history ends E = 2026-11-21T00:00Z; the plants are set relative to it.
        let e = |days: i64, hours: i64| {
            end_of("2026-11-21T00:00:00Z") - Duration::days(days) + Duration::hours(hours)
        };
        for (what, as_of) in [
            ("the end", end_of("2026-11-20")),
            (
                "carol's second grant, one second after",
                e(5, 5) + Duration::seconds(1),
            ),
            (
                "carol's second grant, one second before",
                e(5, 5) - Duration::seconds(1),
            ),
            (
                "carol between revoke and grant, dave's exception not yet",
                e(7, 0),
            ),
            (
                "carol revoked, one second after",
                e(20, 5) + Duration::seconds(1),
            ),
            ("carol's first grant held, erin's exception valid", e(30, 0)),
            ("gina left: the HR export after it", e(25, 0)),
            (
                "gina left, the HR export not yet",
                e(30, 0) + Duration::hours(3),
            ),
            ("bob overdue, admin not yet revoked", e(12, 0)),
            (
                "bob revoked, one second after",
                e(10, 4) + Duration::seconds(1),
            ),
            ("alice not yet overdue", e(40, 0)),
            ("early in the history", e(110, 0)),
            ("before any export", e(121, 0)),
        ]
        .into_iter()
        .take(instants)
        {
            let answer = session.ask("q4", Some(as_of), None).await.unwrap();
            let want = expected(&truth, as_of);
            assert_matches(&answer, &want, &format!("seed {seed}, {what} ({as_of})"));
        }
        // The end: each plant found, in its class.
        let answer = session
            .ask("q4", Some(end_of("2026-11-20")), None)
            .await
            .unwrap();
        let class = |person: &str| {
            answer
                .evidence
                .iter()
                .find(|r| r["person"] == person)
                .map(|r| r["class"].as_str().unwrap().to_string())
        };
        assert_eq!(
            class("alice@acme.example").as_deref(),
            Some("privileged_unexcepted")
        );
        assert_eq!(class("bob@acme.example").as_deref(), Some("overdue"));
        assert_eq!(
            class("carol@acme.example").as_deref(),
            Some("privileged_unexcepted")
        );
        assert_eq!(class("dave@acme.example").as_deref(), Some("excepted"));
        assert_eq!(
            class("erin@acme.example").as_deref(),
            Some("privileged_unexcepted")
        );
        assert_eq!(class("hank@acme.example").as_deref(), Some("overdue"));
        assert_eq!(class("gina@acme.example"), None, "a leaver is out of scope");
        assert_eq!(
            class("frank@acme.example"),
            None,
            "finance is not engineering"
        );
        assert_eq!(answer.verdict, Verdict::Contradicted);
        assert_eq!(answer.metrics["unmapped_privileged"], 1, "break-glass");
    }
}

#[tokio::test]
async fn q4_of_an_enforced_organisation_reaches_level_4_and_of_one_without_training_no_data() {
    let dir = tempfile::tempdir().unwrap();
    let truth = organisation_of(dir.path(), 11, 8, 100, Maturity::Enforced);
    let lake = Lake::open("memory://").unwrap();
    ingest(&lake, dir.path(), |name, _| access_source(name)).await;
    let session = QuerySession::builder(lake).build().await.unwrap();
    let as_of = end_of("2026-11-20");
    let answer = session.ask("q4", Some(as_of), None).await.unwrap();
    assert_matches(&answer, &expected(&truth, as_of), "enforced");
    assert_eq!((answer.verdict, answer.level), (Verdict::Evidenced, 4));

    let dir = tempfile::tempdir().unwrap();
    let truth = organisation_of(dir.path(), 11, 8, 60, Maturity::None);
    let lake = Lake::open("memory://").unwrap();
    ingest(&lake, dir.path(), |name, _| access_source(name)).await;
    let session = QuerySession::builder(lake).build().await.unwrap();
    let answer = session.ask("q4", Some(as_of), None).await.unwrap();
    assert_matches(&answer, &expected(&truth, as_of), "no LMS completions");
    assert_eq!(
        answer.verdict,
        Verdict::NoData,
        "never a finding without training records"
    );
}
