//! Questions over the lake: one shared, read-only DataFusion session with every lake table
//! registered, a memory limit and a per-query timeout; questions bound to their instants
//! ([`BoundQuestion`]) that carry the views they read; the read-only guard for user SQL; and
//! the [`Answer`] record with its renderings.

mod answer;
mod ask;
mod bound;
pub mod catalog;
mod error;
mod guard;
mod limits;
mod render;
mod report;
mod reproduce;
mod rubric;
pub mod scorecard;
mod session;

pub use answer::{Answer, LakeTableVersion, Verdict};
pub use ask::AnswerTimings;
pub use bound::{BoundQuery, BoundQuestion, EVIDENCE_MARGIN_DAYS, ParamValue, StagedQueries};
pub use error::{Error, Result};
pub use guard::{MAX_QUERY_OPERATORS, check_read_only};

/// The stack a thread parsing, planning or running a query needs for the deepest query the
/// guard accepts ([`MAX_QUERY_OPERATORS`]): only the pages used are resident.
pub const QUERY_STACK_BYTES: usize = 256 << 20;
pub use render::{OutputFormat, batches_to_rows, render_batches, write_results};
pub use report::AuditReport;
pub use reproduce::{MetricChange, Reproduction, TableMove};
pub use rubric::{
    ActionKind, ActivityRef, Condition, HeldOver, LevelRule, OwnerFrom, PERIODS_HELD,
    QuestionRubric, RoadmapAction, Rubric, VerdictRules,
};
pub use scorecard::{ActivityVerdict, Scorecard};
pub use session::{
    DEFAULT_MAX_ROWS, QueryResults, QuerySession, QuerySessionBuilder, QueryTimings,
};

pub use datafusion::arrow::record_batch::RecordBatch;
pub use datafusion::common::ParamValues;
pub use datafusion::scalar::ScalarValue;
