//! `github-actions`: GitHub Actions evidence as the REST API returns it — workflow runs, jobs
//! (every attempt), check runs, deployments and deployment statuses — from saved response
//! bodies (what `gh api --paginate` writes: one or more JSON documents per file), recognised
//! by shape — or pulled from the API (`api` setting): workflow runs by `created` window
//! (narrowed where a window holds more than the 1,000 results the search returns), the jobs of
//! every run (`filter=all`: every attempt), and the deployments to the production
//! environments with their statuses; and, with `api.code_scanning`, the repository's code
//! scanning alerts (findings of CodeQL and other tools uploading to GitHub).

mod config;
mod parse;
mod pull;

pub use config::{CodeScanningConfig, GithubActionsConfig, GithubApiConfig};
pub use parse::GithubActionsParser;
pub use pull::GithubPuller;

use crate::kind::{Kind, Source};

/// The registration of the `github-actions` kind.
pub(crate) const KIND: Kind = Kind {
    name: "github-actions",
    description: "GitHub Actions runs, jobs, check runs, deployments and statuses, and code scanning alerts (REST API bodies)",
    tables: &["ci_jobs", "deployments", "scan_findings"],
    pulls: true,
    build: |settings| {
        let mut config: GithubActionsConfig = crate::kind::settings(settings)?;
        let environments = config.production_environments.clone();
        let puller = match config.api.take() {
            Some(api) => Some(Box::new(GithubPuller::new(api, environments)?) as _),
            None => None,
        };
        Ok(Source {
            parser: Box::new(GithubActionsParser::new(config)?),
            puller,
        })
    },
};
