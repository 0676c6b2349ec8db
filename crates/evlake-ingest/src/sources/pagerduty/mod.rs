//! `pagerduty`: PagerDuty incidents — webhook v3 event payloads (`incident.triggered`,
//! `.acknowledged`, `.resolved`, …) as a webhook receiver saves them, and REST API pages
//! (`/incidents`, `/log_entries`) saved or pulled — one `incidents` row per event.

mod config;
mod parse;
mod pull;

pub use config::{PagerdutyApiConfig, PagerdutyConfig};
pub use parse::PagerdutyParser;
pub use pull::PagerdutyPuller;

use crate::registry::Kind;

/// The registration of the `pagerduty` kind.
pub(crate) const KIND: Kind = Kind {
    name: "pagerduty",
    description: "PagerDuty webhook v3 events and REST incidents + log entries",
    tables: &["incidents"],
    parser: |settings| {
        let config: PagerdutyConfig = crate::registry::settings(settings)?;
        Ok(Box::new(PagerdutyParser::new(&config)?))
    },
    puller: Some(|settings| {
        let config: PagerdutyConfig = crate::registry::settings(settings)?;
        config
            .api
            .map(|api| PagerdutyPuller::new(api).map(|p| Box::new(p) as Box<dyn crate::Puller>))
            .transpose()
    }),
};
