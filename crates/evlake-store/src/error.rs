//! The error type of `evlake-store`.

/// Errors raised by the lake.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The lake URL could not be understood or its store could not be built.
    #[error("cannot open the lake at '{url}': {reason}")]
    Location {
        /// The URL given.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// A table name or schema problem raised by the core definitions.
    #[error(transparent)]
    Core(#[from] evlake_core::Error),
    /// A batch whose columns do not match the table's input schema.
    #[error("rows for table '{table}' do not match its schema: {reason}")]
    Schema {
        /// The table written to.
        table: String,
        /// What differs.
        reason: String,
    },
    /// The table has never been written.
    #[error("table '{0}' does not exist in this lake yet (nothing has been ingested into it)")]
    NoSuchTable(String),
    /// A commit kept losing the race to concurrent writers.
    #[error("gave up committing to '{table}' after {attempts} attempts lost to concurrent writers")]
    CommitContention {
        /// The table written to.
        table: String,
        /// How many commits were tried.
        attempts: usize,
    },
    /// An error from the Delta Lake library.
    #[error("delta: {0}")]
    Delta(#[from] deltalake::DeltaTableError),
    /// An error from object storage.
    #[error("object store: {0}")]
    ObjectStore(#[from] object_store::Error),
    /// An error from Arrow.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// An error from Parquet.
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// A commit file that is not valid JSON.
    #[error("commit file '{path}' is not a valid Delta commit: {reason}")]
    CommitFile {
        /// The commit file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Result alias for `evlake-store`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
