//! `gcp-audit`: Cloud Audit Logs `LogEntry` JSON — exported files, or a log sink's objects
//! under an object-store prefix (one entry per line, or an array, or an `entries` list) — as
//! `iam_events` rows, de-duplicated by `logName` + `insertId` + `timestamp`. `SetIamPolicy`
//! binding deltas (`serviceData.policyDelta`, BigQuery's `metadata.datasetChange`) say which
//! member gained or lost which role.

mod config;
mod parse;

pub use config::GcpAuditConfig;
pub use parse::GcpAuditParser;

use crate::kind::{Kind, Source};

/// The registration of the `gcp-audit` kind.
pub(crate) const KIND: Kind = Kind {
    name: "gcp-audit",
    description: "GCP Cloud Audit Logs LogEntry JSON (exports, log sinks)",
    tables: &["iam_events"],
    pulls: false,
    build: |settings| {
        let config: GcpAuditConfig = crate::kind::settings(settings)?;
        Ok(Source {
            parser: Box::new(GcpAuditParser::new(config)?),
            puller: None,
        })
    },
};
