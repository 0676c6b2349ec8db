//! Asking an audit question: a [`BoundQuestion`]'s two queries run on the shared session, its
//! rubric turns the metrics into a verdict and a level, and the result is an [`Answer`].

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Utc};
use datafusion::execution::memory_pool::MemoryConsumer;
use serde_json::{Map, Value};

use crate::render::batches_to_rows;
use crate::rubric::{HeldOver, LevelRule, PERIODS_HELD, Rubric};
use crate::{Answer, BoundQuestion, Error, QuerySession, QueryTimings, Result};

/// How long each statement of an answer took.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerTimings {
    /// Each staged view (the work both queries share), by name, in the order computed.
    pub staging: Vec<(&'static str, QueryTimings)>,
    /// The evidence query over the staged views.
    pub evidence: QueryTimings,
    /// The metrics query over the staged views.
    pub metrics: QueryTimings,
}

impl QuerySession {
    /// Binds `question` (`q1` …) of the built-in rubric as of `as_of`, reading what the lake
    /// had ingested by `known_at`; either defaults to when the session opened.
    pub fn bind(
        &self,
        question: &str,
        as_of: Option<DateTime<Utc>>,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<BoundQuestion> {
        BoundQuestion::new(
            Rubric::builtin(),
            question,
            as_of.unwrap_or(self.opened_at()),
            known_at.unwrap_or(self.opened_at()),
        )
    }

    /// Answers `question` as of `as_of`, known at `known_at` (see [`QuerySession::bind`]).
    pub async fn ask(
        &self,
        question: &str,
        as_of: Option<DateTime<Utc>>,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Answer> {
        self.answer(&self.bind(question, as_of, known_at)?).await
    }

    /// Runs a bound question. The session is only read, so any number of answers may run on
    /// it at once.
    pub async fn answer(&self, bound: &BoundQuestion) -> Result<Answer> {
        Ok(self.timed_answer(bound).await?.0)
    }

    /// Runs a bound question like [`answer`](Self::answer), and says how long each of its
    /// statements as of its as-of instant took: the staged views first, then the evidence and
    /// metrics queries (run side by side) over them. The earlier periods a rung held over
    /// periods asks (metrics only) count towards the one time limit but are not listed.
    pub async fn timed_answer(&self, bound: &BoundQuestion) -> Result<(Answer, AnswerTimings)> {
        let spec = bound.rubric();
        // One time limit for the whole answer, as for one statement.
        let deadline = Instant::now() + self.timeout();
        let ran = self.run_statements(bound, deadline, true).await?;
        let (evidence, evidence_timings) = ran.evidence.expect("the evidence was asked for");
        let mut metrics = ran.metrics;
        let mut sql = bound.sql();
        if let Some((rung, held)) = spec.held_rung() {
            if metrics.contains_key(PERIODS_HELD) {
                return Err(Error::Question {
                    question: bound.question().to_string(),
                    reason: format!(
                        "{} returns a column {PERIODS_HELD}, which evlake counts itself",
                        bound.metrics().path
                    ),
                });
            }
            let (periods, earlier_sql) = self
                .periods_held(bound, &metrics, rung, held, deadline)
                .await?;
            metrics.insert(PERIODS_HELD.to_string(), Value::from(periods));
            sql.push_str(&earlier_sql);
        }
        let answer = Answer {
            question: bound.question().to_string(),
            title: spec.title.clone(),
            as_of: bound.as_of(),
            window_start: bound.window_start(),
            window_end: bound.as_of(),
            known_at: bound.known_at(),
            verdict: spec.verdict(&metrics),
            level: spec.level(&metrics),
            evidence,
            metrics,
            activities: spec.activities.clone(),
            parameters: bound
                .parameters()
                .iter()
                .map(|(name, value)| (name.clone(), value.to_json()))
                .collect(),
            rubric_sha256: bound.rubric_sha256().to_string(),
            evlake_version: env!("CARGO_PKG_VERSION").to_string(),
            sql,
            lake_version: self.lake_versions().to_vec(),
        };
        let timings = AnswerTimings {
            staging: ran.staging,
            evidence: evidence_timings,
            metrics: ran.metrics_timings,
        };
        Ok((answer, timings))
    }

    /// How many consecutive periods, counted back from the as-of instant, the rung below
    /// `rung` held (0 when it does not hold now; counting stops at the first that fails or at
    /// `held.periods`), and the metrics statements of the earlier periods asked, as the
    /// answer's SQL records them. Earlier periods are read at the same known-at instant:
    /// evidence ingested late counts for the period it is dated in.
    async fn periods_held(
        &self,
        bound: &BoundQuestion,
        metrics: &BTreeMap<String, Value>,
        rung: &LevelRule,
        held: HeldOver,
        deadline: Instant,
    ) -> Result<(u32, String)> {
        let spec = bound.rubric();
        let below = rung.level - 1;
        let mut sql = String::new();
        if spec.level(metrics) < below {
            return Ok((0, sql));
        }
        let mut periods = 1;
        while periods < held.periods {
            let earlier = bound.earlier(periods * held.period_days)?;
            let ran = self.run_statements(&earlier, deadline, false).await?;
            sql.push('\n');
            sql.push_str(&earlier.metrics_sql(&format!(
                "metrics as of {} (level {} needs level {below} held then too)",
                earlier
                    .as_of()
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                rung.level
            )));
            if spec.level(&ran.metrics) < below {
                break;
            }
            periods += 1;
        }
        Ok((periods, sql))
    }

    /// Runs a bound question's statements before `deadline`: the staged views, then the
    /// metrics query and, if `with_evidence`, the evidence query beside it.
    async fn run_statements(
        &self,
        bound: &BoundQuestion,
        deadline: Instant,
        with_evidence: bool,
    ) -> Result<Statements> {
        let params = bound.param_values();
        let staged = bound.staged();
        // The staged rows are held until both queries are done: charged to the session's pool.
        let reservation = MemoryConsumer::new(format!("{} staged views", bound.question()))
            .register(&self.memory_pool());
        let overlay = self.overlay().await?;
        let mut staging = Vec::new();
        for (name, query) in &staged.views {
            let (batches, columns, timings) = self
                .timed_query_in(
                    &overlay.ctx,
                    &query.text,
                    &params,
                    deadline,
                    Some(&reservation),
                )
                .await?;
            overlay.stage(name, columns, batches)?;
            staging.push((*name, timings));
        }
        let run = |query: &str| {
            let sql = query.to_string();
            let (ctx, params) = (&overlay.ctx, &params);
            async move { self.timed_query_in(ctx, &sql, params, deadline, None).await }
        };
        let evidence = async {
            if !with_evidence {
                return Ok(None);
            }
            let (batches, _, timings) = run(&staged.evidence.text).await?;
            Ok(Some((batches_to_rows(&batches)?, timings)))
        };
        let (evidence, (metric_rows, _, metrics_timings)) =
            futures::try_join!(evidence, run(&staged.metrics.text))?;
        let mut metric_rows = batches_to_rows(&metric_rows)?;
        if metric_rows.len() != 1 {
            return Err(Error::Question {
                question: bound.question().to_string(),
                reason: format!(
                    "{} returned {} rows; a metrics query returns one",
                    bound.metrics().path,
                    metric_rows.len()
                ),
            });
        }
        Ok(Statements {
            evidence,
            metrics: metric_rows.remove(0).into_iter().collect(),
            staging,
            metrics_timings,
        })
    }
}

/// What a bound question's statements returned, and how long they took.
struct Statements {
    /// The evidence rows, when asked for.
    evidence: Option<(Vec<Map<String, Value>>, QueryTimings)>,
    /// The one row of metrics.
    metrics: BTreeMap<String, Value>,
    staging: Vec<(&'static str, QueryTimings)>,
    metrics_timings: QueryTimings,
}
