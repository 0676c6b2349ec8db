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
        let config: ExceptionsConfig =
            serde_json::from_value(serde_json::Value::Object(settings.clone()))
                .map_err(|e| e.to_string())?;
        Ok(Box::new(ExceptionsParser::new(config)))
    },
};
