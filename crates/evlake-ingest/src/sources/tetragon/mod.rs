//! `tetragon`: Tetragon's JSON export (`--export-filename`, or `tetra getevents -o json`):
//! one event per value, each with exactly one top-level event key (`process_exec`,
//! `process_kprobe`, `process_lsm`, …). The events the settings call alerts become
//! `runtime_alerts` rows; the rest are counted as skipped. Files are read as growing streams.

mod config;
mod parse;

pub use config::TetragonConfig;
pub use parse::TetragonParser;

use crate::kind::{Kind, Source};

/// The registration of the `tetragon` kind.
pub(crate) const KIND: Kind = Kind {
    name: "tetragon",
    description: "Tetragon JSON export events that the settings call alerts",
    tables: &["runtime_alerts"],
    pulls: false,
    build: |settings| {
        let config: TetragonConfig = crate::kind::settings(settings)?;
        Ok(Source {
            parser: Box::new(TetragonParser::new(config)?),
            puller: None,
        })
    },
};
