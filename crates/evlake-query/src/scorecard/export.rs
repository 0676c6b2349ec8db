//! The audit-real state in the DSOMM app's own files: a `team-progress.yaml` the app loads
//! (the evidenced heatmap in the tool a team already uses) and a `team-evidence.yaml` citing
//! the evidence behind each sampled activity (app ≥ 4.4.1).
//!
//! Every claim stands except a refuted one, which is left out (the 0 % state is never
//! written): confirmed and unverified claims keep their state and the date the team entered
//! it, an undated one (the legacy flags) the date of the import that first showed it.
//! Strings are written double-quoted with JSON escapes, which YAML reads unchanged. The app
//! merges a loaded file with its browser storage keeping the earliest date, so a refuted claim
//! held there comes back until that storage is cleared.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::{ActivityVerdict, Scorecard};

/// The two files, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsommExport {
    /// `team-progress.yaml`.
    pub team_progress: String,
    /// `team-evidence.yaml`.
    pub team_evidence: String,
}

/// A team's claim of one activity, as the export needs it.
#[derive(Debug, Clone)]
pub(crate) struct ExportedClaim {
    pub uuid: String,
    pub activity: String,
    pub state: String,
    pub entered_at: Option<DateTime<Utc>>,
    pub verdict: ActivityVerdict,
}

type TeamClaims<'a> = Vec<(&'a str, &'a ExportedClaim)>;

fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

impl Scorecard {
    /// The audit-real state as the DSOMM app's `team-progress.yaml` and `team-evidence.yaml`.
    pub fn to_dsomm(&self) -> DsommExport {
        let as_of = self.as_of.format("%Y-%m-%d").to_string();
        // Per activity, in the order the teams' claims come: each team's claim of it.
        let mut by_activity: Vec<(&str, &str, TeamClaims)> = Vec::new();
        for team in &self.teams {
            for claim in team
                .claims
                .iter()
                .filter(|c| c.verdict != ActivityVerdict::Refuted)
            {
                match by_activity.iter_mut().find(|(u, _, _)| *u == claim.uuid) {
                    Some((_, _, teams)) => teams.push((&team.team, claim)),
                    None => {
                        by_activity.push((&claim.uuid, &claim.activity, vec![(&team.team, claim)]))
                    }
                }
            }
        }
        let mut progress = format!(
            "# The audit-real state as of {as_of}, written by evlake {}: refuted claims are left out.\nprogress:\n",
            env!("CARGO_PKG_VERSION")
        );
        for (uuid, activity, teams) in &by_activity {
            let _ = writeln!(
                progress,
                "  {}:  # {}",
                quoted(uuid),
                activity.replace('\n', " ")
            );
            for (team, claim) in teams {
                let date = claim
                    .entered_at
                    .map_or(as_of.clone(), |t| t.format("%Y-%m-%d").to_string());
                let _ = writeln!(
                    progress,
                    "    {}:\n      {}: {date}",
                    quoted(team),
                    quoted(&claim.state)
                );
            }
        }

        // Per activity (a key once), every team's entry.
        let mut entries: Vec<(&str, &str, Vec<String>)> = Vec::new();
        for team in &self.teams {
            for a in team
                .dimensions
                .iter()
                .flat_map(|d| &d.sub_dimensions)
                .flat_map(|s| &s.sampled)
            {
                let mut description = format!("evlake: **{}** — {}", a.verdict, a.reason);
                for e in &a.evidence {
                    let _ = write!(
                        description,
                        "\n- {} `{}` sha256 `{}`",
                        e.question, e.source_id, e.record_sha256
                    );
                }
                let id = uuid_like(&format!("{}|{}|{}", team.team, a.uuid, self.as_of));
                let entry = format!(
                    "    - id: {}\n      teams: [{}]\n      title: {}\n      evidenceRecorded: {as_of}\n      reviewer: {}\n      description: {}\n",
                    quoted(&id),
                    quoted(&team.team),
                    quoted(&format!("evlake audit-real: {}", a.verdict)),
                    quoted(&format!("evlake {}", env!("CARGO_PKG_VERSION"))),
                    quoted(&description)
                );
                match entries.iter_mut().find(|(u, _, _)| *u == a.uuid) {
                    Some((_, _, list)) => list.push(entry),
                    None => entries.push((&a.uuid, &a.name, vec![entry])),
                }
            }
        }
        let mut evidence = format!(
            "# The evidence evlake found for each sampled activity as of {as_of}.\nevidence:\n"
        );
        for (uuid, name, list) in &entries {
            let _ = writeln!(
                evidence,
                "  {}:  # {}",
                quoted(uuid),
                name.replace('\n', " ")
            );
            for entry in list {
                evidence.push_str(entry);
            }
        }
        if entries.is_empty() {
            evidence = evidence.trim_end().to_string() + " {}\n";
        }
        if by_activity.is_empty() {
            progress = progress.trim_end().to_string() + " {}\n";
        }
        DsommExport {
            team_progress: progress,
            team_evidence: evidence,
        }
    }
}

/// A stable id in the shape of a UUID (the app merges evidence entries by id), from the
/// SHA-256 of `key`.
fn uuid_like(key: &str) -> String {
    let h = evlake_core::sha256_hex(key.as_bytes());
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}
