//! The error type of `evlake-core`.

/// Errors raised by the core helpers.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A table name that is not one of the lake's tables.
    #[error("unknown table '{name}': the lake's tables are {known}")]
    UnknownTable {
        /// The name asked for.
        name: String,
        /// The known table names, comma separated.
        known: String,
    },
    /// A time value that could not be understood.
    #[error("cannot read '{value}' as a time: {reason}")]
    InvalidTime {
        /// The text given.
        value: String,
        /// What was expected.
        reason: String,
    },
}

/// Result alias for `evlake-core`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
