//! Pulling a snapshot from the Backstage catalog REST API.
//!
//! - `GET /api/catalog/entities/by-query?limit={n}&filter={f}…`, then
//!   `…/by-query?limit={n}&cursor={pageInfo.nextCursor}` (the cursor carries the filters and
//!   the sort) until a page has no `nextCursor`;
//! - or, with `endpoint = "entities"`, `GET /api/catalog/entities?filter={f}&offset={o}&limit={n}`
//!   until a page holds fewer than `limit` entities.
//!
//! Every pull reads the whole catalog again: it is a snapshot, and the source has no cursor.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Url;
use serde_json::Value;

use super::BackstageApiConfig;
use crate::kind::{FollowUp, HttpSettings, PullRequest, PullStart, Puller};

/// The `backstage` puller.
#[derive(Debug, Clone)]
pub struct BackstagePuller {
    config: BackstageApiConfig,
    by_query: bool,
}

impl BackstagePuller {
    /// A puller for `config`.
    pub fn new(config: BackstageApiConfig) -> crate::Result<Self> {
        let by_query = match config.endpoint.as_str() {
            "by-query" => true,
            "entities" => false,
            other => {
                return Err(crate::Error::setting(format!(
                    "api.endpoint: '{other}' is neither 'by-query' nor 'entities'"
                )));
            }
        };
        if config.page_size == 0 {
            return Err(crate::Error::setting("api.page_size: must be at least 1"));
        }
        Url::parse(&config.url).map_err(|e| crate::Error::setting(format!("api.url: {e}")))?;
        Ok(Self { config, by_query })
    }

    /// The request for the page after `page` (`None`: the first).
    fn page(&self, page: Option<&str>) -> PullRequest {
        let base = self.config.url.trim_end_matches('/');
        let limit = self.config.page_size.to_string();
        let mut params: Vec<(&str, &str)> = vec![("limit", &limit)];
        let path = if self.by_query {
            match page {
                // The cursor holds the query: filters are sent on the first page only.
                Some(cursor) => params.push(("cursor", cursor)),
                None => params.extend(self.config.filters.iter().map(|f| ("filter", f.as_str()))),
            }
            "/api/catalog/entities/by-query"
        } else {
            params.extend(self.config.filters.iter().map(|f| ("filter", f.as_str())));
            params.push(("offset", page.unwrap_or("0")));
            "/api/catalog/entities"
        };
        let url = Url::parse_with_params(&format!("{base}{path}"), &params)
            .expect("the base URL was checked");
        PullRequest {
            url: url.to_string(),
            tag: page.unwrap_or("0").to_string(),
        }
    }
}

impl Puller for BackstagePuller {
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
        PullStart {
            requests: vec![self.page(None)],
            cursor: Vec::new(),
        }
    }

    fn follow(&self, request: &PullRequest, body: &[u8]) -> FollowUp {
        let Ok(page) = serde_json::from_slice::<Value>(body) else {
            return FollowUp {
                parse: true,
                ..FollowUp::default()
            };
        };
        let next = if self.by_query {
            page.pointer("/pageInfo/nextCursor")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
        } else {
            let got = page.as_array().map_or(0, Vec::len) as u64;
            let offset: u64 = request.tag.parse().unwrap_or(0);
            (got >= u64::from(self.config.page_size)).then(|| (offset + got).to_string())
        };
        FollowUp {
            parse: true,
            next_page: false,
            requests: next.map(|n| self.page(Some(&n))).into_iter().collect(),
        }
    }
}
