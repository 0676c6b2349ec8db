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

use crate::kind::{Kind, Source};

/// The registration of the `gitlab-ci` kind.
pub(crate) const KIND: Kind = Kind {
    name: "gitlab-ci",
    description: "GitLab CI pipelines, jobs and deployments (REST API v4 bodies)",
    tables: &["ci_jobs", "deployments"],
    pulls: true,
    build: |settings| {
        let mut config: GitlabCiConfig = crate::kind::settings(settings)?;
        let puller = match config.api.take() {
            Some(api) => Some(Box::new(GitlabPuller::new(api)?) as _),
            None => None,
        };
        Ok(Source {
            parser: Box::new(GitlabCiParser::new(config)?),
            puller,
        })
    },
};
