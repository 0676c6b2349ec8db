//! `pagerduty`: PagerDuty incidents — webhook v3 event payloads (`incident.triggered`,
//! `.acknowledged`, `.resolved`, …) as a webhook receiver saves them, and REST API pages
//! (`/incidents`, `/log_entries`) saved or pulled — one `incidents` row per event.

mod config;
mod parse;
mod pull;

pub use config::{PagerdutyApiConfig, PagerdutyConfig};
pub use parse::PagerdutyParser;
pub use pull::PagerdutyPuller;

use crate::kind::{Kind, Source};

/// The registration of the `pagerduty` kind.
pub(crate) const KIND: Kind = Kind {
    name: "pagerduty",
    description: "PagerDuty webhook v3 events and REST incidents + log entries",
    tables: &["incidents"],
    pulls: true,
    build: |settings| {
        let mut config: PagerdutyConfig = crate::kind::settings(settings)?;
        let puller = match config.api.take() {
            Some(api) => Some(Box::new(PagerdutyPuller::new(api)?) as _),
            None => None,
        };
        Ok(Source {
            parser: Box::new(PagerdutyParser::new(&config)?),
            puller,
        })
    },
};
