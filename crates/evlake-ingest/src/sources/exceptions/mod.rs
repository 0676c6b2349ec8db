//! `exceptions`: the register of overrides and break-glass exceptions (YAML or CSV), one
//! `exceptions` row per distinct state of each entry — the evidence of override discipline.

mod config;
mod parse;

pub use config::ExceptionsConfig;
pub use parse::ExceptionsParser;

use crate::kind::{Kind, Source};

/// The registration of the `exceptions` kind.
pub(crate) const KIND: Kind = Kind {
    name: "exceptions",
    description: "a register of overrides and break-glass exceptions, YAML or CSV",
    tables: &["exceptions"],
    pulls: false,
    build: |settings| {
        let config: ExceptionsConfig = crate::kind::settings(settings)?;
        Ok(Source {
            parser: Box::new(ExceptionsParser::new(config)),
            puller: None,
        })
    },
};
