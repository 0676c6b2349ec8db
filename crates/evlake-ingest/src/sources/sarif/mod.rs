//! `sarif`: SARIF 2.1.0 files from any scanner (CodeQL, Semgrep, Trivy, …), one
//! `scan_findings` row per result.

mod config;
mod parse;

pub use config::SarifConfig;
pub use parse::{SarifParser, severity};

use crate::registry::Kind;

/// The registration of the `sarif` kind.
pub(crate) const KIND: Kind = Kind {
    name: "sarif",
    description: "SARIF 2.1.0 results of any scanner",
    tables: &["scan_findings"],
    parser: |settings| {
        let config: SarifConfig = crate::registry::settings(settings)?;
        Ok(Box::new(SarifParser::new(config)?))
    },
    puller: None,
};
