//! Questions over the lake: a DataFusion session with every lake table and the shared
//! views registered, named-parameter SQL, a memory limit and a per-query timeout, the
//! read-only guard for user SQL, and the [`Answer`] record with its renderings.

mod answer;
mod ask;
pub mod catalog;
mod error;
mod guard;
mod render;
mod rubric;
mod session;

pub use answer::{Answer, LakeTableVersion, Verdict};
pub use ask::EVIDENCE_MARGIN_DAYS;
pub use error::{Error, Result};
pub use guard::check_read_only;
pub use render::{OutputFormat, batches_to_rows, render_batches};
pub use rubric::{ActivityRef, Condition, LevelRule, QuestionRubric, Rubric, VerdictRules};
pub use session::{Params, QuerySession, QuerySessionBuilder};

pub use datafusion::arrow::record_batch::RecordBatch;
pub use datafusion::scalar::ScalarValue;
