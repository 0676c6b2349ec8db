//! Progress of an ingest, as events for the caller to render: the command line draws bars,
//! a server may log or stream them; the library draws nothing.

use std::sync::Arc;

/// One step of a source's run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// A source began: the bytes its inputs hold (`None` for an API pull, whose size is
    /// known only at the end).
    Started {
        /// The source's name.
        source_name: String,
        /// Bytes to read, when known.
        total_bytes: Option<u64>,
    },
    /// It moved on.
    Advanced {
        /// The source's name.
        source_name: String,
        /// Bytes (or, for a pull, pages) done so far.
        done: u64,
        /// Records parsed so far.
        records: u64,
    },
    /// It finished reading (its summary follows from the run).
    Finished {
        /// The source's name.
        source_name: String,
    },
}

/// Where a run sends its [`Progress`].
pub type ProgressSink = Arc<dyn Fn(&Progress) + Send + Sync>;

/// One run's progress reporter: counts what is done and tells the sink, if any.
pub(crate) struct Ticker<'a> {
    sink: Option<&'a ProgressSink>,
    source_name: &'a str,
    done: u64,
}

impl<'a> Ticker<'a> {
    /// Starts reporting `source_name`'s run of `total_bytes`.
    pub(crate) fn start(
        sink: Option<&'a ProgressSink>,
        source_name: &'a str,
        total_bytes: Option<u64>,
    ) -> Self {
        if let Some(sink) = sink {
            sink(&Progress::Started {
                source_name: source_name.to_string(),
                total_bytes,
            });
        }
        Self {
            sink,
            source_name,
            done: 0,
        }
    }

    /// `n` more bytes (or pages) done, `records` parsed in all.
    pub(crate) fn advance(&mut self, n: u64, records: u64) {
        self.done += n;
        if let Some(sink) = self.sink {
            sink(&Progress::Advanced {
                source_name: self.source_name.to_string(),
                done: self.done,
                records,
            });
        }
    }

    /// The run is done.
    pub(crate) fn finish(self) {
        if let Some(sink) = self.sink {
            sink(&Progress::Finished {
                source_name: self.source_name.to_string(),
            });
        }
    }
}
