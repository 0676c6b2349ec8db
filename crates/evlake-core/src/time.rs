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

#[cfg(test)]
mod tests {
    use super::*;

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
