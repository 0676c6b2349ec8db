//! `people`: who works there, from an HR or people export (CSV with a header line, or a YAML
//! list), as `people` snapshots — each export everyone it lists at its instant (named in its
//! path, e.g. `hr/2026-11-01T06:00:00Z.csv`, else the run's, for the export as it is now) —
//! with their team, status, start and leave dates, whether they are engineers, and the
//! configured aliases that map other systems' names to them.

mod config;
mod parse;

pub use config::{PeopleColumns, PeopleConfig};
pub use parse::PeopleParser;

use crate::kind::{Kind, Source};

/// The registration of the `people` kind.
pub(crate) const KIND: Kind = Kind {
    name: "people",
    description: "people from an HR export (CSV, YAML), with aliases from other systems",
    tables: &["people"],
    pulls: false,
    build: |settings| {
        let config: PeopleConfig = crate::kind::settings(settings)?;
        Ok(Source {
            parser: Box::new(PeopleParser::new(config)?),
            puller: None,
        })
    },
};
