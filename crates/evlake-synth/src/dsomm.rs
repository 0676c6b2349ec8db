//! The teams' DSOMM self-assessment, in the DSOMM app's own files: `dsomm/meta.yaml` (the
//! app's default progress states and the teams), `dsomm/model.yaml` (the activities evlake's
//! questions sample, by UUID, name and level as model 4.3.1 files them — a subset for the demo:
//! a real assessment imports the real model) and `dsomm/team-progress.yaml`.
//!
//! Every team but the last overstates the way self-assessments do: it claims every sampled
//! activity up to level 2 `Fully implemented` from early on, moves the level-3 ones to
//! `Fully implemented` on `improved_on` (30 days before the end) and the rest to `Partly
//! implemented`, whatever the gates, the alert routing or the training records say. The last
//! team is honest: it claims nothing past `Started`. Evidence decides which claims survive.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use chrono::{Duration, NaiveDate};
use serde::Serialize;

/// The activities the questions sample: `(uuid, dimension, sub-dimension, name, level)` as
/// DSOMM model 4.3.1 files them (`../shared/docs/dsomm.md` §4).
pub const SAMPLED_ACTIVITIES: &[(&str, &str, &str, &str, u8)] = &[
    (
        "f6f7737f-25a9-4317-8de2-09bf59f29b5b",
        "Build and Deployment",
        "Build",
        "Defined build process",
        1,
    ),
    (
        "f3c4971e-9f4d-4e59-8ed0-f0bdb6262477",
        "Build and Deployment",
        "Build",
        "Pinning of artifacts",
        2,
    ),
    (
        "5786959d-0c6f-46a6-8e1c-a32ff1a50222",
        "Build and Deployment",
        "Build",
        "Signing of artifacts",
        5,
    ),
    (
        "2a44b708-734f-4463-b0cb-86dc46344b2f",
        "Build and Deployment",
        "Deployment",
        "Inventory of production components",
        1,
    ),
    (
        "83057028-0b77-4d2e-8135-40969768ae88",
        "Build and Deployment",
        "Deployment",
        "Inventory of production artifacts",
        2,
    ),
    (
        "da4ff665-dcb9-4e93-9d20-48cdedc50fc2",
        "Build and Deployment",
        "Deployment",
        "Defined decommissioning process",
        2,
    ),
    (
        "0de465a6-55a7-4343-af79-948bb5ff10ba",
        "Build and Deployment",
        "Deployment",
        "Evaluation of the trust of used components",
        2,
    ),
    (
        "12c90cc6-3d58-4d9b-82ff-d469d2a0c298",
        "Culture and Organization",
        "Education and Guidance",
        "Ad-Hoc Security trainings for software developers",
        1,
    ),
    (
        "9768f154-357a-4c06-af6f-d66570677c9b",
        "Culture and Organization",
        "Education and Guidance",
        "Regular security training for all",
        2,
    ),
    (
        "72737130-472c-4984-80f8-9ab2f1c2ed5d",
        "Culture and Organization",
        "Process",
        "Determining the protection requirement",
        2,
    ),
    (
        "ac8730a2-ccc0-465c-9550-d91edae9d5ee",
        "Implementation",
        "Development and Source Control",
        "Require status checks to pass",
        3,
    ),
    (
        "82e499d1-f463-4a4b-be90-68812a874af6",
        "Implementation",
        "Infrastructure Hardening",
        "Simple access control for systems",
        1,
    ),
    (
        "070bb14b-e04a-4f3d-896a-a08eba7a35f9",
        "Implementation",
        "Infrastructure Hardening",
        "Role based authentication and authorization",
        3,
    ),
    (
        "ccfdd0a8-991e-4269-ad77-c0a54ca655cb",
        "Information Gathering",
        "Logging",
        "Logging of security events",
        2,
    ),
    (
        "8a442d8e-0eb1-4793-a513-571aef982edd",
        "Information Gathering",
        "Monitoring",
        "Alerting",
        2,
    ),
    (
        "d6f06ae8-401a-4f44-85df-1079247fa030",
        "Information Gathering",
        "Monitoring",
        "Targeted alerting",
        3,
    ),
    (
        "1cd5e4b8-be36-4726-adc7-d8f843f47ac8",
        "Information Gathering",
        "Monitoring",
        "Audit of system events",
        3,
    ),
    (
        "c922981b-65ed-40f3-a947-96fee9a0125f",
        "Information Gathering",
        "Test KPI",
        "Generation of response statistics",
        3,
    ),
    (
        "44f2c8a9-4aaa-4c72-942d-63f78b89f385",
        "Test and Verification",
        "Consolidation",
        "Treatment of defects with high or critical severity",
        1,
    ),
    (
        "6c05c837-8c99-46e2-828b-7c903e27dba4",
        "Test and Verification",
        "Static depth for applications",
        "Static analysis for important server side components",
        3,
    ),
    (
        "e237176b-bec5-447d-a926-e37d6dd60e4b",
        "Test and Verification",
        "Static depth for applications",
        "Static analysis for important client side components",
        3,
    ),
    (
        "ee68331f-9b1d-4f61-844b-b2ea04753a84",
        "Test and Verification",
        "Static depth for applications",
        "Static analysis for all self written components",
        4,
    ),
];

/// What the generator claimed for the teams (`truth.json` `dsomm`).
#[derive(Debug, Clone, Serialize)]
pub struct DsommTruth {
    /// The day the overstating teams moved their level-3 claims to `Fully implemented`.
    pub improved_on: NaiveDate,
    /// Every team's claims.
    pub teams: Vec<TeamClaimTruth>,
    /// The evidence entries of `team-evidence.yaml`.
    pub evidence: Vec<EvidenceEntryTruth>,
}

/// One team's self-assessment.
#[derive(Debug, Clone, Serialize)]
pub struct TeamClaimTruth {
    /// The team, as the catalog names its group.
    pub team: String,
    /// Whether it claims only what evidence can confirm (nothing past `Started`).
    pub honest: bool,
    /// Per activity UUID, every state entered with its date.
    pub claims: BTreeMap<String, Vec<(String, NaiveDate)>>,
    /// The claimed level (evlake's derivation) per sub-dimension the day before
    /// `improved_on`.
    pub claimed_before: BTreeMap<String, u8>,
    /// The claimed level per sub-dimension from `improved_on`.
    pub claimed_after: BTreeMap<String, u8>,
}

/// An evidence entry written to `team-evidence.yaml`.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceEntryTruth {
    /// The activity's UUID.
    pub activity: String,
    /// The teams it names.
    pub teams: Vec<String>,
    /// Its title.
    pub title: String,
    /// When it was recorded (`evidenceRecorded`).
    pub recorded: NaiveDate,
}

/// Writes the DSOMM app's files for the organisation's teams under `out/dsomm`.
pub(crate) fn generate(
    out: &Path,
    services: u32,
    start: NaiveDate,
    end: NaiveDate,
) -> std::io::Result<DsommTruth> {
    let dir = out.join("dsomm");
    fs::create_dir_all(&dir)?;
    let teams: Vec<String> = (0..services.div_ceil(10).max(2))
        .map(|t| format!("team-{t:02}"))
        .collect();
    let improved_on = end - Duration::days(30);
    let (started, early) = (start + Duration::days(5), start + Duration::days(10));
    let mut truth = Vec::new();
    for (i, team) in teams.iter().enumerate() {
        let honest = i + 1 == teams.len();
        let mut claims = BTreeMap::new();
        for (uuid, _, _, _, level) in SAMPLED_ACTIVITIES {
            let mut states = vec![("Started".to_string(), started)];
            if !honest {
                match level {
                    1 | 2 => states.push(("Fully implemented".to_string(), early)),
                    3 => {
                        states.push(("Partly implemented".to_string(), early));
                        states.push(("Fully implemented".to_string(), improved_on));
                    }
                    _ => states.push(("Partly implemented".to_string(), early)),
                }
            }
            claims.insert(uuid.to_string(), states);
        }
        let claimed = |on: NaiveDate| claimed_levels(&claims, on);
        truth.push(TeamClaimTruth {
            team: team.clone(),
            honest,
            claimed_before: claimed(improved_on - Duration::days(1)),
            claimed_after: claimed(improved_on),
            claims,
        });
    }
    fs::write(dir.join("meta.yaml"), meta(&teams))?;
    fs::write(dir.join("model.yaml"), model())?;
    fs::write(dir.join("team-progress.yaml"), progress(&truth))?;
    // The overstating teams back their SAST claim with a dashboard export on the day they
    // claim level 3: evidence shown beside the activity, which sets no progress.
    let evidence = vec![EvidenceEntryTruth {
        // Static analysis for important server side components.
        activity: "6c05c837-8c99-46e2-828b-7c903e27dba4".to_string(),
        teams: truth
            .iter()
            .filter(|t| !t.honest)
            .map(|t| t.team.clone())
            .collect(),
        title: "SAST dashboard export".to_string(),
        recorded: improved_on,
    }];
    fs::write(dir.join("team-evidence.yaml"), team_evidence(&evidence))?;
    Ok(DsommTruth {
        improved_on,
        teams: truth,
        evidence,
    })
}

/// The claimed level per sub-dimension on `on`: the highest level whose activities, and every
/// lower level's, are all `Fully implemented` by then.
fn claimed_levels(
    claims: &BTreeMap<String, Vec<(String, NaiveDate)>>,
    on: NaiveDate,
) -> BTreeMap<String, u8> {
    let mut by_sub: BTreeMap<String, Vec<(u8, bool)>> = BTreeMap::new();
    for (uuid, _, sub, _, level) in SAMPLED_ACTIVITIES {
        let done = claims[*uuid]
            .iter()
            .any(|(s, d)| s == "Fully implemented" && *d <= on);
        by_sub
            .entry(sub.to_string())
            .or_default()
            .push((*level, done));
    }
    by_sub
        .into_iter()
        .map(|(sub, mut acts)| {
            acts.sort_unstable();
            let mut level = 0;
            for l in acts
                .iter()
                .map(|(l, _)| *l)
                .collect::<std::collections::BTreeSet<_>>()
            {
                if !acts.iter().filter(|(x, _)| *x == l).all(|(_, done)| *done) {
                    break;
                }
                level = l;
            }
            (sub, level)
        })
        .collect()
}

/// `team-evidence.yaml` as the app (≥ 4.4.1) exports it.
fn team_evidence(entries: &[EvidenceEntryTruth]) -> String {
    let mut out = String::from("evidence:\n");
    for (i, e) in entries.iter().enumerate() {
        let teams: Vec<String> = e.teams.iter().map(|t| format!("'{t}'")).collect();
        out.push_str(&format!(
            "  {}:\n    - id: 5f0c9a2e-0000-4000-8000-{i:012}\n      teams: [{}]\n      title: {}\n      evidenceRecorded: {}\n      reviewer: AppSec lead\n      description: Semgrep runs on every pull request; the dashboard lists the findings per repository.\n      attachment:\n        - type: link\n          externalLink: https://sast.acme.example/dashboard\n",
            e.activity,
            teams.join(", "),
            e.title,
            e.recorded
        ));
    }
    out
}

fn meta(teams: &[String]) -> String {
    let mut out = String::from(
        "# Written by `evlake generate`: the DSOMM app's configuration (its default progress states).\n\
         teamProgressFile: 'team-progress.yaml'\n\
         progressDefinition:\n  Not implemented:\n    score: 0%\n    definition: Activity not started and not planned\n\
         \x20 Started:\n    score: 20%\n    definition: Activity has been started, or completed for a few applications\n\
         \x20 Partly implemented:\n    score: 50%\n    definition: Activity has been implemented for at least half of the applications\n\
         \x20 Fully implemented:\n    score: 100%\n    definition: Fully implemented for (almost) all applications\n\
         teams:\n",
    );
    for t in teams {
        let _ = writeln!(out, "  - {t}");
    }
    out
}

fn model() -> String {
    let mut out = String::from(
        "# Written by `evlake generate`: the activities evlake's questions sample, with the UUIDs,\n\
         # names and levels of OWASP DSOMM model 4.3.1 (https://dsomm.owasp.org/). A subset for the\n\
         # demo: import the real generated/model.yaml for a real assessment.\n\
         ---\nmeta:\n  version: 4.3.1-evlake-subset\n  publisher: https://github.com/evlake\n---\n",
    );
    let (mut dimension, mut sub) = ("", "");
    let mut rows: Vec<_> = SAMPLED_ACTIVITIES.to_vec();
    rows.sort_by_key(|(_, d, s, _, l)| (*d, *s, *l));
    for (uuid, d, s, name, level) in rows {
        if d != dimension {
            let _ = writeln!(out, "{d}:");
            dimension = d;
            sub = "";
        }
        if s != sub {
            let _ = writeln!(out, "  {s}:");
            sub = s;
        }
        let _ = writeln!(
            out,
            "    {name}:\n      uuid: {uuid}\n      level: {level}\n      tags: [none]"
        );
    }
    out
}

fn progress(teams: &[TeamClaimTruth]) -> String {
    let mut out = String::from("progress:\n");
    let name = |uuid: &str| {
        SAMPLED_ACTIVITIES
            .iter()
            .find(|a| a.0 == uuid)
            .map_or("", |a| a.3)
    };
    for (uuid, _, _, _, _) in SAMPLED_ACTIVITIES {
        let _ = writeln!(out, "  {uuid}:  # {}", name(uuid));
        for t in teams {
            let _ = writeln!(out, "    '{}':", t.team);
            for (state, date) in &t.claims[*uuid] {
                let _ = writeln!(out, "      '{state}': {date}");
            }
        }
    }
    out
}
