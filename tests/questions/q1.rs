//! q1: SAST-blocked production deploys and advisory leaks, against the planted truth.

use std::path::Path;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use evlake_core::FixedClock;
use evlake_query::{Answer, QuerySession, Verdict};
use evlake_store::Lake;
use evlake_synth::Truth;

use super::{end_of, ingest, organisation, runtime_source};

fn ids(answer: &Answer, class: &str) -> Vec<String> {
    let mut ids: Vec<String> = answer
        .evidence
        .iter()
        .filter(|r| r["class"] == class)
        .map(|r| r["deploy_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// The verdict and level the rubric must give as of `as_of`, worked out from what the
/// generator planted (the rubric's targets restated: SAST before 95 % of deploys for level 2,
/// 99 % in each of three 30-day periods for level 4, at most 5 % excepted).
pub(crate) fn expected(truth: &Truth, as_of: DateTime<Utc>) -> (Verdict, u8) {
    let window = |from: DateTime<Utc>| move |t: DateTime<Utc>| t > from && t <= as_of;
    let in_window = window(as_of - Duration::days(7));
    let count = |class: &str, from: DateTime<Utc>| truth.in_window(class, from, as_of).len();
    let week = as_of - Duration::days(7);
    let (leaks, blocked) = (count("advisory_leak", week), count("blocked", week));
    let verdict = if leaks > 0 {
        Verdict::Contradicted
    } else if blocked > 0 {
        Verdict::Evidenced
    } else {
        Verdict::NotEvidenced
    };
    // (deployed, after SAST, leaks, excepted) in the deploys that `admits`.
    let tally = |admits: &dyn Fn(DateTime<Utc>) -> bool| {
        let deployed: Vec<_> = truth
            .deployed
            .iter()
            .filter(|d| admits(d.event_time))
            .collect();
        let planted = |class: &str| {
            truth
                .planted
                .iter()
                .filter(|p| p.class == class && admits(p.event_time))
                .count()
        };
        (
            deployed.len(),
            deployed.iter().filter(|d| d.after_sast).count(),
            planted("advisory_leak"),
            planted("excepted"),
        )
    };
    let share = |part: usize, whole: usize| (whole > 0).then(|| part as f64 / whole as f64);
    let (deployed, after_sast, _, excepted) = tally(&in_window);
    let coverage = share(after_sast, deployed);
    let open_without_expiry = truth
        .register
        .iter()
        .filter(|e| e.created <= as_of && e.expires.is_none())
        .count();
    let level1 = truth.sast_finished.iter().any(|t| in_window(*t));
    let level2 = coverage.is_some_and(|c| c >= 0.95);
    let suppressed = truth
        .deployed
        .iter()
        .any(|d| d.suppressed && in_window(d.event_time));
    let level3 = count("blocked", as_of - Duration::days(90)) > 0
        && leaks == 0
        && !suppressed
        && share(excepted, deployed).is_some_and(|s| s <= 0.05)
        && open_without_expiry == 0;
    let level4 = (0..3).all(|k| {
        let (to, from) = (
            as_of - Duration::days(30 * k),
            as_of - Duration::days(30 * (k + 1)),
        );
        let (deployed, after_sast, leaks, excepted) = tally(&|t| t > from && t <= to);
        deployed > 0
            && share(after_sast, deployed).is_some_and(|c| c >= 0.99)
            && leaks == 0
            && share(excepted, deployed).is_some_and(|s| s <= 0.05)
    });
    let level = [level1, level2, level3, level4]
        .iter()
        .take_while(|holds| **holds)
        .count() as u8;
    (verdict, level)
}

/// The answer agrees with the truth for the window ending at `as_of`.
fn assert_matches(answer: &Answer, truth: &Truth, as_of: DateTime<Utc>) {
    let window_start = as_of - Duration::days(7);
    for class in ["advisory_leak", "excepted", "failed"] {
        assert_eq!(
            ids(answer, class),
            truth.in_window(class, window_start, as_of),
            "{class} as of {as_of}"
        );
    }
    let expected = truth.last_blocked(as_of - Duration::days(90), as_of);
    assert_eq!(
        ids(answer, "blocked"),
        expected
            .map(|p| p.deploy_id.clone())
            .into_iter()
            .collect::<Vec<_>>(),
        "last blocked as of {as_of}"
    );
    let m = |k: &str| answer.metrics[k].as_i64().unwrap() as usize;
    assert_eq!(
        m("blocked_by_sast"),
        truth.in_window("blocked", window_start, as_of).len()
    );
    assert_eq!(
        m("advisory_leaks"),
        truth.in_window("advisory_leak", window_start, as_of).len()
    );
    assert_eq!(
        m("failed_deploys"),
        truth.in_window("failed", window_start, as_of).len()
    );
    assert_eq!(
        m("excepted"),
        truth.in_window("excepted", window_start, as_of).len()
    );
    assert_eq!(
        m("excepted_late"),
        0,
        "the register was recorded before the deploys"
    );
    for row in &answer.evidence {
        let planted = truth
            .planted
            .iter()
            .find(|p| p.deploy_id == row["deploy_id"].as_str().unwrap())
            .unwrap();
        assert_eq!(row["repo"], planted.repo.as_str());
        assert_eq!(
            row["exception_id"].as_str(),
            planted.exception_id.as_deref(),
            "{row:?}"
        );
        // Every row traces back to its original record.
        for field in [
            "source",
            "source_id",
            "event_time",
            "ingested_at",
            "record_sha256",
        ] {
            assert!(!row[field].is_null(), "{field} in {row:?}");
        }
        let age = (as_of - planted.event_time).num_days();
        assert_eq!(row["age_days"], age, "{row:?}");
        match row["class"].as_str().unwrap() {
            "blocked" => {
                assert_eq!(row["outcome"], "blocked");
                assert!(matches!(
                    row["blocked_by"].as_str(),
                    Some("semgrep" | "CodeQL analyze")
                ));
            }
            "failed" => {
                assert_eq!(row["outcome"], "failed");
                assert!(row["blocked_by"].is_null());
            }
            _ => {
                assert_eq!(row["outcome"], "deployed");
                assert!(row["blocked_by"].is_null());
                // The generator's leaks all come from critical findings (the gate failed or
                // the scanner ignored them).
                assert!(row["critical_findings"].as_i64().unwrap() > 0, "{row:?}");
            }
        }
    }
}

#[tokio::test]
async fn q1_equals_the_planted_truth_for_several_seeds_and_dates() {
    for seed in [1, 7, 2026] {
        let dir = tempfile::tempdir().unwrap();
        let truth = organisation(dir.path(), seed, 12, 45);
        assert!(
            truth.attempts_by_class["blocked"] > 0 && truth.attempts_by_class["advisory_leak"] > 0
        );
        let lake = Lake::open("memory://").unwrap();
        ingest(&lake, dir.path(), |name, _| !runtime_source(name)).await;
        let session = QuerySession::builder(lake).build().await.unwrap();
        for as_of in ["2026-11-20", "2026-10-28T12:00:00Z"] {
            let as_of = end_of(as_of);
            let answer = session.ask("q1", Some(as_of), None).await.unwrap();
            assert_matches(&answer, &truth, as_of);
            assert_eq!(
                (answer.verdict, answer.level),
                expected(&truth, as_of),
                "seed {seed} as of {as_of}: {:?}",
                answer.metrics
            );
        }
    }
}

#[tokio::test]
async fn as_of_and_known_at_bound_what_the_answer_sees() {
    let dir = tempfile::tempdir().unwrap();
    let truth = organisation(dir.path(), 11, 12, 30);
    // The lake's clock stamps `ingested_at`: first everything up to 2026-11-10, ingested on
    // 11-11; the rest arrives on 11-21.
    let clock = Arc::new(FixedClock::new(end_of("2026-11-11")));
    let lake = Lake::open(&dir.path().join("lake").display().to_string())
        .unwrap()
        .with_clock(clock.clone());
    let early = |p: &Path| {
        p.to_string_lossy().split('/').any(|part| {
            part.get(..10)
                .is_some_and(|d| d <= "2026-11-10" && d.starts_with("2026-"))
        })
    };
    ingest(&lake, dir.path(), |name, p| {
        !runtime_source(name) && (name == "register" || early(p))
    })
    .await;
    let between = end_of("2026-11-15");
    clock.set(end_of("2026-11-21"));
    ingest(&lake, dir.path(), |name, p| {
        !runtime_source(name) && name != "register" && !early(p)
    })
    .await;

    let as_of = end_of("2026-11-20");
    let now = QuerySession::builder(lake.clone()).build().await.unwrap();
    let full = now.ask("q1", Some(as_of), None).await.unwrap();
    assert_matches(&full, &truth, as_of);

    // An as-of before a deploy does not see it.
    let last = truth.planted.last().unwrap();
    let before = now
        .ask("q1", Some(last.event_time - Duration::seconds(1)), None)
        .await
        .unwrap();
    assert!(
        before
            .evidence
            .iter()
            .all(|r| r["deploy_id"] != last.deploy_id.as_str())
    );
    let at = now.ask("q1", Some(last.event_time), None).await.unwrap();
    assert!(
        at.evidence
            .iter()
            .any(|r| r["deploy_id"] == last.deploy_id.as_str())
    );

    // Known at `between`, the lake held nothing after 2026-11-10: no CI data in the window.
    let answer = now.ask("q1", Some(as_of), Some(between)).await.unwrap();
    assert_eq!(answer.known_at, between);
    assert_eq!(answer.verdict, Verdict::NoData);
    assert!(
        answer
            .evidence
            .iter()
            .all(|r| r["event_time"].as_str().unwrap() < "2026-11-11")
    );
    let early_answer = now
        .ask("q1", Some(end_of("2026-11-10")), Some(between))
        .await
        .unwrap();
    assert_matches(&early_answer, &truth, end_of("2026-11-10"));
}
