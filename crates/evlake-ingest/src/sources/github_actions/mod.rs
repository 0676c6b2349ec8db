//! `github-actions`: GitHub Actions evidence as the REST API returns it — workflow runs, jobs
//! (every attempt), check runs, deployments and deployment statuses — from saved response
//! bodies (what `gh api --paginate` writes: one or more JSON documents per file), recognised
//! by shape.

mod config;
mod parse;

pub use config::GithubActionsConfig;
pub use parse::GithubActionsParser;

use crate::registry::Kind;

/// The registration of the `github-actions` kind.
pub(crate) const KIND: Kind = Kind {
    name: "github-actions",
    description: "GitHub Actions runs, jobs, check runs, deployments and statuses (REST API bodies)",
    tables: &["ci_jobs", "deployments"],
    parser: |settings| {
        let config: GithubActionsConfig = crate::registry::settings(settings)?;
        Ok(Box::new(GithubActionsParser::new(config)?))
    },
};
