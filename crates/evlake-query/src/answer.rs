//! The answer to an audit question (DESIGN §1), the same record in every interface.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::rubric::ActivityRef;

/// What the evidence says about a control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Evidence shows the control held.
    Evidenced,
    /// The sources were ingested but hold no evidence that the control held.
    NotEvidenced,
    /// Evidence shows the control did not hold.
    Contradicted,
    /// A source was never ingested or has a gap over the window.
    NoData,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Evidenced => "evidenced",
            Verdict::NotEvidenced => "not_evidenced",
            Verdict::Contradicted => "contradicted",
            Verdict::NoData => "no_data",
        })
    }
}

/// The version of one table an answer read, so it can be reproduced; its chain head anchors
/// the lake (`evlake verify --expect-heads` takes a saved answer).
pub type LakeTableVersion = evlake_store::TableHead;

/// The answer to one audit question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The question's id (`q1` … `q5`).
    pub question: String,
    /// The question in words.
    pub title: String,
    /// The valid-time instant the answer is about.
    pub as_of: DateTime<Utc>,
    /// Start of the window examined.
    pub window_start: DateTime<Utc>,
    /// End of the window examined.
    pub window_end: DateTime<Utc>,
    /// The transaction-time instant: only rows the lake held then were read.
    pub known_at: DateTime<Utc>,
    /// What the evidence says.
    pub verdict: Verdict,
    /// The audit-real level, 0–4.
    pub level: u8,
    /// The rows that prove it, with their provenance.
    pub evidence: Vec<Map<String, Value>>,
    /// The counts behind the verdict.
    pub metrics: BTreeMap<String, Value>,
    /// The DSOMM activities the question samples, by UUID.
    pub activities: Vec<ActivityRef>,
    /// Every value the question was bound with: its instants (RFC 3339) and the rubric's
    /// parameters, by name.
    pub parameters: BTreeMap<String, Value>,
    /// SHA-256 of the rubric (`queries/rubric.toml`) that gave the verdict and the level.
    pub rubric_sha256: String,
    /// The evlake version that answered.
    pub evlake_version: String,
    /// The exact statements that produced the evidence and the metrics, every parameter a
    /// literal and the views they read in front of each as common table expressions: runnable
    /// unchanged by DuckDB over the same tables. For a rung held over periods, the metrics
    /// statement of each earlier period asked follows (`periods_held` counts from them).
    pub sql: String,
    /// The table versions read.
    pub lake_version: Vec<LakeTableVersion>,
}

impl Answer {
    /// The answer as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("an answer is always serialisable")
    }

    /// Verdict, level and instants on one line; `label` and `code` wrap labels and the verdict.
    fn headline(&self, label: &str, code: &str) -> String {
        let (l, c) = (label, code);
        format!(
            "{l}verdict:{l} {c}{}{c} · {l}audit-real level:{l} {} · {l}as of:{l} {} · {l}window:{l} {} – {} · {l}known at:{l} {}",
            self.verdict,
            self.level,
            self.as_of.to_rfc3339(),
            self.window_start.to_rfc3339(),
            self.window_end.to_rfc3339(),
            self.known_at.to_rfc3339()
        )
    }

    /// The answer as a Markdown section for a report.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "## {} — {}\n", self.question, self.title);
        let _ = writeln!(out, "{}\n", self.headline("**", "`"));
        if !self.metrics.is_empty() {
            out.push_str("| metric | value |\n|---|---|\n");
            for (k, v) in &self.metrics {
                let _ = writeln!(out, "| {k} | {} |", cell(v));
            }
            out.push('\n');
        }
        out.push_str(&markdown_rows(&self.evidence));
        if !self.activities.is_empty() {
            out.push_str("\nDSOMM activities sampled:\n\n");
            for a in &self.activities {
                let _ = writeln!(out, "- {} (level {}) `{}`", a.name, a.level, a.uuid);
            }
        }
        let _ = writeln!(
            out,
            "\n<details><summary>SQL</summary>\n\n```sql\n{}\n```\n</details>\n",
            self.sql.trim()
        );
        out.push_str("| table | version | chain head |\n|---|---|---|\n");
        for v in &self.lake_version {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                v.table,
                v.version.map_or("—".to_string(), |n| n.to_string()),
                v.chain_head.as_deref().unwrap_or("—")
            );
        }
        out
    }

    /// The answer as text for a terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{} — {}", self.question, self.title);
        let _ = writeln!(out, "{}", self.headline("", ""));
        for (k, v) in &self.metrics {
            let _ = writeln!(out, "  {k:<32} {}", cell(v));
        }
        if self.evidence.is_empty() {
            out.push_str("no evidence rows\n");
        } else {
            let mut table = comfy_table::Table::new();
            table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
            // A terminal gets the leading columns; JSON and Markdown carry every one.
            let all = columns_of(&self.evidence);
            let columns: Vec<String> = all.iter().take(TEXT_COLUMNS).cloned().collect();
            table.set_header(&columns);
            for row in self.evidence.iter().take(TEXT_ROWS) {
                table.add_row(
                    columns
                        .iter()
                        .map(|c| row.get(c).map_or(String::new(), cell)),
                );
            }
            let _ = writeln!(out, "{table}");
            if self.evidence.len() > TEXT_ROWS {
                let _ = writeln!(
                    out,
                    "({} more rows with --format json or md)",
                    self.evidence.len() - TEXT_ROWS
                );
            }
            if all.len() > columns.len() {
                let _ = writeln!(
                    out,
                    "({} more columns — {} — with --format json or md)",
                    all.len() - columns.len(),
                    all[columns.len()..].join(", ")
                );
            }
        }
        out
    }
}

/// How many evidence rows a terminal shows.
const TEXT_ROWS: usize = 25;

/// How many evidence columns a terminal shows.
const TEXT_COLUMNS: usize = 11;

fn columns_of(rows: &[Map<String, Value>]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for row in rows {
        for k in row.keys() {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    columns
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Rows as a Markdown table (pipes in values escaped).
pub(crate) fn markdown_rows(rows: &[Map<String, Value>]) -> String {
    if rows.is_empty() {
        return "_no rows_\n".to_string();
    }
    let columns = columns_of(rows);
    let mut out = format!(
        "| {} |\n|{}\n",
        columns.join(" | "),
        "---|".repeat(columns.len())
    );
    for row in rows {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| {
                row.get(c)
                    .map_or(String::new(), cell)
                    .replace('|', "\\|")
                    .replace('\n', " ")
            })
            .collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer() -> Answer {
        let t = DateTime::parse_from_rfc3339("2026-11-22T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut row = Map::new();
        row.insert("deploy_id".into(), json!("d-1"));
        row.insert("class".into(), json!("advisory_leak"));
        Answer {
            question: "q1".into(),
            title: "SAST-blocked production deploy".into(),
            as_of: t,
            window_start: t - chrono::Duration::days(7),
            window_end: t,
            known_at: t,
            verdict: Verdict::Contradicted,
            level: 2,
            evidence: vec![row],
            metrics: BTreeMap::from([("advisory_leaks".to_string(), json!(1))]),
            activities: vec![ActivityRef {
                uuid: "ac8730a2-ccc0-465c-9550-d91edae9d5ee".into(),
                name: "Require status checks to pass".into(),
                level: 3,
                confirmed_at: 1,
            }],
            parameters: BTreeMap::from([("as_of".to_string(), json!("2026-11-22T00:00:00Z"))]),
            rubric_sha256: "00".into(),
            evlake_version: "0.1.0".into(),
            sql: "SELECT 1".into(),
            lake_version: vec![LakeTableVersion {
                table: "ci_jobs".into(),
                version: Some(3),
                chain_head: Some("ab".into()),
            }],
        }
    }

    #[test]
    fn json_uses_the_stable_field_names() {
        let v: Value = serde_json::from_str(&answer().to_json()).unwrap();
        assert_eq!(v["verdict"], "contradicted");
        assert_eq!(v["evidence"][0]["class"], "advisory_leak");
        assert_eq!(v["lake_version"][0]["version"], 3);
        assert_eq!(v["window_start"], "2026-11-15T00:00:00Z");
    }

    #[test]
    fn markdown_and_text_show_verdict_metrics_and_rows() {
        let md = answer().to_markdown();
        assert!(md.contains("**verdict:** `contradicted`"), "{md}");
        assert!(md.contains("| advisory_leaks | 1 |"), "{md}");
        assert!(md.contains("| d-1 | advisory_leak |"), "{md}");
        assert!(
            md.contains("`ac8730a2-ccc0-465c-9550-d91edae9d5ee`"),
            "{md}"
        );
        let text = answer().to_text();
        assert!(
            text.contains("verdict: contradicted") && text.contains("d-1"),
            "{text}"
        );
    }

    #[test]
    fn a_terminal_gets_the_leading_columns_and_is_told_of_the_rest() {
        let mut answer = answer();
        for i in 0..12 {
            answer.evidence[0].insert(format!("extra_{i}"), json!(i));
        }
        let text = answer.to_text();
        assert!(
            text.contains("extra_8") && !text.contains("│ extra_9"),
            "{text}"
        );
        assert!(
            text.contains("(3 more columns — extra_9, extra_10, extra_11 —"),
            "{text}"
        );
        assert!(answer.to_markdown().contains("extra_11"));
    }
}
