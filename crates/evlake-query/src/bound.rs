//! A question bound to its instants: the one place where a question's window, lookback and
//! evidence start are derived from its as-of and known-at instants and its rubric.
//!
//! A [`BoundQuestion`] yields each of the question's two queries (evidence, metrics) as one
//! self-contained statement: the shared views it reads become common table expressions in
//! front of it, so nothing is registered on the session and any number of questions with
//! different instants run side by side on one shared session. The same statement comes in
//! two renderings: with named placeholders (`$as_of`, …) and typed parameter values for
//! DataFusion, and with every parameter as a literal ([`BoundQuestion::sql`]) for the answer's
//! `sql` field and other engines (tested: DataFusion and DuckDB give the same rows from it).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use datafusion::common::ParamValues;
use datafusion::scalar::ScalarValue;
use serde_json::Value;

use crate::catalog::{self, SqlFile};
use crate::rubric::{QuestionRubric, Rubric};
use crate::{Error, Result};

/// How much older than a question's lookback the evidence its views read may be, in days:
/// evidence up to a week older than the oldest attempt examined can still bear on it (a SAST
/// run a few days before a promotion).
pub const EVIDENCE_MARGIN_DAYS: i64 = 7;

/// The value of one bound parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamValue {
    /// An instant, typed like the lake's time columns (UTC microseconds).
    Instant(DateTime<Utc>),
    /// An integer.
    Int(i64),
}

impl ParamValue {
    /// The value as a DataFusion scalar.
    pub(crate) fn scalar(self) -> ScalarValue {
        match self {
            ParamValue::Instant(t) => {
                ScalarValue::TimestampMicrosecond(Some(t.timestamp_micros()), Some("UTC".into()))
            }
            ParamValue::Int(n) => ScalarValue::Int64(Some(n)),
        }
    }

    /// The value as an SQL literal that DataFusion and DuckDB read alike.
    fn literal(self) -> String {
        match self {
            ParamValue::Instant(t) => format!(
                "CAST('{}' AS TIMESTAMP WITH TIME ZONE)",
                t.format("%Y-%m-%d %H:%M:%S%.6f+00:00")
            ),
            ParamValue::Int(n) => n.to_string(),
        }
    }

    /// The value as the answer records it: an instant in RFC 3339 (microseconds, `Z`).
    pub fn to_json(self) -> Value {
        match self {
            ParamValue::Instant(t) => Value::String(t.to_rfc3339_opts(SecondsFormat::Micros, true)),
            ParamValue::Int(n) => Value::from(n),
        }
    }
}

/// One of a question's two queries, bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundQuery {
    /// The question file under `queries/`.
    pub path: &'static str,
    /// The views it reads, in the order they are defined in front of it.
    pub views: Vec<&'static str>,
    /// The statement with named placeholders, for DataFusion with [`BoundQuestion::param_values`].
    pub text: String,
}

/// The work a question's two queries share, done once per answer: each view they would
/// evaluate more than once is computed first, and the queries (and later staged views) then
/// read its rows as a table of that name. (The self-contained statements an answer records
/// compute it at every mention; the rows are the same.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedQueries {
    /// The staged views, each with the views it reads (but not the staged ones before it,
    /// which it reads as tables) as CTEs, in catalogue order.
    pub views: Vec<(&'static str, BoundQuery)>,
    /// The evidence query reading the staged views as tables.
    pub evidence: BoundQuery,
    /// The metrics query reading the staged views as tables.
    pub metrics: BoundQuery,
}

/// A question with every instant and parameter it runs with.
#[derive(Debug, Clone)]
pub struct BoundQuestion {
    question: String,
    /// The whole rubric, to bind the question again at earlier instants (a rung held over
    /// periods).
    rubric: Rubric,
    spec: QuestionRubric,
    parameters: BTreeMap<String, ParamValue>,
    evidence: BoundQuery,
    metrics: BoundQuery,
    staged: StagedQueries,
}

impl BoundQuestion {
    /// Binds `question` of `rubric` as of `as_of`,
    /// reading only rows the lake had ingested by `known_at`.
    pub fn new(
        rubric: &Rubric,
        question: &str,
        as_of: DateTime<Utc>,
        known_at: DateTime<Utc>,
    ) -> Result<Self> {
        let spec = rubric.question(question)?.clone();
        // The lake's time columns hold microseconds: so do the instants an answer records.
        let micros = |t: DateTime<Utc>| {
            DateTime::from_timestamp_micros(t.timestamp_micros()).expect("an instant in range")
        };
        let (as_of, known_at) = (micros(as_of), micros(known_at));
        let lookback_start = as_of - Duration::days(spec.lookback_days.into());
        let mut parameters = BTreeMap::from([
            ("as_of".to_string(), ParamValue::Instant(as_of)),
            ("known_at".to_string(), ParamValue::Instant(known_at)),
            (
                "window_start".to_string(),
                ParamValue::Instant(as_of - Duration::days(spec.window_days.into())),
            ),
            (
                "lookback_start".to_string(),
                ParamValue::Instant(lookback_start),
            ),
            (
                "evidence_start".to_string(),
                ParamValue::Instant(lookback_start - Duration::days(EVIDENCE_MARGIN_DAYS)),
            ),
            (
                "window_days".to_string(),
                ParamValue::Int(spec.window_days.into()),
            ),
            (
                "lookback_days".to_string(),
                ParamValue::Int(spec.lookback_days.into()),
            ),
            (
                "evidence_margin_days".to_string(),
                ParamValue::Int(EVIDENCE_MARGIN_DAYS),
            ),
        ]);
        if let Some(days) = spec.snapshot_offset_days {
            parameters.insert(
                "snapshot_at".to_string(),
                ParamValue::Instant(as_of - Duration::days(days.into())),
            );
        }
        for (name, value) in &spec.parameters {
            if parameters.contains_key(name) {
                return Err(Error::Rubric(format!(
                    "[{question}.parameters] {name}: the name is one of evlake's own instants"
                )));
            }
            parameters.insert(name.clone(), ParamValue::Int(*value));
        }
        let file = |path: &str| {
            catalog::question_file(path).ok_or_else(|| Error::Question {
                question: question.to_string(),
                reason: format!("rubric.toml names '{path}', which is not in queries/"),
            })
        };
        let (evidence_file, metrics_file) = (file(&spec.sql)?, file(&spec.metrics_sql)?);
        let staged_names = evaluated_more_than_once(&[evidence_file, metrics_file]);
        let staged = StagedQueries {
            views: staged_names
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    let view = catalog::VIEWS.iter().find(|v| v.stem() == *name);
                    let view = view.expect("a staged view is in the catalogue");
                    (*name, with_views(view, &staged_names[..i]))
                })
                .collect(),
            evidence: with_views(evidence_file, &staged_names),
            metrics: with_views(metrics_file, &staged_names),
        };
        Ok(Self {
            question: question.to_string(),
            rubric: rubric.clone(),
            spec,
            parameters,
            evidence: with_views(evidence_file, &[]),
            metrics: with_views(metrics_file, &[]),
            staged,
        })
    }

    /// The same question as of `days` days earlier, read as the lake knew it at the same
    /// known-at instant (every instant derived again from the earlier as-of).
    pub fn earlier(&self, days: u32) -> Result<Self> {
        Self::new(
            &self.rubric,
            &self.question,
            self.as_of() - Duration::days(days.into()),
            self.known_at(),
        )
    }

    /// The question's id.
    pub fn question(&self) -> &str {
        &self.question
    }

    /// The question's rubric.
    pub fn rubric(&self) -> &QuestionRubric {
        &self.spec
    }

    /// SHA-256 of the rubric's text.
    pub fn rubric_sha256(&self) -> &str {
        self.rubric.sha256()
    }

    /// The instant the answer is about.
    pub fn as_of(&self) -> DateTime<Utc> {
        self.instant("as_of")
    }

    /// Only rows ingested at or before this instant are read.
    pub fn known_at(&self) -> DateTime<Utc> {
        self.instant("known_at")
    }

    /// The start of the window examined, (`window_start`, `as_of`].
    pub fn window_start(&self) -> DateTime<Utc> {
        self.instant("window_start")
    }

    /// The start of the lookback, (`lookback_start`, `as_of`].
    pub fn lookback_start(&self) -> DateTime<Utc> {
        self.instant("lookback_start")
    }

    /// The oldest evidence the views read, (`evidence_start`, `as_of`].
    pub fn evidence_start(&self) -> DateTime<Utc> {
        self.instant("evidence_start")
    }

    /// The instant whose state the question reads, for a question about earlier state (the
    /// rubric's `snapshot_offset_days` before as-of).
    pub fn snapshot_at(&self) -> Option<DateTime<Utc>> {
        match self.parameters.get("snapshot_at") {
            Some(ParamValue::Instant(t)) => Some(*t),
            _ => None,
        }
    }

    fn instant(&self, name: &str) -> DateTime<Utc> {
        match self.parameters.get(name) {
            Some(ParamValue::Instant(t)) => *t,
            _ => unreachable!("every bound question has the instant {name}"),
        }
    }

    /// Every bound value: the instants and the rubric's parameters, by name without `$`.
    pub fn parameters(&self) -> &BTreeMap<String, ParamValue> {
        &self.parameters
    }

    /// The evidence query.
    pub fn evidence(&self) -> &BoundQuery {
        &self.evidence
    }

    /// The metrics query (one row).
    pub fn metrics(&self) -> &BoundQuery {
        &self.metrics
    }

    /// The same two queries with the views they would evaluate more than once computed once
    /// before them: how evlake runs them.
    pub fn staged(&self) -> &StagedQueries {
        &self.staged
    }

    /// The parameters typed for DataFusion.
    pub fn param_values(&self) -> ParamValues {
        ParamValues::Map(
            self.parameters
                .iter()
                .map(|(name, value)| (name.clone(), value.scalar().into()))
                .collect(),
        )
    }

    /// `query` with every parameter as a literal: what other engines run.
    pub fn literal(&self, query: &BoundQuery) -> String {
        substitute(&query.text, &self.parameters)
    }

    /// The exact statements behind an answer, every parameter a literal: the evidence query,
    /// then the metrics query, each ending in `;` on a line of its own.
    pub fn sql(&self) -> String {
        format!(
            "{}\n{}",
            self.statement(&self.evidence, "evidence"),
            self.statement(&self.metrics, "metrics")
        )
    }

    /// The metrics query alone as [`sql`](Self::sql) records it, its header saying `what` it
    /// is (the metrics of an earlier period a rung held over periods needs).
    pub fn metrics_sql(&self, what: &str) -> String {
        self.statement(&self.metrics, what)
    }

    /// `query` as a literal statement under a header naming `what` it is, its file and the
    /// views it carries, ending in `;` on a line of its own.
    fn statement(&self, query: &BoundQuery, what: &str) -> String {
        let views = if query.views.is_empty() {
            "none".to_string()
        } else {
            query.views.join(", ")
        };
        format!(
            "-- {what}: queries/{} (views as CTEs: {views})\n{}\n;\n",
            query.path,
            self.literal(query)
        )
    }
}

/// How far back the views of ad-hoc SQL read: the default retention.
const ADHOC_DAYS: i64 = 365;

/// The shared views as ad-hoc SQL sees them in a session opened at `now`: the evidence of
/// the last year up to `now`, known at `now`, state (the inventory) as it stands at `now`,
/// with the rubric's parameters; `(name, text)` in catalogue order.
pub(crate) fn adhoc_views(rubric: &Rubric, now: DateTime<Utc>) -> Vec<(&'static str, String)> {
    let parameters: BTreeMap<String, ParamValue> = rubric
        .parameters()
        .into_iter()
        .map(|(name, value)| (name, ParamValue::Int(value)))
        .chain([
            ("as_of".to_string(), ParamValue::Instant(now)),
            ("known_at".to_string(), ParamValue::Instant(now)),
            ("snapshot_at".to_string(), ParamValue::Instant(now)),
            (
                "evidence_start".to_string(),
                ParamValue::Instant(now - Duration::days(ADHOC_DAYS)),
            ),
        ])
        .collect();
    catalog::VIEWS
        .iter()
        .map(|view| {
            let body = view.text.trim().trim_end_matches(';');
            (view.stem(), substitute(body, &parameters))
        })
        .collect()
}

/// `sql` with each `$name` of `parameters` replaced by its literal.
pub(crate) fn substitute(sql: &str, parameters: &BTreeMap<String, ParamValue>) -> String {
    let mut names: Vec<(&String, &ParamValue)> = parameters.iter().collect();
    // Longest name first, so that no name eats the start of a longer one.
    names.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    let mut text = sql.to_string();
    for (name, value) in names {
        text = text.replace(&format!("${name}"), &value.literal());
    }
    text
}

/// The views that `queries` (run one after the other, each with the views it reads inlined)
/// would evaluate more than once by their mentions, in catalogue order: what an answer
/// stages, computing each once. A view read by a staged view counts once per mention there;
/// one read by an inlined view, once per mention per evaluation of that reader. (A mention
/// inside a file's own CTE that the file reads twice counts once: such a view is evaluated
/// twice but not staged, so work a view reads twice is a view of its own.)
fn evaluated_more_than_once(queries: &[&SqlFile]) -> Vec<&'static str> {
    let uses = |text: &str, name: &str| -> usize {
        let code: String = text
            .lines()
            .map(|l| l.split("--").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        occurrences(&code, name)
    };
    let mut evaluations = vec![0usize; catalog::VIEWS.len()];
    // A view's readers come after it in the catalogue: from the end, each count is complete
    // when it is reached.
    for (i, view) in catalog::VIEWS.iter().enumerate().rev() {
        let by_queries: usize = queries.iter().map(|q| uses(&body(q), view.stem())).sum();
        let by_views: usize = catalog::VIEWS
            .iter()
            .enumerate()
            .skip(i + 1)
            .map(|(j, reader)| {
                // A staged reader runs once; an inlined one as often as it is evaluated.
                let runs = if evaluations[j] > 1 {
                    1
                } else {
                    evaluations[j]
                };
                runs * uses(&body(reader), view.stem())
            })
            .sum();
        evaluations[i] = by_queries + by_views;
    }
    catalog::VIEWS
        .iter()
        .zip(&evaluations)
        .filter(|(_, n)| **n > 1)
        .map(|(v, _)| v.stem())
        .collect()
}

/// `f`'s statement without its final `;`.
fn body(f: &SqlFile) -> String {
    f.text.trim().trim_end_matches(';').trim_end().to_string()
}

/// `file`'s query with the views it reads, directly or through other views, defined in front
/// of it as common table expressions (in catalogue order: a view may read those before it);
/// the views in `provided` are read as tables and are not defined.
fn with_views(file: &'static SqlFile, provided: &[&str]) -> BoundQuery {
    let mut needed = vec![false; catalog::VIEWS.len()];
    // A view's readers come after it in the catalogue, so one pass from the end finds all.
    let query = body(file);
    for (i, view) in catalog::VIEWS.iter().enumerate().rev() {
        if provided.contains(&view.stem()) {
            continue;
        }
        let read_by_query = mentions(&query, view.stem());
        let read_by_view = catalog::VIEWS
            .iter()
            .enumerate()
            .skip(i + 1)
            .any(|(j, v)| needed[j] && mentions(&body(v), view.stem()));
        needed[i] = read_by_query || read_by_view;
    }
    let views: Vec<&'static SqlFile> = catalog::VIEWS
        .iter()
        .zip(&needed)
        .filter(|(_, n)| **n)
        .map(|(v, _)| v)
        .collect();
    if views.is_empty() {
        return BoundQuery {
            path: file.path,
            views: vec![],
            text: query,
        };
    }
    let ctes: Vec<String> = views
        .iter()
        .map(|v| format!("{} AS (\n-- queries/{}\n{}\n)", v.stem(), v.path, body(v)))
        .collect();
    // The query's own leading comment stays in front; its own WITH list follows the views'.
    let (comment, statement) = split_leading_comment(&query);
    let text = match strip_keyword(statement, "WITH") {
        Some(rest) => format!("{comment}WITH\n{},\n{rest}", ctes.join(",\n")),
        None => format!("{comment}WITH\n{}\n{statement}", ctes.join(",\n")),
    };
    BoundQuery {
        path: file.path,
        views: views.iter().map(|v| v.stem()).collect(),
        text,
    }
}

/// Whether `sql` names `name` as a whole word.
fn mentions(sql: &str, name: &str) -> bool {
    occurrences(sql, name) > 0
}

/// How often `sql` names `name` as a whole word.
fn occurrences(sql: &str, name: &str) -> usize {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    sql.match_indices(name)
        .filter(|(at, _)| {
            let before = sql[..*at].chars().next_back();
            let after = sql[at + name.len()..].chars().next();
            !before.is_some_and(word) && !after.is_some_and(word)
        })
        .count()
}

/// The `--` comment lines at the start of `sql`, and the rest.
fn split_leading_comment(sql: &str) -> (&str, &str) {
    let mut at = 0;
    for line in sql.split_inclusive('\n') {
        if !line.trim_start().starts_with("--") && !line.trim().is_empty() {
            break;
        }
        at += line.len();
    }
    (&sql[..at], &sql[at..])
}

/// `sql` after a leading `keyword` (any case) and the whitespace after it.
fn strip_keyword<'a>(sql: &'a str, keyword: &str) -> Option<&'a str> {
    let head = sql.get(..keyword.len())?;
    let rest = &sql[keyword.len()..];
    (head.eq_ignore_ascii_case(keyword) && rest.starts_with(char::is_whitespace))
        .then(|| rest.trim_start())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn every_instant_is_derived_here_from_as_of_and_the_rubric() {
        let q = BoundQuestion::new(
            Rubric::builtin(),
            "q1",
            t("2026-11-20T00:00:00Z"),
            t("2026-11-21T06:00:00Z"),
        )
        .unwrap();
        assert_eq!(q.window_start(), t("2026-11-13T00:00:00Z"));
        assert_eq!(q.lookback_start(), t("2026-08-22T00:00:00Z"));
        assert_eq!(q.evidence_start(), t("2026-08-15T00:00:00Z"));
        assert_eq!(q.known_at(), t("2026-11-21T06:00:00Z"));
        assert_eq!(q.parameters()["window_days"], ParamValue::Int(7));
        let q2 = BoundQuestion::new(Rubric::builtin(), "q2", q.as_of(), q.known_at()).unwrap();
        assert_eq!(q2.window_start(), t("2026-10-21T00:00:00Z"));
        assert_eq!(
            q2.parameters()["correlation_window_minutes"],
            ParamValue::Int(30)
        );
    }

    #[test]
    fn a_query_carries_only_the_views_it_reads_and_every_parameter_as_a_literal() {
        let q = BoundQuestion::new(
            Rubric::builtin(),
            "q2",
            t("2026-11-20T00:00:00Z"),
            t("2026-11-20T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(
            q.evidence().views,
            [
                "incident_alert_refs",
                "incident_timeline",
                "runtime_alert_incidents"
            ]
        );
        let sql = q.sql();
        assert!(!sql.contains('$'), "{sql}");
        assert!(!sql.contains("prod_deploy_attempts AS"), "{sql}");
        assert!(
            sql.contains("CAST('2026-10-21 00:00:00.000000+00:00' AS TIMESTAMP WITH TIME ZONE)"),
            "{sql}"
        );
        assert_eq!(sql.matches("\n;\n").count(), 2, "two statements");
        let q1 = BoundQuestion::new(Rubric::builtin(), "q1", q.as_of(), q.known_at()).unwrap();
        assert_eq!(
            q1.evidence().views,
            [
                "ci_gates",
                "deployment_outcomes",
                "deployments_in_production",
                "exception_states",
                "prod_deploy_attempts"
            ]
        );
        assert!(q1.metrics().views.contains(&"ci_gates"));
    }

    #[test]
    fn views_evaluated_more_than_once_are_staged_and_read_as_tables() {
        let at = t("2026-11-20T00:00:00Z");
        let q1 = BoundQuestion::new(Rubric::builtin(), "q1", at, at).unwrap();
        let staged = q1.staged();
        let names: Vec<&str> = staged.views.iter().map(|(n, _)| *n).collect();
        // The attempts (read by both queries), the gates (twice by the attempts, once by the
        // metrics), the production deployments (twice by the attempts) and the exception
        // states (by the attempts and the current exceptions).
        assert_eq!(
            names,
            [
                "ci_gates",
                "deployments_in_production",
                "exception_states",
                "prod_deploy_attempts"
            ]
        );
        let (_, deployments) = &staged.views[1];
        assert_eq!(deployments.views, ["deployment_outcomes"]);
        let (_, view) = &staged.views[3];
        assert_eq!(view.path, "views/prod_deploy_attempts.sql");
        assert!(view.views.is_empty(), "{:?}", view.views);
        assert!(!view.text.contains("ci_gates AS ("));
        // The evidence query reads only the staged view; the metrics query still defines the
        // current exceptions, over the staged states.
        assert!(
            staged.evidence.views.is_empty(),
            "{:?}",
            staged.evidence.views
        );
        assert!(!staged.evidence.text.contains("prod_deploy_attempts AS"));
        assert_eq!(
            staged.metrics.views,
            ["exceptions_current", "source_coverage"]
        );
        // What the answer records stays self-contained.
        assert!(q1.sql().contains("prod_deploy_attempts AS ("));
        let q2 = BoundQuestion::new(Rubric::builtin(), "q2", at, at).unwrap();
        let names: Vec<&str> = q2.staged().views.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["incident_timeline", "runtime_alert_incidents"]);
    }

    #[test]
    fn no_query_or_view_names_a_cte_of_its_own_like_a_view() {
        // A file's own CTE named like a view would shadow the staged table of that name.
        for file in catalog::VIEWS.iter().chain(catalog::QUESTIONS) {
            for view in catalog::VIEWS {
                assert!(
                    !body(file).contains(&format!("{} AS (", view.stem())),
                    "{} defines a CTE named like the view {}",
                    file.path,
                    view.stem()
                );
            }
        }
    }

    #[test]
    fn words_comments_and_with_lists() {
        assert!(mentions("FROM ci_gates g", "ci_gates"));
        assert!(!mentions("FROM ci_gates_old", "ci_gates"));
        assert!(!mentions("my_ci_gates", "ci_gates"));
        assert_eq!(
            split_leading_comment("-- a\n--b\nWITH x AS (SELECT 1)"),
            ("-- a\n--b\n", "WITH x AS (SELECT 1)")
        );
        assert_eq!(strip_keyword("with\n  x AS", "WITH"), Some("x AS"));
        assert_eq!(strip_keyword("WITHIN", "WITH"), None);
    }
}
