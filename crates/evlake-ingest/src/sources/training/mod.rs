//! `training`: training completions from LMS or HR exports (CSV with a header line, or a YAML
//! list), one `training` row per completion — de-duplicated by person, course and completion
//! instant — marked `security` when the course is security training.

mod config;
mod parse;

pub use config::{TrainingColumns, TrainingConfig};
pub use parse::TrainingParser;

use crate::kind::{Kind, Source};

/// The registration of the `training` kind.
pub(crate) const KIND: Kind = Kind {
    name: "training",
    description: "training completions from LMS / HR exports (CSV, YAML)",
    tables: &["training"],
    pulls: false,
    build: |settings| {
        let config: TrainingConfig = crate::kind::settings(settings)?;
        Ok(Source {
            parser: Box::new(TrainingParser::new(config)?),
            puller: None,
        })
    },
};
