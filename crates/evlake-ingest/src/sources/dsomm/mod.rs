//! `dsomm`: a team's OWASP DSOMM self-assessment, from the DSOMM app's own files — the model
//! (`model.yaml`, one or two YAML documents, custom overlays merged by activity UUID), the
//! progress the teams recorded (`team-progress.yaml`), their evidence entries
//! (`team-evidence.yaml`), and the legacy v3 `generated.yaml` whose `teamsImplemented` flags
//! were the assessment. The states' scores and the teams come from the app's `meta.yaml`.
//!
//! Every import is a snapshot (the files are the state of the assessment now): the model as
//! `dsomm_activities`, every state each team entered with its date as `dsomm_progress`, and
//! the evidence as `dsomm_evidence`. Activities are keyed by UUID, an opaque string, never by
//! name. Titles the progress definition lacks, teams it does not list and UUIDs the model does
//! not hold are kept and reported by the scorecard, not fatal.

mod config;
mod meta;
mod model;
mod parse;

pub use config::{DsommConfig, OverlayConfig};
pub use meta::{ProgressDefinition, ProgressState};
pub use parse::DsommParser;

use crate::kind::{Kind, Source};

/// The registration of the `dsomm` kind.
pub(crate) const KIND: Kind = Kind {
    name: "dsomm",
    description: "the OWASP DSOMM app's self-assessment files (model, team progress, evidence)",
    tables: &["dsomm_activities", "dsomm_progress", "dsomm_evidence"],
    pulls: false,
    build: |settings| {
        let config: DsommConfig = crate::kind::settings(settings)?;
        Ok(Source {
            parser: Box::new(DsommParser::new(&config)?),
            puller: None,
        })
    },
};
