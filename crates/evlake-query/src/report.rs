//! Every question's answer and the scorecard made from them, as one report (`evlake ask all`).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{Answer, QuerySession, Result, Rubric, Scorecard};

/// The answers to every question of the rubric as of one instant, and the scorecard.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    /// The answers, in the rubric's order.
    pub answers: Vec<Answer>,
    /// The scorecard from those answers.
    pub scorecard: Scorecard,
}

impl QuerySession {
    /// Every question of the rubric answered as of `as_of`, read as the lake knew it at
    /// `known_at` (either defaults to when the session opened), and the scorecard made from
    /// those answers.
    pub async fn ask_all(
        &self,
        as_of: Option<DateTime<Utc>>,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<AuditReport> {
        let known_at = Some(known_at.unwrap_or_else(|| self.opened_at()));
        let as_of = Some(as_of.unwrap_or_else(|| self.opened_at()));
        let mut answers = Vec::new();
        for (question, _) in Rubric::builtin().questions() {
            answers.push(self.ask(question, as_of, known_at).await?);
        }
        let scorecard = self.scorecard_of(answers.clone(), None).await?;
        Ok(AuditReport { answers, scorecard })
    }
}

impl AuditReport {
    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report is always serialisable")
    }

    /// The report as text for a terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for a in &self.answers {
            out.push_str(&a.to_text());
            out.push('\n');
        }
        out.push_str(&self.scorecard.to_text());
        out
    }

    /// The report as Markdown: a summary line per question, each answer's section, then the
    /// scorecard.
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "# Audit report as of {}\n\nKnown at {}.\n\n| question | verdict | audit-real level | evidence rows |\n|---|---|---|---|\n",
            self.scorecard.as_of.format("%Y-%m-%dT%H:%M:%SZ"),
            self.scorecard.known_at.format("%Y-%m-%dT%H:%M:%SZ")
        );
        for a in &self.answers {
            out.push_str(&format!(
                "| {} — {} | `{}` | {} | {} |\n",
                a.question,
                a.title,
                a.verdict,
                a.level,
                a.evidence.len()
            ));
        }
        out.push('\n');
        for a in &self.answers {
            out.push_str(&a.to_markdown());
            out.push('\n');
        }
        // The scorecard's own title becomes a section of the report.
        out.push_str(&self.scorecard.to_markdown().replacen("# ", "## ", 1));
        out
    }
}
