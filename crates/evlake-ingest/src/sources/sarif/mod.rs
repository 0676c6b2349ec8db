//! `sarif`: SARIF 2.1.0 files from any scanner (CodeQL, Semgrep, Trivy, …), one
//! `scan_findings` row per result.

mod config;
mod parse;

pub use crate::sources::findings::severity;
pub use config::SarifConfig;
pub use parse::SarifParser;

use crate::kind::{Kind, Source};

/// The registration of the `sarif` kind.
pub(crate) const KIND: Kind = Kind {
    name: "sarif",
    description: "SARIF 2.1.0 results of any scanner",
    tables: &["scan_findings"],
    pulls: false,
    build: |settings| {
        let config: SarifConfig = crate::kind::settings(settings)?;
        Ok(Source {
            parser: Box::new(SarifParser::new(config)?),
            puller: None,
        })
    },
};
