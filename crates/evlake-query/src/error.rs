//! The error type of `evlake-query`.

use std::time::Duration;

/// Errors raised while querying the lake.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// User SQL that would change the lake or read outside it.
    #[error(
        "refused: {what}. evlake SQL is read-only: only SELECT, WITH and EXPLAIN queries over the lake's tables and views are allowed"
    )]
    ReadOnly {
        /// What was refused.
        what: String,
    },
    /// A query that ran past its time limit.
    #[error("the query ran past its time limit of {}s and was cancelled; narrow the window or raise --query-timeout", .0.as_secs_f64())]
    Timeout(Duration),
    /// A user's query returned more rows than the session allows.
    #[error(
        "the query returns more than {0} rows, the limit: aggregate, filter or add a LIMIT, or raise --max-rows"
    )]
    RowLimit(usize),
    /// A query that needed more memory than the session's limit.
    #[error(
        "the query needed more memory than the limit of {limit_bytes} bytes; narrow the window or raise --memory-limit-mib ({detail})"
    )]
    MemoryLimit {
        /// The session's memory limit.
        limit_bytes: usize,
        /// DataFusion's account of the allocation that failed.
        detail: String,
    },
    /// A view of `queries/views/` that DataFusion rejects.
    #[error("view '{name}' is invalid: {reason}")]
    View {
        /// The view's name.
        name: String,
        /// What DataFusion said.
        reason: String,
    },
    /// A rubric that does not parse.
    #[error("queries/rubric.toml: {0}")]
    Rubric(String),
    /// A question the rubric does not define.
    #[error("no question '{question}'; the questions are: {known}")]
    UnknownQuestion {
        /// The id asked for.
        question: String,
        /// The ids there are.
        known: String,
    },
    /// A question whose query returned something other than its contract.
    #[error("question {question}: {reason}")]
    Question {
        /// The question.
        question: String,
        /// What was wrong.
        reason: String,
    },
    /// A scorecard series asked for dates that do not make one.
    #[error("scorecard series: {0}")]
    Series(String),
    /// An error from the lake.
    #[error(transparent)]
    Store(#[from] evlake_store::Error),
    /// An error from DataFusion (planning or execution).
    #[error("{0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// An error from Delta Lake while registering a table.
    #[error("delta: {0}")]
    Delta(#[from] deltalake::DeltaTableError),
    /// An error while rendering results.
    #[error("rendering results: {0}")]
    Render(String),
}

/// Result alias for `evlake-query`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
