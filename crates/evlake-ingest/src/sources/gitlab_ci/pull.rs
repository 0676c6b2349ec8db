//! Pulling from the GitLab REST API (v4), paged by `X-Next-Page`.
//!
//! - `GET /projects/{id}/pipelines?updated_after={from}&order_by=updated_at&sort=asc&per_page=100`
//! - `GET /projects/{id}/pipelines/{pipeline}/jobs?include_retried=true&per_page=100` for each
//! - `GET /projects/{id}/deployments?updated_after={from}&order_by=updated_at&sort=asc&per_page=100`
//!
//! The cursor per project is the instant the last complete pull started; the next pull asks
//! from a day before it, so pipelines still running then are read again finished.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::GitlabApiConfig;
use crate::kind::{FollowUp, HttpSettings, PullRequest, PullStart, Puller};
use crate::sources::api::{iso, resume_from};

/// The `gitlab-ci` puller.
#[derive(Debug, Clone)]
pub struct GitlabPuller {
    config: GitlabApiConfig,
    since: DateTime<Utc>,
}

impl GitlabPuller {
    /// A puller for `config`.
    pub fn new(config: GitlabApiConfig) -> crate::Result<Self> {
        let since = evlake_core::time::parse_timestamp(&config.since)
            .map_err(|e| crate::Error::setting(format!("api.since: {e}")))?;
        if config.projects.is_empty() {
            return Err(crate::Error::setting(
                "api.projects: name at least one project (group/project)",
            ));
        }
        Ok(Self { config, since })
    }

    /// The project's API URL prefix (its path URL-encoded, as the API wants it).
    fn project_url(&self, project: &str) -> String {
        format!(
            "{}/projects/{}",
            self.config.url.trim_end_matches('/'),
            project.replace('/', "%2F")
        )
    }
}

impl Puller for GitlabPuller {
    fn http(&self) -> HttpSettings {
        HttpSettings {
            token_header: "private-token",
            token_prefix: "",
            token_env: self.config.token_env.clone(),
            user_env: None,
            max_rate_limit_wait: Duration::from_secs(self.config.max_rate_limit_wait_secs),
        }
    }

    fn start(&self, now: DateTime<Utc>, cursor: &dyn Fn(&str) -> Option<String>) -> PullStart {
        let mut start = PullStart::default();
        for project in &self.config.projects {
            let key = format!("api:{project}");
            let from = resume_from(cursor, &key, self.since);
            let base = self.project_url(project);
            let query = format!(
                "updated_after={}&order_by=updated_at&sort=asc&per_page=100",
                iso(from)
            );
            start.requests.push(PullRequest {
                url: format!("{base}/pipelines?{query}"),
                tag: format!("pipelines {project}"),
            });
            start.requests.push(PullRequest {
                url: format!("{base}/deployments?{query}"),
                tag: format!("deployments {project}"),
            });
            start.cursor.push((key, iso(now)));
        }
        start
    }

    fn follow(&self, request: &PullRequest, body: &[u8]) -> FollowUp {
        let mut follow = FollowUp {
            parse: true,
            next_page: true,
            requests: Vec::new(),
        };
        if let Some(project) = request.tag.strip_prefix("pipelines ")
            && let Ok(Value::Array(pipelines)) = serde_json::from_slice(body)
        {
            let base = self.project_url(project);
            follow.requests = pipelines
                .iter()
                .filter_map(|p| p["id"].as_u64())
                .map(|id| PullRequest {
                    url: format!("{base}/pipelines/{id}/jobs?include_retried=true&per_page=100"),
                    tag: format!("jobs {project}"),
                })
                .collect();
        }
        follow
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipelines_lead_to_their_jobs() {
        let p = GitlabPuller::new(GitlabApiConfig {
            url: "https://gitlab.example.com/api/v4/".into(),
            projects: vec!["acme/web".into()],
            token_env: "EVLAKE_TEST_NO_TOKEN".into(),
            since: "2026-11-01".into(),
            max_rate_limit_wait_secs: 1,
        })
        .unwrap();
        let now = evlake_core::time::parse_timestamp("2026-11-03T00:00:00Z").unwrap();
        let start = p.start(now, &|_| None);
        assert_eq!(
            start.requests[0].url,
            "https://gitlab.example.com/api/v4/projects/acme%2Fweb/pipelines?updated_after=2026-11-01T00:00:00Z&order_by=updated_at&sort=asc&per_page=100"
        );
        let follow = p.follow(&start.requests[0], br#"[{"id": 47}, {"id": 48}]"#);
        assert!(follow.parse && follow.next_page);
        assert_eq!(
            follow.requests[1].url,
            "https://gitlab.example.com/api/v4/projects/acme%2Fweb/pipelines/48/jobs?include_retried=true&per_page=100"
        );
    }
}
