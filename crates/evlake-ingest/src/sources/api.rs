//! What the pulling kinds share: how an API cursor (the instant a complete pull started) is
//! written, read and resumed from.

use chrono::{DateTime, Duration, SecondsFormat, Utc};

/// An instant as the cursor and the APIs' query parameters write it (RFC 3339, seconds, `Z`).
pub(crate) fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An instant from a cursor value or a request tag.
pub(crate) fn parse_iso(text: &str) -> Option<DateTime<Utc>> {
    evlake_core::time::parse_timestamp(text).ok()
}

/// Where a pull under cursor `key` starts: a day before the last complete pull began, so
/// records still changing then are read again finished; `since` on the first pull.
pub(crate) fn resume_from(
    cursor: &dyn Fn(&str) -> Option<String>,
    key: &str,
    since: DateTime<Utc>,
) -> DateTime<Utc> {
    cursor(key)
        .and_then(|c| parse_iso(&c))
        .map_or(since, |c| c - Duration::days(1))
}

/// The whole-second middle of (`from`, `to`), when the window is wide enough to split: how
/// a window holding more records than an API returns for one query is narrowed.
pub(crate) fn midpoint(from: DateTime<Utc>, to: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (to - from > Duration::seconds(1)).then(|| {
        let mid = from + (to - from) / 2;
        DateTime::from_timestamp(mid.timestamp(), 0).unwrap_or(mid)
    })
}
