//! Asking an audit question: a [`BoundQuestion`]'s two queries run on the shared session, its
//! rubric turns the metrics into a verdict and a level, and the result is an [`Answer`].

use std::collections::BTreeMap;

use std::time::Instant;

use chrono::{DateTime, Utc};
use std::fmt::Write as _;

use serde_json::{Map, Value};

use datafusion::execution::memory_pool::MemoryConsumer;

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
    /// statements took: the staged views first, then the evidence and metrics queries (run
    /// side by side) over them.
    pub async fn timed_answer(&self, bound: &BoundQuestion) -> Result<(Answer, AnswerTimings)> {
        let spec = bound.rubric();
        let (evidence, mut metrics, timings) = self.run_statements(bound).await?;
        let mut sql = bound.sql();
        if let Some((rung, held)) = spec.held_rung() {
            let (periods, earlier_sql) = self.periods_held(bound, &metrics, rung, held).await?;
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
        Ok((answer, timings))
    }

    /// How many consecutive periods, counted back from the as-of instant, the rung below
    /// `rung` held (0 when it does not hold now; counting stops at the first that fails or at
    /// `held.periods`), and the metrics statements of the earlier periods asked, as the
    /// answer's SQL records them.
    async fn periods_held(
        &self,
        bound: &BoundQuestion,
        metrics: &BTreeMap<String, Value>,
        rung: &LevelRule,
        held: HeldOver,
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
            let (_, earlier_metrics, _) = self.run_statements(&earlier).await?;
            let _ = write!(
                sql,
                "\n-- level {} needs level {below} held as of {} too: the metrics then\n{}\n;\n",
                rung.level,
                earlier.as_of().to_rfc3339(),
                earlier.literal(earlier.metrics())
            );
            if spec.level(&earlier_metrics) < below {
                break;
            }
            periods += 1;
        }
        Ok((periods, sql))
    }

    /// Runs a bound question's statements: the staged views, then the evidence and metrics
    /// queries side by side over them; the evidence rows and the one row of metrics.
    async fn run_statements(
        &self,
        bound: &BoundQuestion,
    ) -> Result<(
        Vec<Map<String, Value>>,
        BTreeMap<String, Value>,
        AnswerTimings,
    )> {
        let params = bound.param_values();
        let staged = bound.staged();
        // The staged rows are held until both queries are done: charged to the session's pool.
        let reservation = MemoryConsumer::new(format!("{} staged views", bound.question()))
            .register(&self.memory_pool());
        // One time limit for the whole answer, as for one statement.
        let deadline = Instant::now() + self.timeout();
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
        let ((evidence, _, evidence_timings), (metric_rows, _, metrics_timings)) =
            futures::try_join!(run(&staged.evidence.text), run(&staged.metrics.text))?;
        let evidence = batches_to_rows(&evidence)?;
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
        let metrics: BTreeMap<String, Value> = metric_rows.remove(0).into_iter().collect();
        let timings = AnswerTimings {
            staging,
            evidence: evidence_timings,
            metrics: metrics_timings,
        };
        Ok((evidence, metrics, timings))
    }
}
