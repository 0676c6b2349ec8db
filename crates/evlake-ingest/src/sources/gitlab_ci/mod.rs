//! `gitlab-ci`: GitLab CI evidence as the REST API v4 returns it — pipelines, jobs (with
//! `allow_failure`, GitLab's mark of an advisory job) and deployments — from saved response
//! bodies (one or more JSON documents per file), recognised by shape — or pulled from the API
//! (`api` setting): pipelines and deployments updated since the cursor, and the jobs of every
//! pipeline (retried ones too), paged by `X-Next-Page`.

mod config;
mod parse;
mod pull;

pub use config::{GitlabApiConfig, GitlabCiConfig};
pub use parse::GitlabCiParser;
pub use pull::GitlabPuller;

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
    puller: Some(|settings| {
        let config: GitlabCiConfig = crate::registry::settings(settings)?;
        config
            .api
            .map(|api| GitlabPuller::new(api).map(|p| Box::new(p) as _))
            .transpose()
    }),
};
