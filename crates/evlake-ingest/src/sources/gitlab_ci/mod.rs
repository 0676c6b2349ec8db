//! `gitlab-ci`: GitLab CI evidence as the REST API v4 returns it — pipelines, jobs (with
//! `allow_failure`, GitLab's mark of an advisory job) and deployments — from saved response
//! bodies (one or more JSON documents per file), recognised by shape.

mod config;
mod parse;

pub use config::GitlabCiConfig;
pub use parse::GitlabCiParser;

use crate::registry::Kind;

/// The registration of the `gitlab-ci` kind.
pub(crate) const KIND: Kind = Kind {
    name: "gitlab-ci",
    description: "GitLab CI pipelines, jobs and deployments (REST API v4 bodies)",
    tables: &["ci_jobs", "deployments"],
    parser: |settings| {
        let config: GitlabCiConfig = crate::registry::settings(settings)?;
        Ok(Box::new(GitlabCiParser::new(config)?))
    },
    puller: None,
};
