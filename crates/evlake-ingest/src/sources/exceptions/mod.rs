//! `exceptions`: the register of overrides and break-glass exceptions (YAML or CSV), one
//! `exceptions` row per distinct state of each entry — the evidence of override discipline.

mod config;
mod parse;

pub use config::ExceptionsConfig;
pub use parse::ExceptionsParser;

use crate::registry::Kind;

/// The registration of the `exceptions` kind.
pub(crate) const KIND: Kind = Kind {
    name: "exceptions",
    description: "a register of overrides and break-glass exceptions, YAML or CSV",
    tables: &["exceptions"],
    parser: |settings| {
        let config: ExceptionsConfig = crate::registry::settings(settings)?;
        Ok(Box::new(ExceptionsParser::new(config)))
    },
    puller: None,
};
