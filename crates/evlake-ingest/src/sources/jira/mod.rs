//! `jira`: Jira issues with their changelog (`expand=changelog`) — search results saved or
//! pulled — as `incidents` rows: the opening and each status transition, classified
//! as `resolved` when it enters a status that means remediated.

mod config;
mod parse;
mod pull;

pub use config::{JiraApiConfig, JiraConfig};
pub use parse::JiraParser;
pub use pull::JiraPuller;

use crate::registry::Kind;

/// The registration of the `jira` kind.
pub(crate) const KIND: Kind = Kind {
    name: "jira",
    description: "Jira issues with changelog (search results, saved or pulled)",
    tables: &["incidents"],
    parser: |settings| {
        let config: JiraConfig = crate::registry::settings(settings)?;
        Ok(Box::new(JiraParser::new(&config)?))
    },
    puller: Some(|settings| {
        let config: JiraConfig = crate::registry::settings(settings)?;
        config
            .api
            .map(|api| JiraPuller::new(api).map(|p| Box::new(p) as Box<dyn crate::Puller>))
            .transpose()
    }),
};
