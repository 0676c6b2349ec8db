//! Pulling from the Jira REST API.
//!
//! - `GET /rest/api/3/search/jql?jql=({jql}) AND updated >= "{from}" ORDER BY updated ASC&expand=changelog&fields=*all&maxResults=100`,
//!   following `nextPageToken` until `isLast`;
//! - or, with `search = "legacy"`, `GET /rest/api/2/search?…&startAt={n}` until `total`.
//!
//! The cursor is the instant the last complete pull started; the next pull asks from a day
//! before it (JQL compares in the user's time zone, to the minute).

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Url;
use serde_json::Value;

use super::JiraApiConfig;
use crate::kind::{FollowUp, HttpSettings, PullRequest, PullStart, Puller};
use crate::sources::api::{iso, resume_from};

const CURSOR: &str = "api:jira";
const PAGE: u64 = 100;

/// The `jira` puller.
#[derive(Debug, Clone)]
pub struct JiraPuller {
    config: JiraApiConfig,
    since: DateTime<Utc>,
    legacy: bool,
}

impl JiraPuller {
    /// A puller for `config`.
    pub fn new(config: JiraApiConfig) -> crate::Result<Self> {
        let since = evlake_core::time::parse_timestamp(&config.since)
            .map_err(|e| crate::Error::setting(format!("api.since: {e}")))?;
        let legacy = match config.search.as_str() {
            "jql" => false,
            "legacy" => true,
            other => {
                return Err(crate::Error::setting(format!(
                    "api.search: '{other}' is neither 'jql' nor 'legacy'"
                )));
            }
        };
        Url::parse(&config.url).map_err(|e| crate::Error::setting(format!("api.url: {e}")))?;
        Ok(Self {
            config,
            since,
            legacy,
        })
    }

    fn search(&self, jql: &str, page: Option<&str>) -> PullRequest {
        let base = self.config.url.trim_end_matches('/');
        let (path, paging) = if self.legacy {
            ("/rest/api/2/search", ("startAt", page.unwrap_or("0")))
        } else {
            (
                "/rest/api/3/search/jql",
                ("nextPageToken", page.unwrap_or("")),
            )
        };
        let max = PAGE.to_string();
        let mut params = vec![
            ("jql", jql),
            ("expand", "changelog"),
            ("fields", "*all"),
            ("maxResults", max.as_str()),
        ];
        if !paging.1.is_empty() {
            params.push(paging);
        }
        let url = Url::parse_with_params(&format!("{base}{path}"), &params)
            .expect("the base URL was checked");
        PullRequest {
            url: url.to_string(),
            tag: jql.to_string(),
        }
    }
}

impl Puller for JiraPuller {
    fn http(&self) -> HttpSettings {
        HttpSettings {
            token_header: "authorization",
            token_prefix: "Bearer ",
            token_env: self.config.token_env.clone(),
            user_env: self.config.user_env.clone(),
            max_rate_limit_wait: Duration::from_secs(self.config.max_rate_limit_wait_secs),
        }
    }

    fn start(&self, now: DateTime<Utc>, cursor: &dyn Fn(&str) -> Option<String>) -> PullStart {
        let from = resume_from(cursor, CURSOR, self.since);
        let updated = format!("updated >= \"{}\"", from.format("%Y-%m-%d %H:%M"));
        let jql = match self.config.jql.trim() {
            "" => format!("{updated} ORDER BY updated ASC"),
            jql => format!("({jql}) AND {updated} ORDER BY updated ASC"),
        };
        PullStart {
            requests: vec![self.search(&jql, None)],
            cursor: vec![(CURSOR.to_string(), iso(now))],
        }
    }

    fn follow(&self, request: &PullRequest, body: &[u8]) -> FollowUp {
        let Ok(page) = serde_json::from_slice::<Value>(body) else {
            return FollowUp {
                parse: true,
                ..FollowUp::default()
            };
        };
        let next = if self.legacy {
            let start = page["startAt"].as_u64().unwrap_or(0);
            let got = page["issues"].as_array().map_or(0, |i| i.len() as u64);
            let total = page["total"].as_u64().unwrap_or(0);
            (got > 0 && start + got < total).then(|| (start + got).to_string())
        } else {
            let last = page["isLast"].as_bool().unwrap_or(true);
            page["nextPageToken"]
                .as_str()
                .filter(|_| !last)
                .map(str::to_string)
        };
        FollowUp {
            parse: true,
            next_page: false,
            requests: next
                .map(|n| self.search(&request.tag, Some(&n)))
                .into_iter()
                .collect(),
        }
    }
}
