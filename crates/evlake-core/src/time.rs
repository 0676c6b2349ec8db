//! Reading the instants a user types (`--as-of 2026-11-01`, `--known-at 2026-11-01T12:00:00Z`).

use chrono::{DateTime, NaiveDate, Utc};

use crate::{Error, Result};

/// Reads an instant given as an RFC 3339 timestamp (any offset, normalised to UTC) or as a
/// plain date, which means the end of that UTC day (`2026-11-01` → `2026-11-01T23:59:59.999999Z`),
/// because an auditor asking "as of the 1st" means everything that happened that day.
pub fn parse_instant(value: &str) -> Result<DateTime<Utc>> {
    let text = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let end = d
            .and_hms_micro_opt(23, 59, 59, 999_999)
            .expect("a valid end of day");
        return Ok(end.and_utc());
    }
    Err(Error::InvalidTime {
        value: value.to_string(),
        reason: "expected an RFC 3339 timestamp such as 2026-11-01T12:00:00Z or a date such as 2026-11-01".into(),
    })
}

/// Reads a timestamp as sources write them, normalised to UTC: RFC 3339 with `Z` or an offset,
/// an offset without a colon (Jira's `2015-12-02T07:39:15.000-0800`), `YYYY-MM-DD HH:MM:SS UTC`
/// (GitLab webhooks), or a plain date, which means the start of that UTC day.
pub fn parse_timestamp(value: &str) -> Result<DateTime<Utc>> {
    let text = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Ok(t.with_timezone(&Utc));
    }
    if let Some(naive) = text.strip_suffix(" UTC")
        && let Ok(t) = chrono::NaiveDateTime::parse_from_str(naive, "%Y-%m-%d %H:%M:%S%.f")
    {
        return Ok(t.and_utc());
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    }
    Err(Error::InvalidTime {
        value: value.to_string(),
        reason: "expected RFC 3339 (2026-11-01T12:00:00Z), a date (2026-11-01) or 2026-11-01 12:00:00 UTC".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_timestamp_forms_sources_write() {
        let utc = |s: &str| parse_timestamp(s).unwrap().to_rfc3339();
        assert_eq!(utc("2026-11-01T12:00:00Z"), "2026-11-01T12:00:00+00:00");
        assert_eq!(
            utc("2015-12-02T07:39:15.000-0800"),
            "2015-12-02T15:39:15+00:00"
        );
        assert_eq!(utc("2016-08-12 15:23:28 UTC"), "2016-08-12T15:23:28+00:00");
        assert_eq!(utc("2026-11-01"), "2026-11-01T00:00:00+00:00");
        assert!(parse_timestamp("soon").is_err());
    }

    #[test]
    fn reads_timestamps_with_offsets_as_utc() {
        let t = parse_instant("2022-09-30T21:53:26.000-07:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2022-10-01T04:53:26+00:00");
    }

    #[test]
    fn a_date_means_the_end_of_that_day() {
        let t = parse_instant("2026-11-01").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-01T23:59:59.999999+00:00");
    }

    #[test]
    fn rejects_other_text_with_the_expected_forms() {
        let err = parse_instant("last tuesday").unwrap_err().to_string();
        assert!(
            err.contains("last tuesday") && err.contains("RFC 3339"),
            "{err}"
        );
    }
}
