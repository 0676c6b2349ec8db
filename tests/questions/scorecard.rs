//! The scorecard over the DSOMM app's own files (`../shared/fixtures/dsomm`, GPL-3.0 data read
//! in place): the app's heatmap and report numbers for the sample progress equal values
//! computed by hand from the file, before and after a team's improvement, a re-export that
//! takes a state back is in force from its import, and with no answer holding data every
//! sampled claim stays unverified.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use evlake_core::FixedClock;
use evlake_ingest::IngestRun;
use evlake_query::scorecard::{SubDimensionScore, TeamScorecard};
use evlake_query::{ActivityVerdict, QuerySession, Scorecard, Verdict};
use evlake_store::Lake;
use serde_json::{Value, json};

use super::end_of;

fn dsomm(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/dsomm")
        .join(file)
}

fn team<'a>(card: &'a Scorecard, name: &str) -> &'a TeamScorecard {
    card.teams.iter().find(|t| t.team == name).unwrap()
}

fn sub<'a>(card: &'a Scorecard, team_name: &str, sub_dimension: &str) -> &'a SubDimensionScore {
    team(card, team_name)
        .dimensions
        .iter()
        .flat_map(|d| &d.sub_dimensions)
        .find(|s| s.sub_dimension == sub_dimension)
        .unwrap()
}

/// `(claimed, completed, completion %)` of the sector at `level`.
fn sector(s: &SubDimensionScore, level: u8) -> (Option<f64>, usize, Option<u32>) {
    let x = s.sectors.iter().find(|x| x.level == level).unwrap();
    (x.claimed, x.completed, x.completion_percent)
}

async fn import(lake: &Lake, progress: &Path) {
    let settings = serde_json::Map::from_iter([
        (
            "meta_file".to_string(),
            json!(dsomm("meta.v4-base-2025-09.yaml")),
        ),
        ("teams_file".to_string(), json!(dsomm("teams.yaml"))),
    ]);
    let run = IngestRun::new(lake.clone(), "dsomm", "dsomm", &settings).unwrap();
    let summary = run
        .ingest_paths(&[dsomm("model-v4.3.1.yaml"), progress.to_path_buf()])
        .await
        .unwrap();
    assert_eq!(summary.quarantined, 0, "{summary:?}");
}

#[tokio::test]
async fn the_apps_numbers_for_the_sample_progress_equal_the_hand_computed_ones() {
    let clock = Arc::new(FixedClock::new("2026-06-01T00:00:00Z".parse().unwrap()));
    let lake = Lake::open("memory://").unwrap().with_clock(clock.clone());
    import(&lake, &dsomm("team-progress.sample.yaml")).await;
    let session = QuerySession::builder(lake.clone()).build().await.unwrap();
    let card = session
        .scorecard(Some(end_of("2026-01-01")), None, None)
        .await
        .unwrap();
    assert_eq!(card.model_version.as_deref(), Some("4.3.1"));
    let teams: Vec<_> = card
        .teams
        .iter()
        .map(|t| (t.team.as_str(), t.known_team))
        .collect();
    assert_eq!(
        teams,
        [
            ("Not referenced", Some(false)),
            ("Team A", Some(true)),
            ("Team B", Some(true)),
            ("Team C", Some(true)),
            ("Team D", Some(true))
        ]
    );
    // `Planned` is commented out of this meta's definition: its 34 states are reported.
    assert_eq!(
        (card.unknown.titles.len(), &card.unknown.teams),
        (34, &vec!["Not referenced".to_string()])
    );
    assert!(card.unknown.activities.is_empty());

    // Team A: the three Monitoring L1 activities Implemented; in Build, Signing of code (the
    // only L3) Implemented, one of the three L2 activities Started (30 %), the one L1 not begun.
    let monitoring = sub(&card, "Team A", "Monitoring");
    assert_eq!(
        (monitoring.claimed, sector(monitoring, 1)),
        (1, (Some(1.0), 3, Some(100)))
    );
    let build = sub(&card, "Team A", "Build");
    assert_eq!(build.claimed, 0);
    assert_eq!(sector(build, 1), (Some(0.0), 0, Some(0)));
    assert_eq!(sector(build, 2), (Some(0.3 / 3.0), 0, Some(0)));
    assert_eq!(sector(build, 3), (Some(1.0), 1, Some(100)));
    // Deployment L1: Defined deployment process Started, two others not begun.
    assert_eq!(
        sector(sub(&card, "Team A", "Deployment"), 1),
        (Some(0.3 / 3.0), 0, Some(0))
    );
    // Test KPI has no level-1 activity: its sector is grey (no value).
    assert_eq!(sector(sub(&card, "Team A", "Test KPI"), 1), (None, 0, None));
    // Team C: Defined build process (Build's one L1) Implemented, no L2 begun.
    assert_eq!(sub(&card, "Team C", "Build").claimed, 1);
    // Team D: Centralized system logging (Logging's one L1) Implemented.
    assert_eq!(sub(&card, "Team D", "Logging").claimed, 1);
    // The report page: per level over the whole model (26 at L1, 57 at L2, 61 at L3).
    let report = |name: &str| -> Vec<(u8, usize, usize, u32)> {
        team(&card, name)
            .report
            .iter()
            .map(|l| (l.level, l.total, l.completed, l.percent))
            .collect()
    };
    assert_eq!(
        report("Team A"),
        [
            (1, 26, 3, 12),
            (2, 57, 0, 0),
            (3, 61, 1, 2),
            (4, 31, 0, 0),
            (5, 19, 0, 0)
        ]
    );
    assert_eq!(
        report("Team D"),
        [
            (1, 26, 4, 15),
            (2, 57, 1, 2),
            (3, 61, 0, 0),
            (4, 31, 0, 0),
            (5, 19, 0, 0)
        ]
    );

    // Nothing but the assessment is in the lake: every answer is no_data, every sampled
    // claim unverified, and nothing moves.
    let defined_build = sub(&card, "Team C", "Build")
        .sampled
        .iter()
        .find(|a| a.uuid == "f6f7737f-25a9-4317-8de2-09bf59f29b5b")
        .unwrap();
    assert_eq!(
        (
            defined_build.verdict,
            defined_build.reason.as_str(),
            defined_build.claimed_state.as_deref(),
            defined_build.claimed_pct
        ),
        (
            ActivityVerdict::Unverified,
            "q1: no data",
            Some("Implemented"),
            1.0
        )
    );
    assert!(
        defined_build
            .claim_record
            .as_ref()
            .is_some_and(|r| r.record_sha256.len() == 64)
    );
    for t in &card.teams {
        for s in t.dimensions.iter().flat_map(|d| &d.sub_dimensions) {
            assert_eq!(
                (s.claimed, s.delta),
                (s.evidenced, 0),
                "{} {}",
                t.team,
                s.sub_dimension
            );
        }
    }

    // Before and after Team A's budget metrics were Implemented (Started 2025-04-22,
    // Implemented 2025-05-12): system and application metrics were already Implemented.
    let before = session
        .scorecard(Some(end_of("2025-05-01")), None, Some("Team A"))
        .await
        .unwrap();
    let monitoring = sub(&before, "Team A", "Monitoring");
    assert_eq!(
        (monitoring.claimed, sector(monitoring, 1)),
        (0, (Some((1.0 + 0.3 + 1.0) / 3.0), 2, Some(67)))
    );
    let after = session
        .scorecard(Some(end_of("2025-05-12")), None, Some("Team A"))
        .await
        .unwrap();
    assert_eq!(sub(&after, "Team A", "Monitoring").claimed, 1);
    assert_eq!(after.teams.len(), 1);

    // The JSON carries the same numbers, and the statements DuckDB can run.
    let json: Value = serde_json::from_str(&card.to_json()).unwrap();
    assert_eq!(json["teams"][1]["team"], "Team A");
    assert!(
        card.sql.contains("queries/scorecard/dsomm_states.sql") && !card.sql.contains("$as_of")
    );
    let text = card.to_text();
    assert!(
        text.contains("team Team A") && text.contains("not in the configured team list"),
        "{text}"
    );

    // Team A's Signing of code taken back to Started in a re-export imported a day later: in
    // force from that import, while the scorecard of any instant before it is unchanged.
    let sample = std::fs::read_to_string(dsomm("team-progress.sample.yaml")).unwrap();
    let moved_back = sample.replacen("      'Implemented': 2025-04-22\n", "", 1);
    assert_ne!(moved_back, sample);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("team-progress.yaml");
    std::fs::write(&file, moved_back).unwrap();
    clock.advance(Duration::days(1));
    import(&lake, &file).await;
    let session = QuerySession::builder(lake.clone()).build().await.unwrap();
    let build_at = |card: &Scorecard| sector(sub(card, "Team A", "Build"), 3).0;
    let later = session
        .scorecard(Some(end_of("2026-06-02")), None, None)
        .await
        .unwrap();
    assert_eq!(build_at(&later), Some(0.3));
    let earlier = session
        .scorecard(Some(end_of("2026-01-01")), None, None)
        .await
        .unwrap();
    assert_eq!(build_at(&earlier), Some(1.0));
    // As the lake knew it before the re-export, even of the later instant.
    let known_before = session
        .scorecard(
            Some(end_of("2026-06-02")),
            Some("2026-06-01T12:00:00Z".parse().unwrap()),
            None,
        )
        .await
        .unwrap();
    assert_eq!(build_at(&known_before), Some(1.0));

    // Every team reset and the file re-exported empty (`progress:`): from that import on no
    // team claims anything; before it, the re-export above still stands.
    clock.advance(Duration::days(1));
    import(&lake, &dsomm("team-progress.empty.yaml")).await;
    let session = QuerySession::builder(lake.clone()).build().await.unwrap();
    let emptied = session
        .scorecard(Some(end_of("2026-06-03")), None, None)
        .await
        .unwrap();
    assert!(emptied.teams.is_empty(), "{:?}", emptied.levels());
    let before = session
        .scorecard(Some(end_of("2026-06-02")), None, None)
        .await
        .unwrap();
    assert_eq!(build_at(&before), Some(0.3));
}

/// The generator's model is the rubric's sampled activities, as model 4.3.1 files them.
#[test]
fn the_generated_model_is_the_activities_the_rubric_samples() {
    let mut rubric: Vec<(String, String, u8)> = evlake_query::Rubric::builtin()
        .questions()
        .flat_map(|(_, q)| {
            q.activities
                .iter()
                .map(|a| (a.uuid.clone(), a.name.clone(), a.level))
        })
        .collect();
    rubric.sort();
    let mut generated: Vec<(String, String, u8)> = evlake_synth::SAMPLED_ACTIVITIES
        .iter()
        .map(|(uuid, _, _, name, level)| (uuid.to_string(), name.to_string(), *level))
        .collect();
    generated.sort();
    assert_eq!(generated, rubric);
}

/// The evidenced level a sub-dimension must have, derived independently of the scorecard's
/// code: the planted claims as of `on`, each sampled activity refuted when the planted answer
/// of a question citing it is `contradicted` or, with data, below the rubric's `confirmed_at`.
fn expected_evidenced(
    claims: &BTreeMap<String, Vec<(String, NaiveDate)>>,
    on: NaiveDate,
    answers: &[(String, Verdict, u8)],
) -> BTreeMap<String, u8> {
    let rubric = evlake_query::Rubric::builtin();
    let refuted = |uuid: &str| {
        rubric.questions().any(|(id, q)| {
            q.activities.iter().any(|a| {
                a.uuid == uuid && {
                    let (_, verdict, level) = answers.iter().find(|(q, _, _)| q == id).unwrap();
                    *verdict == Verdict::Contradicted
                        || (*verdict != Verdict::NoData && *level < a.confirmed_at)
                }
            })
        })
    };
    let mut by_sub: BTreeMap<String, Vec<(u8, bool)>> = BTreeMap::new();
    for (uuid, _, sub, _, level) in evlake_synth::SAMPLED_ACTIVITIES {
        let done = claims[*uuid]
            .iter()
            .any(|(s, d)| s == "Fully implemented" && *d <= on)
            && !refuted(uuid);
        by_sub
            .entry(sub.to_string())
            .or_default()
            .push((*level, done));
    }
    by_sub
        .into_iter()
        .map(|(sub, acts)| {
            let levels: std::collections::BTreeSet<u8> = acts.iter().map(|(l, _)| *l).collect();
            let level = levels
                .into_iter()
                .take_while(|l| acts.iter().filter(|(x, _)| x == l).all(|(_, d)| *d))
                .last()
                .unwrap_or(0);
            (sub, level)
        })
        .collect()
}

/// The audit-real state written as the DSOMM app's files, imported back with the same model
/// and progress definition: each team's claimed levels are the evidenced levels it was
/// written from, and every sampled activity's evidence entry is there.
async fn exported_state_round_trips(card: &Scorecard, org: &Path) {
    let files = card.to_dsomm();
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("team-progress.yaml"), &files.team_progress).unwrap();
    std::fs::write(out.path().join("team-evidence.yaml"), &files.team_evidence).unwrap();
    let lake = Lake::open("memory://").unwrap();
    let settings =
        serde_json::Map::from_iter([("meta_file".to_string(), json!(org.join("dsomm/meta.yaml")))]);
    let run = IngestRun::new(lake.clone(), "dsomm", "dsomm", &settings).unwrap();
    let summary = run
        .ingest_paths(&[
            org.join("dsomm/model.yaml"),
            out.path().join("team-progress.yaml"),
            out.path().join("team-evidence.yaml"),
        ])
        .await
        .unwrap();
    assert_eq!(
        summary.quarantined, 0,
        "{summary:?}\n{}",
        files.team_progress
    );
    let session = QuerySession::builder(lake).build().await.unwrap();
    let back = session
        .scorecard(Some(card.as_of), None, None)
        .await
        .unwrap();
    let levels = |c: &Scorecard, claimed: bool| -> BTreeMap<(String, String), u8> {
        c.levels()
            .into_iter()
            .map(|l| {
                let level = if claimed { l.claimed } else { l.evidenced };
                ((l.team, l.sub_dimension), level)
            })
            .collect()
    };
    assert_eq!(levels(&back, true), levels(card, false));
    let sampled: usize = card
        .teams
        .iter()
        .flat_map(|t| &t.dimensions)
        .flat_map(|d| &d.sub_dimensions)
        .map(|s| s.sampled.len())
        .sum();
    let entries = session
        .query(
            "SELECT COUNT(*) AS n FROM dsomm_evidence",
            &evlake_query::ParamValues::Map(Default::default()),
        )
        .await
        .unwrap();
    let rows = evlake_query::batches_to_rows(&entries).unwrap();
    assert_eq!(rows[0]["n"], json!(sampled));
}

/// The roadmap of a generated organisation: every step cites evidence rows its answer holds
/// and lifts only activities its question refutes now; the SAST-gate step names exactly the
/// repositories that leaked in the window and the routing step exactly the rules whose alerts
/// opened no incident, as planted; the plan is grouped into 30/60/90 days, larger gains first.
fn roadmap_of(
    card: &Scorecard,
    asked: &BTreeMap<String, evlake_query::Answer>,
    truth: &evlake_synth::Truth,
    at: &str,
) {
    use std::collections::BTreeSet;
    let refuted: BTreeSet<&str> = card
        .teams
        .iter()
        .flat_map(|t| t.refuted())
        .map(|(_, _, a)| a.uuid.as_str())
        .collect();
    for step in &card.roadmap {
        let answer = &asked[&step.question];
        assert!(matches!(step.days, 30 | 60 | 90), "{at}: {step:?}");
        assert!(!step.action.contains('{'), "{at}: {}", step.action);
        assert!(
            !step.fixes.is_empty()
                && step.level_to >= step.first_rung
                && step.first_rung >= step.level_from,
            "{at}: {step:?}"
        );
        for cite in &step.evidence {
            assert!(
                answer
                    .evidence
                    .iter()
                    .any(|r| r.get("source_id").and_then(Value::as_str)
                        == Some(cite.source_id.as_str())
                        && r.get("record_sha256").and_then(Value::as_str)
                            == Some(cite.record_sha256.as_str())),
                "{at}: {cite:?}"
            );
        }
        let spec = evlake_query::Rubric::builtin()
            .question(&step.question)
            .unwrap();
        for lift in &step.lifts {
            let a = spec
                .activities
                .iter()
                .find(|a| a.uuid == lift.uuid)
                .unwrap();
            assert!(a.confirmed_at <= step.level_to, "{at}: {step:?}");
            assert!(refuted.contains(lift.uuid.as_str()), "{at}: {step:?}");
        }
    }
    let order: Vec<(u32, std::cmp::Reverse<u8>)> = card
        .roadmap
        .iter()
        .map(|s| (s.days, std::cmp::Reverse(s.level_gained)))
        .collect();
    assert!(order.is_sorted(), "{at}: {order:?}");

    let q1 = &asked["q1"];
    let leaked: BTreeSet<&str> = truth
        .planted
        .iter()
        .filter(|p| {
            p.class == "advisory_leak" && p.event_time > q1.window_start && p.event_time <= q1.as_of
        })
        .map(|p| p.repo.as_str())
        .collect();
    let gate: Vec<_> = card
        .roadmap
        .iter()
        .filter(|s| s.action.starts_with("move the SAST gate of"))
        .collect();
    if leaked.is_empty() {
        assert!(gate.is_empty(), "{at}: {gate:?}");
    } else {
        assert_eq!(gate.len(), 1, "{at}");
        let named: BTreeSet<&str> = gate[0].subjects.iter().map(String::as_str).collect();
        assert_eq!(named, leaked, "{at}");
        assert_eq!((gate[0].days, gate[0].first_rung), (30, 3), "{at}");
    }

    let q2 = &asked["q2"];
    let unrouted: BTreeSet<&str> = truth
        .runtime
        .alerts
        .iter()
        .filter(|a| {
            a.incident_opened_at.is_none_or(|t| t > q2.as_of)
                && a.alert_time > q2.window_start
                && a.alert_time <= q2.as_of
        })
        .map(|a| a.rule.as_str())
        .collect();
    for route in card
        .roadmap
        .iter()
        .filter(|s| s.action.starts_with("route the"))
    {
        let named: BTreeSet<&str> = route.subjects.iter().map(String::as_str).collect();
        assert_eq!(named, unrouted, "{at}");
    }
}

#[tokio::test]
async fn claimed_and_evidenced_levels_of_a_generated_organisation_equal_the_planted_claims_and_the_answers()
 {
    for seed in [3, 8] {
        let dir = tempfile::tempdir().unwrap();
        let truth = super::organisation(dir.path(), seed, 20, 45);
        let lake = Lake::open("memory://")
            .unwrap()
            .with_clock(Arc::new(FixedClock::new(
                "2026-11-21T06:00:00Z".parse().unwrap(),
            )));
        super::ingest(&lake, dir.path(), |_, _| true).await;
        let session = QuerySession::builder(lake.clone()).build().await.unwrap();
        let improved_on = truth.dsomm.improved_on;
        for (on, after) in [(improved_on - Duration::days(1), false), (truth.end, true)] {
            // Each question asked once, and the scorecard made from those answers.
            let mut asked = BTreeMap::new();
            for q in ["q1", "q2", "q3", "q4", "q5"] {
                let answer = session.ask(q, Some(end_of(&on.to_string())), None).await;
                asked.insert(q.to_string(), answer.unwrap());
            }
            let card = session
                .scorecard_of(asked.values().cloned().collect(), None)
                .await
                .unwrap();
            assert_eq!(
                card.model_version.as_deref(),
                Some("custom 4.3.1-evlake-subset")
            );
            assert_eq!(card.teams.len(), truth.dsomm.teams.len(), "seed {seed}");
            // The verdict and level of each question as the generator planted them, worked
            // out from truth.json by each question's own test — not read from the answers.
            let t = end_of(&on.to_string());
            let answers: Vec<(String, Verdict, u8)> = [
                ("q1", super::q1::expected(&truth, t)),
                ("q2", super::q2::expected(&truth, t)),
                ("q3", super::q3::planted(&truth, t)),
                ("q4", super::q4::planted(&truth, t)),
                ("q5", super::q5::planted(&truth, t)),
            ]
            .into_iter()
            .map(|(q, (verdict, level))| (q.to_string(), verdict, level))
            .collect();
            let scored: Vec<(String, Verdict, u8)> = card
                .answers
                .iter()
                .map(|a| (a.question.clone(), a.verdict, a.level))
                .collect();
            assert_eq!(scored, answers, "seed {seed} on {on}");
            for planted in &truth.dsomm.teams {
                let scored = team(&card, &planted.team);
                let subs: BTreeMap<String, (u8, u8)> = scored
                    .dimensions
                    .iter()
                    .flat_map(|d| &d.sub_dimensions)
                    .map(|s| (s.sub_dimension.clone(), (s.claimed, s.evidenced)))
                    .collect();
                let claimed: BTreeMap<String, u8> =
                    subs.iter().map(|(s, (c, _))| (s.clone(), *c)).collect();
                let evidenced: BTreeMap<String, u8> =
                    subs.iter().map(|(s, (_, e))| (s.clone(), *e)).collect();
                let want = if after {
                    &planted.claimed_after
                } else {
                    &planted.claimed_before
                };
                assert_eq!(&claimed, want, "seed {seed} {} on {on}", planted.team);
                assert_eq!(
                    evidenced,
                    expected_evidenced(&planted.claims, on, &answers),
                    "seed {seed} {} on {on}: {answers:?}",
                    planted.team
                );
                if planted.honest {
                    assert!(claimed.values().all(|l| *l == 0));
                }
                // Every refuted claim cites its answers' evidence rows, which that answer holds.
                for (_, _, a) in scored.refuted() {
                    assert_eq!(a.verdict, ActivityVerdict::Refuted);
                    assert!(a.claim_record.is_some());
                    for cite in &a.evidence {
                        let answer = &asked[&cite.question];
                        assert!(
                            answer.evidence.iter().any(|r| r
                                .get("source_id")
                                .and_then(Value::as_str)
                                == Some(cite.source_id.as_str())
                                && r.get("record_sha256").and_then(Value::as_str)
                                    == Some(cite.record_sha256.as_str())),
                            "{cite:?}"
                        );
                    }
                }
            }
            // The teams' own evidence entry beside the activity it names, from the day it
            // was recorded.
            for planted in &truth.dsomm.teams {
                for s in team(&card, &planted.team)
                    .dimensions
                    .iter()
                    .flat_map(|d| &d.sub_dimensions)
                {
                    for a in &s.sampled {
                        let want: Vec<&str> = truth
                            .dsomm
                            .evidence
                            .iter()
                            .filter(|e| {
                                e.activity == a.uuid
                                    && e.teams.contains(&planted.team)
                                    && e.recorded <= on
                            })
                            .map(|e| e.title.as_str())
                            .collect();
                        let got: Vec<&str> = a
                            .team_evidence
                            .iter()
                            .filter_map(|e| e.title.as_deref())
                            .collect();
                        assert_eq!(
                            got, want,
                            "seed {seed} on {on}: {} {}",
                            planted.team, a.name
                        );
                    }
                }
            }
            roadmap_of(&card, &asked, &truth, &format!("seed {seed} on {on}"));
            if after {
                exported_state_round_trips(&card, dir.path()).await;
            }
            // The overstating teams' claims of level 2 or 3 meet the advisory organisation's
            // evidence: at least one sub-dimension loses a level.
            let overstated = truth.dsomm.teams.iter().find(|t| !t.honest).unwrap();
            let s = team(&card, &overstated.team);
            assert!(
                s.dimensions
                    .iter()
                    .flat_map(|d| &d.sub_dimensions)
                    .any(|s| s.delta < 0),
                "seed {seed} on {on}: {answers:?}"
            );
        }
    }
}
