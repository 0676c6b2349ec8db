//! Pulling from the GitHub REST API.
//!
//! - `GET /repos/{repo}/actions/runs?created={from}..{to}&per_page=100`, following `Link`.
//!   The endpoint returns at most 1,000 runs per query, so a window whose `total_count` is
//!   larger is split in two until each half fits.
//! - `GET /repos/{repo}/actions/runs/{id}/jobs?filter=all&per_page=100` for every run listed.
//! - `GET /repos/{repo}/deployments?environment={env}&per_page=100` for each production
//!   environment named exactly (globs cannot be queried), newest first, paged until the
//!   deployments predate the cursor; then `…/deployments/{id}/statuses?per_page=100`.
//! - With `code_scanning`: `GET /repos/{repo}/code-scanning/alerts?sort=updated&direction=desc
//!   &per_page=100` (every state), paged until the alerts were last updated before the
//!   cursor.
//!
//! The cursor per repository is the instant the last complete pull started; the next pull
//! re-reads a day before it, so runs that were still going then are read again finished
//! (de-duplication drops what is unchanged).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::GithubApiConfig;
use crate::kind::{FollowUp, HttpSettings, PullRequest, PullStart, Puller};
use crate::sources::api::{iso, midpoint, parse_iso, resume_from};

/// The most runs one `created` query returns.
const SEARCH_CAP: u64 = 1000;

/// The `github-actions` puller.
#[derive(Debug, Clone)]
pub struct GithubPuller {
    config: GithubApiConfig,
    since: DateTime<Utc>,
    environments: Vec<String>,
}

impl GithubPuller {
    /// A puller for `config`, pulling deployments of the exact names among `environments`.
    pub fn new(config: GithubApiConfig, environments: Vec<String>) -> crate::Result<Self> {
        let since = evlake_core::time::parse_timestamp(&config.since)
            .map_err(|e| crate::Error::setting(format!("api.since: {e}")))?;
        if config.repos.is_empty() {
            return Err(crate::Error::setting(
                "api.repos: name at least one repository (owner/name)",
            ));
        }
        let environments = environments
            .into_iter()
            .filter(|e| !e.contains(['*', '?', '[', '{']))
            .collect();
        Ok(Self {
            config,
            since,
            environments,
        })
    }

    fn base(&self) -> &str {
        self.config.url.trim_end_matches('/')
    }

    fn runs(&self, repo: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> PullRequest {
        PullRequest {
            url: format!(
                "{}/repos/{repo}/actions/runs?created={}..{}&per_page=100",
                self.base(),
                iso(from),
                iso(to)
            ),
            tag: format!("runs {repo} {} {}", iso(from), iso(to)),
        }
    }
}

impl Puller for GithubPuller {
    fn http(&self) -> HttpSettings {
        HttpSettings {
            token_header: "authorization",
            token_prefix: "Bearer ",
            token_env: self.config.token_env.clone(),
            user_env: None,
            max_rate_limit_wait: Duration::from_secs(self.config.max_rate_limit_wait_secs),
        }
    }

    fn start(&self, now: DateTime<Utc>, cursor: &dyn Fn(&str) -> Option<String>) -> PullStart {
        let mut start = PullStart::default();
        for repo in &self.config.repos {
            let key = format!("api:{repo}");
            let from = resume_from(cursor, &key, self.since);
            start.requests.push(self.runs(repo, from, now));
            for environment in &self.environments {
                start.requests.push(PullRequest {
                    url: format!(
                        "{}/repos/{repo}/deployments?environment={environment}&per_page=100",
                        self.base()
                    ),
                    tag: format!("deployments {repo} {}", iso(from)),
                });
            }
            if self.config.code_scanning {
                start.requests.push(PullRequest {
                    url: format!(
                        "{}/repos/{repo}/code-scanning/alerts?sort=updated&direction=desc&per_page=100",
                        self.base()
                    ),
                    tag: format!("alerts {repo} {}", iso(from)),
                });
            }
            start.cursor.push((key, iso(now)));
        }
        start
    }

    fn follow(&self, request: &PullRequest, body: &[u8]) -> FollowUp {
        let parts: Vec<&str> = request.tag.split(' ').collect();
        let parsed: Option<Value> = serde_json::from_slice(body).ok();
        match (parts.as_slice(), parsed) {
            (["runs", repo, from, to], Some(page)) => {
                let total = page["total_count"].as_u64().unwrap_or(0);
                let (from, to) = (parse_iso(from), parse_iso(to));
                let first_page = !request.url.contains("&page=");
                if let (true, true, Some(from), Some(to)) =
                    (first_page, total > SEARCH_CAP, from, to)
                    && let Some(mid) = midpoint(from, to)
                {
                    return FollowUp {
                        parse: false,
                        next_page: false,
                        requests: vec![self.runs(repo, from, mid), self.runs(repo, mid, to)],
                    };
                }
                let requests = page["workflow_runs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|run| run["id"].as_u64())
                    .map(|id| PullRequest {
                        url: format!(
                            "{}/repos/{repo}/actions/runs/{id}/jobs?filter=all&per_page=100",
                            self.base()
                        ),
                        tag: format!("jobs {repo}"),
                    })
                    .collect();
                FollowUp {
                    parse: true,
                    next_page: true,
                    requests,
                }
            }
            (["deployments", repo, from], Some(Value::Array(deployments))) => {
                let from = parse_iso(from);
                let statuses = deployments
                    .iter()
                    .filter_map(|d| d["id"].as_u64())
                    .map(|id| PullRequest {
                        url: format!(
                            "{}/repos/{repo}/deployments/{id}/statuses?per_page=100",
                            self.base()
                        ),
                        tag: format!("statuses {repo}"),
                    })
                    .collect();
                FollowUp {
                    parse: true,
                    next_page: !reaches_before(&deployments, "created_at", from),
                    requests: statuses,
                }
            }
            (["alerts", _, from], Some(Value::Array(alerts))) => FollowUp {
                parse: true,
                next_page: !reaches_before(&alerts, "updated_at", parse_iso(from)),
                requests: Vec::new(),
            },
            // Jobs, statuses, and bodies that do not parse (the parser quarantines those).
            _ => FollowUp {
                parse: true,
                next_page: true,
                requests: Vec::new(),
            },
        }
    }
}

/// Whether a page of items listed newest first (by `field`) reaches before `from`: the
/// pages after it are older still, so paging stops.
fn reaches_before(items: &[Value], field: &str, from: Option<DateTime<Utc>>) -> bool {
    items.iter().any(|item| {
        item[field]
            .as_str()
            .and_then(parse_iso)
            .zip(from)
            .is_some_and(|(at, from)| at < from)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn puller() -> GithubPuller {
        GithubPuller::new(
            GithubApiConfig {
                url: "http://127.0.0.1:9/".into(),
                repos: vec!["acme/web".into()],
                token_env: "EVLAKE_TEST_NO_TOKEN".into(),
                since: "2026-11-01".into(),
                code_scanning: false,
                max_rate_limit_wait_secs: 1,
            },
            vec!["production".into(), "prod-*".into()],
        )
        .unwrap()
    }

    #[test]
    fn a_window_over_the_search_cap_is_split() {
        let p = puller();
        let now = parse_iso("2026-11-03T00:00:00Z").unwrap();
        let start = p.start(now, &|_| None);
        assert_eq!(start.requests.len(), 2, "runs + one exact environment");
        assert!(start.requests[0].url.ends_with(
            "/repos/acme/web/actions/runs?created=2026-11-01T00:00:00Z..2026-11-03T00:00:00Z&per_page=100"
        ));
        let big = serde_json::to_vec(&json!({"total_count": 1500, "workflow_runs": []})).unwrap();
        let split = p.follow(&start.requests[0], &big);
        assert!(!split.parse && !split.next_page);
        assert_eq!(split.requests.len(), 2);
        assert!(
            split.requests[0]
                .tag
                .ends_with("2026-11-01T00:00:00Z 2026-11-02T00:00:00Z")
        );
        let small =
            serde_json::to_vec(&json!({"total_count": 2, "workflow_runs": [{"id": 7}, {"id": 8}]}))
                .unwrap();
        let follow = p.follow(&start.requests[0], &small);
        assert!(follow.parse && follow.next_page);
        assert!(
            follow.requests[1]
                .url
                .ends_with("/repos/acme/web/actions/runs/8/jobs?filter=all&per_page=100")
        );
    }

    #[test]
    fn the_cursor_restarts_a_day_early() {
        let p = puller();
        let now = parse_iso("2026-11-10T00:00:00Z").unwrap();
        let start = p.start(now, &|k| {
            (k == "api:acme/web").then(|| "2026-11-08T00:00:00Z".to_string())
        });
        assert!(
            start.requests[0]
                .url
                .contains("created=2026-11-07T00:00:00Z..2026-11-10T00:00:00Z")
        );
        assert_eq!(
            start.cursor,
            vec![(
                "api:acme/web".to_string(),
                "2026-11-10T00:00:00Z".to_string()
            )]
        );
    }
}
