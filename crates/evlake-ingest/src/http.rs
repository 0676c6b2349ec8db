//! The one HTTP client of the pulling source kinds: bounded in time and size, with the
//! token from an environment variable (never logged), paging by `Link: rel="next"` or
//! `X-Next-Page`, and rate limits waited out (`X-RateLimit-*`, `Retry-After`) up to a bound.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::{Error, Result};

/// The largest response body taken (a page of 100 records is far smaller).
const MAX_BODY: usize = 64 << 20;

/// A fetched page.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    /// The body, verbatim.
    pub body: Vec<u8>,
    /// The next page's URL, from `Link: <…>; rel="next"` or `X-Next-Page`.
    pub next: Option<String>,
}

/// How to authenticate and how long to wait.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// The header that carries the token (`Authorization` with `Bearer `, or GitLab's
    /// `PRIVATE-TOKEN`).
    pub token_header: &'static str,
    /// Prefix of the token in that header.
    pub token_prefix: &'static str,
    /// The environment variable holding the token; none is sent when it is unset.
    pub token_env: String,
    /// With a user (the environment variable holding it): HTTP Basic authentication of
    /// `user:token` in `Authorization` instead (Jira Cloud's e-mail address and API token).
    pub user_env: Option<String>,
    /// The longest a rate limit is waited out before the run fails.
    pub max_rate_limit_wait: Duration,
}

/// The header that authenticates, from the environment variables `settings` name (`env`
/// looks one up); none when the token is unset. The value is marked sensitive, so it is
/// never logged.
fn auth_header(
    settings: &HttpSettings,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<(HeaderName, HeaderValue)>> {
    let Some(token) = env(&settings.token_env) else {
        return Ok(None);
    };
    let (name, text) = match &settings.user_env {
        Some(user_env) => {
            use base64::Engine;
            let user = env(user_env).ok_or_else(|| Error::Http {
                url: String::new(),
                reason: format!(
                    "${} is set but ${user_env} (the user) is not",
                    settings.token_env
                ),
            })?;
            let pair = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{token}"));
            (reqwest::header::AUTHORIZATION, format!("Basic {pair}"))
        }
        None => (
            HeaderName::from_static(settings.token_header),
            format!("{}{token}", settings.token_prefix),
        ),
    };
    let mut value = HeaderValue::from_str(&text).map_err(|_| Error::Http {
        url: String::new(),
        reason: format!("${} is not a valid header value", settings.token_env),
    })?;
    value.set_sensitive(true);
    Ok(Some((name, value)))
}

/// A client for one source's API.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    settings: HttpSettings,
}

impl Http {
    pub(crate) fn new(settings: HttpSettings) -> Result<Self> {
        let mut headers = HeaderMap::new();
        if let Some((name, value)) = auth_header(&settings, |k| std::env::var(k).ok())? {
            headers.insert(name, value);
        }
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("evlake/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| Error::Http {
                url: String::new(),
                reason: e.to_string(),
            })?;
        Ok(Self { client, settings })
    }

    /// GETs `url`, waiting out rate limits within the bound.
    pub(crate) async fn get(&self, url: &str) -> Result<Page> {
        let err = |reason: String| Error::Http {
            url: url.to_string(),
            reason,
        };
        let mut waited = Duration::ZERO;
        loop {
            let response = self
                .client
                .get(url)
                .send()
                .await
                .map_err(|e| err(e.to_string()))?;
            let status = response.status();
            let headers = response.headers().clone();
            if let Some(wait) = rate_limited(status, &headers, Utc::now()) {
                if waited + wait > self.settings.max_rate_limit_wait {
                    return Err(err(format!(
                        "rate limited ({status}); the limit resets in {}s, longer than the {}s this source may wait",
                        wait.as_secs(),
                        self.settings.max_rate_limit_wait.as_secs()
                    )));
                }
                tracing::warn!(url, wait_secs = wait.as_secs_f64(), "rate limited; waiting");
                tokio::time::sleep(wait).await;
                waited += wait;
                continue;
            }
            if !status.is_success() {
                let body = response.text().await.unwrap_or_default();
                let body: String = body.chars().take(300).collect();
                return Err(err(format!("{status}: {body}")));
            }
            if response
                .content_length()
                .is_some_and(|n| n > MAX_BODY as u64)
            {
                return Err(err(format!("the body is larger than {MAX_BODY} bytes")));
            }
            let body = response.bytes().await.map_err(|e| err(e.to_string()))?;
            if body.len() > MAX_BODY {
                return Err(err(format!("the body is larger than {MAX_BODY} bytes")));
            }
            return Ok(Page {
                body: body.to_vec(),
                next: next_page(url, &headers),
            });
        }
    }
}

/// How long to wait when a response says the rate limit is spent: a 403 or 429 with
/// `Retry-After`, or with `X-RateLimit-Remaining: 0` until `X-RateLimit-Reset` (epoch seconds;
/// Okta's `X-Rate-Limit-*` alike, and a 429 with its reset alone).
fn rate_limited(status: StatusCode, headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS {
        return None;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(secs) = header("retry-after").and_then(|v| v.trim().parse::<u64>().ok()) {
        return Some(Duration::from_secs(secs));
    }
    // GitHub writes `X-RateLimit-*`, Okta `X-Rate-Limit-*`.
    let either = |a: &str, b: &str| header(a).or_else(|| header(b)).map(str::trim);
    if either("x-ratelimit-remaining", "x-rate-limit-remaining") == Some("0")
        || (status == StatusCode::TOO_MANY_REQUESTS && header("x-rate-limit-reset").is_some())
    {
        let reset = either("x-ratelimit-reset", "x-rate-limit-reset")
            .and_then(|v| v.parse::<i64>().ok())?;
        let secs = (reset - now.timestamp()).max(0) as u64;
        return Some(Duration::from_secs(secs + 1));
    }
    (status == StatusCode::TOO_MANY_REQUESTS).then_some(Duration::from_secs(60))
}

/// The next page: the `rel="next"` target of the `Link` headers (GitHub, Okta), or `url` with its
/// `page` parameter set to `X-Next-Page` (GitLab; empty on the last page).
fn next_page(url: &str, headers: &HeaderMap) -> Option<String> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    // One `Link` header listing every relation (GitHub), or one header per relation (Okta).
    let links: Vec<&str> = headers
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !links.is_empty() {
        return links.iter().flat_map(|l| l.split(',')).find_map(|part| {
            let (target, params) = part.split_once(';')?;
            params
                .split(';')
                .any(|p| p.trim() == "rel=\"next\"")
                .then(|| {
                    target
                        .trim()
                        .trim_start_matches('<')
                        .trim_end_matches('>')
                        .to_string()
                })
        });
    }
    let page = header("x-next-page")
        .map(str::trim)
        .filter(|p| !p.is_empty())?;
    let mut next = reqwest::Url::parse(url).ok()?;
    let kept: Vec<(String, String)> = next
        .query_pairs()
        .filter(|(k, _)| k != "page")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    next.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("page", page);
    Some(next.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_sent_as_configured_or_as_basic_auth_with_a_user() {
        let settings = |user_env: Option<&str>| HttpSettings {
            token_header: "authorization",
            token_prefix: "Bearer ",
            token_env: "T".into(),
            user_env: user_env.map(str::to_string),
            max_rate_limit_wait: Duration::from_secs(1),
        };
        let env = |k: &str| match k {
            "T" => Some("s3cret".to_string()),
            "U" => Some("ops@acme.example".to_string()),
            _ => None,
        };
        let (name, value) = auth_header(&settings(None), env).unwrap().unwrap();
        assert_eq!(
            (name.as_str(), value.to_str().unwrap()),
            ("authorization", "Bearer s3cret")
        );
        assert!(value.is_sensitive());
        let (name, value) = auth_header(&settings(Some("U")), env).unwrap().unwrap();
        assert_eq!(name, reqwest::header::AUTHORIZATION);
        // base64("ops@acme.example:s3cret")
        assert_eq!(
            value.to_str().unwrap(),
            "Basic b3BzQGFjbWUuZXhhbXBsZTpzM2NyZXQ="
        );
        let err = auth_header(&settings(Some("MISSING")), env).unwrap_err();
        assert!(err.to_string().contains("$MISSING"), "{err}");
        assert!(auth_header(&settings(None), |_| None).unwrap().is_none());
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    HeaderName::from_static(k),
                    HeaderValue::from_str(v).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn the_next_page_comes_from_link_or_x_next_page() {
        let link = headers(&[(
            "link",
            r#"<https://api.github.com/repositories/1/actions/runs?page=2>; rel="next", <https://api.github.com/repositories/1/actions/runs?page=9>; rel="last""#,
        )]);
        assert_eq!(
            next_page("https://api.github.com/x", &link).as_deref(),
            Some("https://api.github.com/repositories/1/actions/runs?page=2")
        );
        let last = headers(&[("link", r#"<https://a/x?page=1>; rel="prev""#)]);
        assert_eq!(next_page("https://a/x", &last), None);
        let gitlab = headers(&[("x-next-page", "3")]);
        assert_eq!(
            next_page(
                "https://gitlab.example/api/v4/projects/7/jobs?per_page=100&page=2",
                &gitlab
            )
            .as_deref(),
            Some("https://gitlab.example/api/v4/projects/7/jobs?per_page=100&page=3")
        );
        assert_eq!(
            next_page("https://g/x?page=4", &headers(&[("x-next-page", "")])),
            None
        );
    }

    #[test]
    fn rate_limits_say_how_long_to_wait() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let spent = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1800000030"),
        ]);
        assert_eq!(
            rate_limited(StatusCode::FORBIDDEN, &spent, now),
            Some(Duration::from_secs(31))
        );
        let retry = headers(&[("retry-after", "5")]);
        assert_eq!(
            rate_limited(StatusCode::TOO_MANY_REQUESTS, &retry, now),
            Some(Duration::from_secs(5))
        );
        // A 403 that is not about the rate limit is an error, not a wait.
        assert_eq!(
            rate_limited(StatusCode::FORBIDDEN, &headers(&[]), now),
            None
        );
        assert_eq!(rate_limited(StatusCode::OK, &spent, now), None);
        let okta = headers(&[("x-rate-limit-reset", "1800000010")]);
        assert_eq!(
            rate_limited(StatusCode::TOO_MANY_REQUESTS, &okta, now),
            Some(Duration::from_secs(11))
        );
    }

    #[test]
    fn okta_writes_one_link_header_per_relation() {
        let mut h = HeaderMap::new();
        h.append(
            "link",
            "<https://acme.okta.com/api/v1/logs?since=x>; rel=\"self\""
                .parse()
                .unwrap(),
        );
        h.append(
            "link",
            "<https://acme.okta.com/api/v1/logs?after=abc>; rel=\"next\""
                .parse()
                .unwrap(),
        );
        assert_eq!(
            next_page("https://acme.okta.com/api/v1/logs?since=x", &h).as_deref(),
            Some("https://acme.okta.com/api/v1/logs?after=abc")
        );
    }
}
