//! The scorecard as JSON, as text for a terminal and as Markdown for a report.

use std::fmt::Write as _;

use super::{ActivityVerdict, Scorecard};

impl Scorecard {
    /// The scorecard as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scorecard is always serialisable")
    }

    fn headline(&self) -> String {
        format!(
            "as of {} · known at {} · DSOMM model {} · scope: {}",
            self.as_of.format("%Y-%m-%dT%H:%M:%SZ"),
            self.known_at.format("%Y-%m-%dT%H:%M:%SZ"),
            self.model_version.as_deref().unwrap_or("none imported"),
            self.scope
        )
    }

    fn answers_line(&self) -> String {
        self.answers
            .iter()
            .map(|a| format!("{} {} (level {})", a.question, a.verdict, a.level))
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// The scorecard as text for a terminal: per team, one row per sub-dimension, then the
    /// sampled activities whose claim the evidence refutes.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "DSOMM scorecard — claimed versus evidenced");
        let _ = writeln!(out, "{}", self.headline());
        let _ = writeln!(out, "answers: {}", self.answers_line());
        if self.teams.is_empty() {
            let _ = writeln!(
                out,
                "no self-assessment: no team has recorded progress (ingest the DSOMM app's team-progress.yaml with a `dsomm` source)"
            );
        }
        for team in &self.teams {
            let mut table = comfy_table::Table::new();
            table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
            table.set_header([
                "dimension",
                "sub-dimension",
                "claimed",
                "evidenced",
                "Δ",
                "refuted",
                "unverified",
            ]);
            for d in &team.dimensions {
                for s in &d.sub_dimensions {
                    let refuted = s
                        .sampled
                        .iter()
                        .filter(|a| a.verdict == ActivityVerdict::Refuted && a.claimed_pct > 0.0)
                        .count();
                    table.add_row([
                        d.dimension.clone(),
                        s.sub_dimension.clone(),
                        s.claimed.to_string(),
                        s.evidenced.to_string(),
                        signed(s.delta),
                        refuted.to_string(),
                        s.unverified_claims.to_string(),
                    ]);
                }
                table.add_row([
                    format!("{} (mean / min)", d.dimension),
                    String::new(),
                    format!("{:.1} / {}", d.claimed_mean, d.claimed_min),
                    format!("{:.1} / {}", d.evidenced_mean, d.evidenced_min),
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
            }
            let _ = writeln!(out, "\nteam {}{}", team.team, unknown_team(team.known_team));
            let _ = writeln!(out, "{table}");
            for (d, s, a) in team.refuted() {
                let _ = writeln!(
                    out,
                    "  refuted: {d} / {s} / {} (level {}, claimed {}): {}",
                    a.name,
                    a.level,
                    a.claimed_state.as_deref().unwrap_or("—"),
                    a.reason
                );
            }
        }
        out.push_str(&self.unknown_text());
        let _ = writeln!(out, "\n{}", self.derivation);
        if !self.roadmap.is_empty() {
            let _ = writeln!(out, "\nroadmap (docs/scorecard.md says how it is built):");
            for item in &self.roadmap {
                let _ = writeln!(
                    out,
                    "  {:>2} d  {} [{}; {} level {} -> {}; gains up to {}]{}",
                    item.days,
                    item.action,
                    item.kind,
                    item.question,
                    item.level_from,
                    item.level_to,
                    item.level_gained,
                    owners_text(item)
                );
            }
        }
        out
    }

    /// The scorecard as a Markdown report: the summary, a table per team, the activities that
    /// moved and why, and the statements as an appendix.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# DSOMM scorecard — claimed versus evidenced\n");
        let _ = writeln!(out, "{}\n", self.headline());
        let _ = writeln!(out, "Answers: {}\n", self.answers_line());
        let _ = writeln!(out, "{}\n", self.derivation);
        for team in &self.teams {
            let _ = writeln!(out, "## {}{}\n", team.team, unknown_team(team.known_team));
            out.push_str("| dimension | sub-dimension | claimed | evidenced | Δ | unverified claims |\n|---|---|---|---|---|---|\n");
            for d in &team.dimensions {
                for s in &d.sub_dimensions {
                    let _ = writeln!(
                        out,
                        "| {} | {} | {} | {} | {} | {} |",
                        d.dimension,
                        s.sub_dimension,
                        s.claimed,
                        s.evidenced,
                        signed(s.delta),
                        s.unverified_claims
                    );
                }
                let _ = writeln!(
                    out,
                    "| **{}** | mean / min | {:.1} / {} | {:.1} / {} | | |",
                    d.dimension, d.claimed_mean, d.claimed_min, d.evidenced_mean, d.evidenced_min
                );
            }
            let refuted: Vec<_> = team.refuted().collect();
            if !refuted.is_empty() {
                out.push_str("\nActivities the evidence refutes:\n\n");
                for (d, s, a) in refuted {
                    let cited = a
                        .evidence
                        .iter()
                        .map(|e| format!("{} `{}`", e.question, e.source_id))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let _ = writeln!(
                        out,
                        "- {d} / {s} / **{}** (level {}, `{}`), claimed *{}*: {}{}",
                        a.name,
                        a.level,
                        a.uuid,
                        a.claimed_state.as_deref().unwrap_or("—"),
                        a.reason,
                        if cited.is_empty() {
                            String::new()
                        } else {
                            format!(" — evidence: {cited}")
                        }
                    );
                    for e in &a.team_evidence {
                        let _ = writeln!(
                            out,
                            "  - the team's own evidence entry: {}{}{}",
                            e.title.as_deref().unwrap_or("(untitled)"),
                            e.recorded_at
                                .map(|t| format!(", recorded {}", t.format("%Y-%m-%d")))
                                .unwrap_or_default(),
                            e.reviewer
                                .as_deref()
                                .map(|r| format!(", reviewed by {r}"))
                                .unwrap_or_default()
                        );
                    }
                }
            }
            out.push('\n');
        }
        if !self.roadmap.is_empty() {
            out.push_str("## Roadmap\n\n");
            out.push_str("Steps in the first 30 days switch configuration or ingest a missing source, by day 60 they produce evidence, by day 90 a level shows that needs periods to hold; a step never comes before one of its question that opens a lower rung. Within a group the larger gain comes first.\n\n");
            out.push_str("| days | action | lifts | question level | gain | owner | done when | evidence rows |\n|---|---|---|---|---|---|---|---|\n");
            for item in &self.roadmap {
                let lifts = item
                    .lifts
                    .iter()
                    .map(|l| format!("{} ({})", l.activity, l.sub_dimension))
                    .collect::<Vec<_>>()
                    .join("; ");
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} {} → {} | {} | {} | `{}` | {} |",
                    item.days,
                    item.action.replace('|', "\\|"),
                    lifts,
                    item.question,
                    item.level_from,
                    item.level_to,
                    item.level_gained,
                    item.owners
                        .iter()
                        .map(|(s, o)| format!("{s}: {o}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                        .replace('|', "\\|"),
                    item.check.replace('|', "\\|"),
                    item.evidence.len()
                );
            }
            out.push('\n');
        }
        out.push_str(&self.unknown_text());
        let _ = writeln!(
            out,
            "\n<details><summary>SQL</summary>\n\n```sql\n{}\n```\n</details>",
            self.sql
        );
        out
    }

    fn unknown_text(&self) -> String {
        let mut out = String::new();
        let u = &self.unknown;
        if !u.titles.is_empty() {
            let _ = writeln!(
                out,
                "\n{} state(s) with a title the progress definition lacks, ignored as the DSOMM app does: {}",
                u.titles.len(),
                u.titles
                    .iter()
                    .map(|(t, _, title)| format!("{t}: {title}"))
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if !u.teams.is_empty() {
            let _ = writeln!(
                out,
                "\nteams not in the configured team list: {}",
                u.teams.join(", ")
            );
        }
        if !u.activities.is_empty() {
            let _ = writeln!(
                out,
                "\nactivity UUIDs the model does not hold: {}",
                u.activities.join(", ")
            );
        }
        out
    }
}

impl super::TeamScorecard {
    /// The sampled activities the team claims and the evidence refutes, with where they are.
    pub fn refuted(&self) -> impl Iterator<Item = (&str, &str, &super::SampledActivity)> {
        self.dimensions.iter().flat_map(|d| {
            d.sub_dimensions.iter().flat_map(move |s| {
                s.sampled
                    .iter()
                    .filter(|a| a.verdict == ActivityVerdict::Refuted && a.claimed_pct > 0.0)
                    .map(move |a| (d.dimension.as_str(), s.sub_dimension.as_str(), a))
            })
        })
    }
}

fn owners_text(item: &super::roadmap::RoadmapItem) -> String {
    let mut owners: Vec<&str> = item.owners.values().map(String::as_str).collect();
    owners.sort_unstable();
    owners.dedup();
    if owners.is_empty() {
        String::new()
    } else {
        format!(" owner: {}", owners.join(", "))
    }
}

fn signed(delta: i16) -> String {
    if delta > 0 {
        format!("+{delta}")
    } else {
        delta.to_string()
    }
}

fn unknown_team(known: Option<bool>) -> &'static str {
    if known == Some(false) {
        " (not in the configured team list)"
    } else {
        ""
    }
}
