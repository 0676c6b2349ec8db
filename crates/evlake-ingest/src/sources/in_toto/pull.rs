//! Pulling the GitHub artifact attestations API: `GET /repos/{repo}/attestations/{digest}
//! ?per_page=100` for each configured repository and subject digest, following `Link`. The
//! response lists Sigstore bundles; an attestation never changes, so every pull asks again
//! and de-duplication keeps each bundle once (no cursor).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::AttestationsApiConfig;
use crate::kind::{FollowUp, HttpSettings, PullRequest, PullStart, Puller};

/// The `in-toto` puller.
#[derive(Debug, Clone)]
pub struct AttestationsPuller {
    config: AttestationsApiConfig,
}

impl AttestationsPuller {
    /// A puller for `config`; no repository or no subject is an error naming it.
    pub fn new(config: AttestationsApiConfig) -> crate::Result<Self> {
        if config.repos.is_empty() {
            return Err(crate::Error::setting(
                "api.repos: name at least one repository (owner/name)",
            ));
        }
        if let Some(bad) = config.subjects.iter().find(|s| !s.contains(':')) {
            return Err(crate::Error::setting(format!(
                "api.subjects: '{bad}' is not a digest (sha256:…)"
            )));
        }
        if config.subjects.is_empty() {
            return Err(crate::Error::setting(
                "api.subjects: name at least one subject digest (sha256:…)",
            ));
        }
        Ok(Self { config })
    }
}

impl Puller for AttestationsPuller {
    fn http(&self) -> HttpSettings {
        HttpSettings {
            token_header: "authorization",
            token_prefix: "Bearer ",
            token_env: self.config.token_env.clone(),
            user_env: None,
            max_rate_limit_wait: Duration::from_secs(self.config.max_rate_limit_wait_secs),
        }
    }

    fn start(&self, _now: DateTime<Utc>, _cursor: &dyn Fn(&str) -> Option<String>) -> PullStart {
        let base = self.config.url.trim_end_matches('/');
        let mut start = PullStart::default();
        for repo in &self.config.repos {
            for digest in &self.config.subjects {
                start.requests.push(PullRequest {
                    url: format!("{base}/repos/{repo}/attestations/{digest}?per_page=100"),
                    tag: format!("attestations {repo} {digest}"),
                });
            }
        }
        start
    }

    fn follow(&self, _request: &PullRequest, _body: &[u8]) -> FollowUp {
        FollowUp {
            parse: true,
            next_page: true,
            requests: Vec::new(),
        }
    }
}
