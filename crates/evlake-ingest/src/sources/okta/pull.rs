//! Pulling the Okta System Log: `GET /api/v1/logs?since=…&sortOrder=ASCENDING&limit=1000`,
//! following `Link: <…&after=…>; rel="next"`. With `since` and no `until` the log is a polling
//! feed whose next link never ends, so paging stops at the first empty page. The cursor is the
//! instant the last complete pull began; the next pull asks from a day before it, and `uuid`
//! keeps each event once.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::OktaApiConfig;
use crate::kind::{FollowUp, HttpSettings, PullRequest, PullStart, Puller};
use crate::sources::api::{iso, resume_from};

const CURSOR: &str = "api:okta";

/// The `okta` puller.
#[derive(Debug, Clone)]
pub struct OktaPuller {
    config: OktaApiConfig,
    since: DateTime<Utc>,
    prefix: &'static str,
}

impl OktaPuller {
    /// A puller for `config`; a bad `since` or `token_scheme` is an error naming it.
    pub fn new(config: OktaApiConfig) -> crate::Result<Self> {
        let since = evlake_core::time::parse_timestamp(&config.since)
            .map_err(|e| crate::Error::setting(format!("api.since: {e}")))?;
        let prefix = match config.token_scheme.to_ascii_lowercase().as_str() {
            "ssws" => "SSWS ",
            "bearer" => "Bearer ",
            other => {
                return Err(crate::Error::setting(format!(
                    "api.token_scheme: '{other}' is neither SSWS nor Bearer"
                )));
            }
        };
        Ok(Self {
            config,
            since,
            prefix,
        })
    }
}

impl Puller for OktaPuller {
    fn http(&self) -> HttpSettings {
        HttpSettings {
            token_header: "authorization",
            token_prefix: self.prefix,
            token_env: self.config.token_env.clone(),
            user_env: None,
            max_rate_limit_wait: Duration::from_secs(self.config.max_rate_limit_wait_secs),
        }
    }

    fn start(&self, now: DateTime<Utc>, cursor: &dyn Fn(&str) -> Option<String>) -> PullStart {
        let from = resume_from(cursor, CURSOR, self.since);
        PullStart {
            requests: vec![PullRequest {
                url: format!(
                    "{}/api/v1/logs?since={}&sortOrder=ASCENDING&limit=1000",
                    self.config.url.trim_end_matches('/'),
                    iso(from)
                ),
                tag: format!("logs {}", iso(from)),
            }],
            cursor: vec![(CURSOR.to_string(), iso(now))],
        }
    }

    fn follow(&self, _request: &PullRequest, body: &[u8]) -> FollowUp {
        let events = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.as_array().map(Vec::len));
        FollowUp {
            parse: true,
            // The feed's next link never ends: an empty page is its end for now.
            next_page: events.is_some_and(|n| n > 0),
            requests: Vec::new(),
        }
    }
}
