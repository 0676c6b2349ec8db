//! The error type of `evlake-ingest`.

/// Errors that stop an ingest run (a bad record never does: it is quarantined).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parsing worker that panicked or could not be started.
    #[error("a parsing worker failed: {0}")]
    Worker(String),
    /// A source kind that is not registered.
    #[error("unknown source kind '{kind}': the kinds are {known}")]
    UnknownKind {
        /// The kind asked for.
        kind: String,
        /// The registered kinds, comma separated.
        known: String,
    },
    /// A source setting that is unknown or has the wrong form.
    #[error("source '{source_name}' ({kind}): {reason}")]
    Config {
        /// The source's name.
        source_name: String,
        /// Its kind.
        kind: String,
        /// What is wrong, naming the key.
        reason: String,
    },
    /// A source kind's setting that is unknown or has the wrong form, before the source it
    /// belongs to is known (an [`IngestRun`](crate::IngestRun) names it, as [`Error::Config`]).
    #[error("{reason}")]
    Setting {
        /// What is wrong, naming the key.
        reason: String,
    },
    /// A value that does not fit its column: the record is quarantined with this reason.
    #[error("field '{field}': {reason}")]
    Field {
        /// The column.
        field: String,
        /// What is wrong with the value.
        reason: String,
    },
    /// A required value a record lacks: the record is quarantined with this reason.
    #[error("required field '{field}' is missing")]
    MissingField {
        /// The column.
        field: String,
    },
    /// An ingest configuration file that is not valid.
    #[error("{path}: {}{reason}", if source_name.is_empty() { String::new() } else { format!("[sources.{source_name}]: ") })]
    ConfigFile {
        /// The file.
        path: String,
        /// The source table the problem is in, if any.
        source_name: String,
        /// What is wrong, naming the key.
        reason: String,
    },
    /// An input that cannot be read at all.
    #[error("cannot read '{path}': {source}")]
    Read {
        /// The input's path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An object-store input that cannot be listed or read.
    #[error("cannot read '{url}': {reason}")]
    Object {
        /// The object's or prefix's URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// An API request that failed (after waiting out any rate limit within its bound).
    #[error("GET {url}: {reason}")]
    Http {
        /// The URL requested.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// An error from the lake.
    #[error(transparent)]
    Store(#[from] evlake_store::Error),
}

impl Error {
    /// A wrong setting, `reason` naming the key.
    pub(crate) fn setting(reason: impl std::fmt::Display) -> Self {
        Error::Setting {
            reason: reason.to_string(),
        }
    }
}

/// Result alias for `evlake-ingest`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
