//! Getting evidence into the lake: one mechanism for every source kind.
//!
//! A source kind is a folder under `sources/` with its configuration (serde,
//! `deny_unknown_fields`) and its parser, which turns one input document into normalised rows
//! for lake tables; kinds are registered in one table ([`kinds`], in `sources/mod.rs`). [`IngestRun`] reads the
//! inputs, hands each document to the parser, sends rows to the lake through its one commit
//! path in bounded batches, and sends every record that cannot be ingested to `_quarantine`
//! with the reason, its location and its raw bytes, keeping the good records around it.

mod config;
mod cursor;
mod emit;
mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod http;
mod input;
mod job;
mod kind;
mod pipeline;
mod progress;
mod rows;
mod run;
pub mod sources;
mod stream;

pub use config::{IngestConfig, SourceConfig};
pub use emit::{Document, Emitter};
pub use error::{Error, Result};
pub use job::{IngestJob, IngestReport};
pub use kind::{
    BuildSource, FollowUp, Framing, HttpSettings, Kind, Parser, PullRequest, PullStart, Puller,
    Source,
};
pub use progress::{Progress, ProgressSink};
pub use run::{IngestRun, IngestSummary, InputLimits, TableCounts};
pub use sources::kinds;
