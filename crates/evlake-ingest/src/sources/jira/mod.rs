//! `jira`: Jira issues with their changelog (`expand=changelog`) — search results saved or
//! pulled — as `incidents` rows: the opening and each status transition, classified
//! as `resolved` when it enters a status that means remediated.

mod config;
mod parse;
mod pull;

pub use config::{JiraApiConfig, JiraConfig};
pub use parse::JiraParser;
pub use pull::JiraPuller;

use crate::kind::{Kind, Source};

/// The registration of the `jira` kind.
pub(crate) const KIND: Kind = Kind {
    name: "jira",
    description: "Jira issues with changelog (search results, saved or pulled)",
    tables: &["incidents"],
    pulls: true,
    build: |settings| {
        let mut config: JiraConfig = crate::kind::settings(settings)?;
        let puller = match config.api.take() {
            Some(api) => Some(Box::new(JiraPuller::new(api)?) as _),
            None => None,
        };
        Ok(Source {
            parser: Box::new(JiraParser::new(&config)?),
            puller,
        })
    },
};
