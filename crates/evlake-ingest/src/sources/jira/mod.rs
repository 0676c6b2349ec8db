//! `jira`: Jira issues with their changelog (`expand=changelog`) — search results saved or
//! pulled — as `incidents` rows: the issue's opening and each status transition, classified
//! as `resolved` when it enters a status that means remediated. Issues the settings call
//! security reviews go to `security_reviews` instead, one row per service reviewed, dated
//! when the review was resolved.

mod config;
mod parse;
mod pull;

pub use config::{JiraApiConfig, JiraConfig, SecurityReviewIssues};
pub use parse::JiraParser;
pub use pull::JiraPuller;

use crate::kind::{Kind, Source};

/// The registration of the `jira` kind.
pub(crate) const KIND: Kind = Kind {
    name: "jira",
    description: "Jira issues with changelog (search results, saved or pulled); security review issues",
    tables: &["incidents", "security_reviews"],
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
