//! Asking an audit question: its queries run with the as-of instants, its rubric turns the
//! metrics into a verdict and a level, and the result is an [`Answer`].

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::catalog::{self, SqlFile};
use crate::render::batches_to_rows;
use crate::rubric::Rubric;
use crate::{Answer, Error, Params, QuerySession, Result};

/// How much older than a question's lookback the evidence its views read may be, in days.
pub const EVIDENCE_MARGIN_DAYS: i64 = 7;

impl QuerySession {
    /// Answers `question` (`q1` …) as of `as_of` (default: now by the lake's clock), from the
    /// lake as the session reads it (see [`crate::QuerySessionBuilder::with_known_at`]).
    pub async fn ask(&self, question: &str, as_of: Option<DateTime<Utc>>) -> Result<Answer> {
        let spec = Rubric::builtin().question(question)?;
        let as_of = as_of.unwrap_or(self.opened_at);
        let known_at = self.known_at.unwrap_or(self.opened_at);
        let window_start = as_of - Duration::days(spec.window_days.into());
        let lookback_start = as_of - Duration::days(spec.lookback_days.into());
        // Evidence up to a week older than the oldest deploy examined can still bear on it
        // (a SAST run a few days before a promotion).
        self.register_views(
            as_of,
            lookback_start - Duration::days(EVIDENCE_MARGIN_DAYS),
            &spec.parameters,
        )
        .await?;
        let mut params = Params::new()
            .instant("as_of", as_of)
            .instant("known_at", known_at)
            .instant("window_start", window_start)
            .instant("lookback_start", lookback_start)
            .int("window_days", spec.window_days.into());
        for (name, value) in &spec.parameters {
            params = params.int(name, *value);
        }
        let file = |path: &str| {
            catalog::question_file(path).ok_or_else(|| Error::Question {
                question: question.to_string(),
                reason: format!("rubric.toml names '{path}', which is not in queries/"),
            })
        };
        let (evidence_sql, metrics_sql) = (file(&spec.sql)?, file(&spec.metrics_sql)?);
        let evidence = batches_to_rows(&self.query(evidence_sql.text, &params).await?)?;
        let mut metric_rows = batches_to_rows(&self.query(metrics_sql.text, &params).await?)?;
        if metric_rows.len() != 1 {
            return Err(Error::Question {
                question: question.to_string(),
                reason: format!(
                    "{} returned {} rows; a metrics query returns one",
                    metrics_sql.path,
                    metric_rows.len()
                ),
            });
        }
        let metrics: BTreeMap<String, Value> = metric_rows.remove(0).into_iter().collect();
        Ok(Answer {
            question: question.to_string(),
            title: spec.title.clone(),
            as_of,
            window_start,
            window_end: as_of,
            known_at,
            verdict: spec.verdict(&metrics),
            level: spec.level(&metrics),
            evidence,
            metrics,
            activities: spec.activities.clone(),
            sql: reproducible_sql(&[evidence_sql, metrics_sql]),
            lake_version: self.lake_versions().to_vec(),
        })
    }
}

/// The views and the question's queries, in the order they run, so the answer can be
/// re-run elsewhere (parameters stay named: `$as_of`, `$evidence_start` (`$lookback_start`
/// − 7 days), …).
fn reproducible_sql(queries: &[&SqlFile]) -> String {
    let mut out = String::new();
    for view in catalog::VIEWS {
        let _ = writeln!(
            out,
            "-- queries/{}\nCREATE VIEW {} AS\n{};\n",
            view.path,
            view.stem(),
            view.text.trim().trim_end_matches(';')
        );
    }
    for query in queries {
        let _ = writeln!(
            out,
            "-- queries/{}\n{};\n",
            query.path,
            query.text.trim().trim_end_matches(';')
        );
    }
    out
}
