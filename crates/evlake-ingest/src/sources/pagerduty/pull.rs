//! Pulling from the PagerDuty REST API, paged by `offset` + `more`.
//!
//! - `GET /incidents?since={from}&until={to}&limit=100&offset={n}&total=true` (the incidents
//!   opened in the window, with their titles);
//! - `GET /log_entries?since={from}&until={to}&limit=100&offset={n}&total=true&include[]=channels`
//!   (every trigger, acknowledgement and resolution in the window, whenever its incident
//!   opened — the times PagerDuty calls authoritative, with the alert's custom details).
//!
//! Offset paging stops at 10,000 records, so a window whose `total` is larger is split in
//! two until each half fits. The cursor is the instant the last complete pull started; the
//! next pull asks from a day before it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::PagerdutyApiConfig;
use crate::kind::{FollowUp, HttpSettings, PullRequest, PullStart, Puller};
use crate::sources::api::{iso, midpoint, parse_iso, resume_from};

/// The most records offset paging reaches.
const OFFSET_CAP: u64 = 10_000;
/// Records per page (the API's maximum).
const LIMIT: u64 = 100;
const CURSOR: &str = "api:pagerduty";

/// The `pagerduty` puller.
#[derive(Debug, Clone)]
pub struct PagerdutyPuller {
    config: PagerdutyApiConfig,
    since: DateTime<Utc>,
}

impl PagerdutyPuller {
    /// A puller for `config`.
    pub fn new(config: PagerdutyApiConfig) -> crate::Result<Self> {
        let since = evlake_core::time::parse_timestamp(&config.since)
            .map_err(|e| crate::Error::setting(format!("api.since: {e}")))?;
        if config.window_hours == 0 {
            return Err(crate::Error::setting(
                "api.window_hours: must be at least 1",
            ));
        }
        Ok(Self { config, since })
    }

    /// One page of `what` (`incidents` or `log_entries`) over (`from`, `to`).
    fn page(&self, what: &str, from: DateTime<Utc>, to: DateTime<Utc>, offset: u64) -> PullRequest {
        let mut url = format!(
            "{}/{what}?since={}&until={}&limit={LIMIT}&offset={offset}&total=true&time_zone=UTC",
            self.config.url.trim_end_matches('/'),
            iso(from),
            iso(to)
        );
        for service in &self.config.service_ids {
            url += &format!("&service_ids%5B%5D={service}");
        }
        if what == "log_entries" {
            url += "&is_overview=false&include%5B%5D=channels";
        }
        PullRequest {
            url,
            tag: format!("{what} {} {} {offset}", iso(from), iso(to)),
        }
    }
}

impl Puller for PagerdutyPuller {
    fn http(&self) -> HttpSettings {
        HttpSettings {
            token_header: "authorization",
            token_prefix: "Token token=",
            token_env: self.config.token_env.clone(),
            user_env: None,
            max_rate_limit_wait: Duration::from_secs(self.config.max_rate_limit_wait_secs),
        }
    }

    fn start(&self, now: DateTime<Utc>, cursor: &dyn Fn(&str) -> Option<String>) -> PullStart {
        let mut start = PullStart::default();
        let step = chrono::Duration::hours(self.config.window_hours.into());
        let mut from = resume_from(cursor, CURSOR, self.since);
        while from < now {
            let to = (from + step).min(now);
            for what in ["incidents", "log_entries"] {
                start.requests.push(self.page(what, from, to, 0));
            }
            from = to;
        }
        start.cursor.push((CURSOR.to_string(), iso(now)));
        start
    }

    fn follow(&self, request: &PullRequest, body: &[u8]) -> FollowUp {
        let parts: Vec<&str> = request.tag.split(' ').collect();
        let Ok(page) = serde_json::from_slice::<Value>(body) else {
            // Not JSON: the parser quarantines it, naming the URL.
            return FollowUp {
                parse: true,
                ..FollowUp::default()
            };
        };
        let [what, from, to, offset] = parts.as_slice() else {
            return FollowUp::default();
        };
        let (from, to) = (parse_iso(from), parse_iso(to));
        let offset: u64 = offset.parse().unwrap_or(0);
        let total = page["total"].as_u64().unwrap_or(0);
        if let (0, true, Some(from), Some(to)) = (offset, total > OFFSET_CAP, from, to)
            && let Some(mid) = midpoint(from, to)
        {
            return FollowUp {
                parse: false,
                next_page: false,
                requests: vec![self.page(what, from, mid, 0), self.page(what, mid, to, 0)],
            };
        }
        let mut requests = Vec::new();
        if let (true, Some(from), Some(to)) = (page["more"].as_bool().unwrap_or(false), from, to) {
            let limit = page["limit"].as_u64().unwrap_or(LIMIT).max(1);
            requests.push(self.page(what, from, to, offset + limit));
        }
        FollowUp {
            parse: true,
            next_page: false,
            requests,
        }
    }
}
