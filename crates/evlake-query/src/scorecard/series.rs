//! Re-measurement: the scorecard at a series of dates, all read as the lake knew them at one
//! instant, so a quarterly check-in is one command (`evlake score --from --to --every`).

use std::fmt::Write as _;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{AnswerCited, Scorecard};
use crate::{Error, QuerySession, Result};

/// The most dates one series asks for: each date asks every question.
pub const MAX_SERIES_POINTS: usize = 120;

/// Claimed and evidenced levels per team and sub-dimension at each date of a series.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreSeries {
    /// The transaction-time instant every date was read at.
    pub known_at: DateTime<Utc>,
    /// The dates, in order: `from`, every step after it, and `to`.
    pub points: Vec<ScorePoint>,
}

/// The scorecard at one date of a series, reduced to its levels.
#[derive(Debug, Clone, Serialize)]
pub struct ScorePoint {
    /// The valid-time instant.
    pub as_of: DateTime<Utc>,
    /// The answers it used.
    pub answers: Vec<AnswerCited>,
    /// Every team's sub-dimension levels.
    pub levels: Vec<SubDimensionLevels>,
}

/// One team's claimed and evidenced level of one sub-dimension at one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubDimensionLevels {
    /// The team.
    pub team: String,
    /// The dimension.
    pub dimension: String,
    /// The sub-dimension.
    pub sub_dimension: String,
    /// The claimed level.
    pub claimed: u8,
    /// The evidenced level.
    pub evidenced: u8,
}

impl Scorecard {
    /// Every team's sub-dimension levels, in the scorecard's order.
    pub fn levels(&self) -> Vec<SubDimensionLevels> {
        self.teams
            .iter()
            .flat_map(|t| {
                t.dimensions.iter().flat_map(move |d| {
                    d.sub_dimensions.iter().map(move |s| SubDimensionLevels {
                        team: t.team.clone(),
                        dimension: d.dimension.clone(),
                        sub_dimension: s.sub_dimension.clone(),
                        claimed: s.claimed,
                        evidenced: s.evidenced,
                    })
                })
            })
            .collect()
    }

    /// The scorecard as CSV: one row per team and sub-dimension.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(CSV_HEADER);
        for l in self.levels() {
            out.push_str(&csv_row(self.as_of, &l));
        }
        out
    }
}

const CSV_HEADER: &str = "as_of,team,dimension,sub_dimension,claimed,evidenced,delta\n";

fn csv_row(as_of: DateTime<Utc>, l: &SubDimensionLevels) -> String {
    let field = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    format!(
        "{},{},{},{},{},{},{}\n",
        as_of.format("%Y-%m-%dT%H:%M:%SZ"),
        field(&l.team),
        field(&l.dimension),
        field(&l.sub_dimension),
        l.claimed,
        l.evidenced,
        i16::from(l.evidenced) - i16::from(l.claimed)
    )
}

/// The dates of a series: `from`, each `every` after it while before `to`, and `to`.
pub fn series_dates(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    every: Duration,
) -> Result<Vec<DateTime<Utc>>> {
    if to < from {
        return Err(Error::Series(format!(
            "--to {} is before --from {}",
            to.format("%Y-%m-%d"),
            from.format("%Y-%m-%d")
        )));
    }
    if every <= Duration::zero() {
        return Err(Error::Series("--every must be at least a day".into()));
    }
    let mut dates = Vec::new();
    let mut at = from;
    while at < to {
        dates.push(at);
        at += every;
        if dates.len() >= MAX_SERIES_POINTS {
            return Err(Error::Series(format!(
                "more than {MAX_SERIES_POINTS} dates from --from to --to: take a longer --every"
            )));
        }
    }
    dates.push(to);
    Ok(dates)
}

impl QuerySession {
    /// The scorecard at every date of `dates`, each read as the lake knew it at `known_at`
    /// (default: when the session opened), for `team` or every team.
    pub async fn scorecard_series(
        &self,
        dates: &[DateTime<Utc>],
        known_at: Option<DateTime<Utc>>,
        team: Option<&str>,
    ) -> Result<ScoreSeries> {
        let known_at = known_at.unwrap_or_else(|| self.opened_at());
        let mut points = Vec::with_capacity(dates.len());
        for as_of in dates {
            let card = self.scorecard(Some(*as_of), Some(known_at), team).await?;
            points.push(ScorePoint {
                as_of: card.as_of,
                levels: card.levels(),
                answers: card.answers,
            });
        }
        Ok(ScoreSeries { known_at, points })
    }
}

/// `(claimed, evidenced)` at one date of a series; none where the date had no assessment.
type AtDate = Option<(u8, u8)>;

/// The terminal sparkline glyph of a level 0–5.
fn spark(level: u8) -> char {
    ['·', '▁', '▃', '▅', '▆', '█'][usize::from(level.min(5))]
}

impl ScoreSeries {
    /// The series as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a series is always serialisable")
    }

    /// The series as CSV: one row per date, team and sub-dimension.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(CSV_HEADER);
        for p in &self.points {
            for l in &p.levels {
                out.push_str(&csv_row(p.as_of, l));
            }
        }
        out
    }

    /// Per team and sub-dimension: its claimed and evidenced level at each date.
    fn rows(&self) -> Vec<(&SubDimensionLevels, Vec<AtDate>)> {
        let mut rows: Vec<(&SubDimensionLevels, Vec<AtDate>)> = Vec::new();
        for (i, p) in self.points.iter().enumerate() {
            for l in &p.levels {
                let at = rows.iter().position(|(k, _)| {
                    (&k.team, &k.dimension, &k.sub_dimension)
                        == (&l.team, &l.dimension, &l.sub_dimension)
                });
                let at = at.unwrap_or_else(|| {
                    rows.push((l, vec![None; self.points.len()]));
                    rows.len() - 1
                });
                rows[at].1[i] = Some((l.claimed, l.evidenced));
            }
        }
        rows
    }

    /// The series as a Markdown table: per team and sub-dimension, `claimed/evidenced` at
    /// each date.
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "# DSOMM scorecard series\n\nKnown at {}; each cell is claimed/evidenced.\n\n| team | sub-dimension |",
            self.known_at.format("%Y-%m-%dT%H:%M:%SZ")
        );
        for p in &self.points {
            let _ = write!(out, " {} |", p.as_of.format("%Y-%m-%d"));
        }
        let _ = write!(out, "\n|---|---|{}\n", "---|".repeat(self.points.len()));
        let cell = |s: &str| s.replace('|', "\\|");
        for (key, values) in self.rows() {
            let _ = write!(
                out,
                "| {} | {} |",
                cell(&key.team),
                cell(&key.sub_dimension)
            );
            for v in values {
                let _ = write!(
                    out,
                    " {} |",
                    v.map_or("—".to_string(), |(c, e)| format!("{c}/{e}"))
                );
            }
            out.push('\n');
        }
        out
    }

    /// The series as text for a terminal: per team and sub-dimension, the claimed and the
    /// evidenced level as sparklines over the dates (`·` level 0, `█` level 5, blank where the
    /// date had no assessment), with the first and last values.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let (Some(first), Some(last)) = (self.points.first(), self.points.last()) else {
            return out;
        };
        let _ = writeln!(
            out,
            "DSOMM scorecard series — {} dates from {} to {}, known at {}",
            self.points.len(),
            first.as_of.format("%Y-%m-%d"),
            last.as_of.format("%Y-%m-%d"),
            self.known_at.format("%Y-%m-%dT%H:%M:%SZ")
        );
        let mut table = comfy_table::Table::new();
        table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
        table.set_header([
            "team",
            "sub-dimension",
            "claimed",
            "evidenced",
            "first → last",
        ]);
        for (key, values) in self.rows() {
            let line = |pick: fn((u8, u8)) -> u8| -> String {
                values
                    .iter()
                    .map(|v| v.map_or(' ', |v| spark(pick(v))))
                    .collect()
            };
            let ends = |v: Option<&Option<(u8, u8)>>| {
                v.copied()
                    .flatten()
                    .map_or("—".to_string(), |(c, e)| format!("{c}/{e}"))
            };
            table.add_row([
                key.team.clone(),
                key.sub_dimension.clone(),
                line(|(c, _)| c),
                line(|(_, e)| e),
                format!("{} → {}", ends(values.first()), ends(values.last())),
            ]);
        }
        let _ = writeln!(out, "{table}");
        let _ = writeln!(
            out,
            "levels as claimed/evidenced; sparkline · = 0 … █ = 5, one glyph per date"
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: &str) -> DateTime<Utc> {
        format!("{d}T23:59:59Z").parse().unwrap()
    }

    #[test]
    fn dates_step_from_the_start_and_end_on_the_last_day() {
        let dates = series_dates(day("2026-01-31"), day("2026-03-31"), Duration::days(30)).unwrap();
        assert_eq!(
            dates,
            [day("2026-01-31"), day("2026-03-02"), day("2026-03-31")]
        );
        let one = series_dates(day("2026-01-31"), day("2026-01-31"), Duration::days(30)).unwrap();
        assert_eq!(one, [day("2026-01-31")]);
        let err = series_dates(day("2026-02-01"), day("2026-01-01"), Duration::days(30));
        assert!(err.unwrap_err().to_string().contains("before --from"));
        let err = series_dates(day("2020-01-01"), day("2026-01-01"), Duration::days(1));
        assert!(err.unwrap_err().to_string().contains("longer --every"));
    }

    #[test]
    fn csv_quotes_what_needs_it_and_the_sparkline_follows_the_levels() {
        let l = SubDimensionLevels {
            team: "team \"a\"".into(),
            dimension: "Build and Deployment".into(),
            sub_dimension: "Build, test".into(),
            claimed: 3,
            evidenced: 1,
        };
        assert_eq!(
            csv_row(day("2026-01-31"), &l),
            "2026-01-31T23:59:59Z,\"team \"\"a\"\"\",Build and Deployment,\"Build, test\",3,1,-2\n"
        );
        let series = ScoreSeries {
            known_at: day("2026-04-01"),
            points: [(3, 1), (3, 3)]
                .iter()
                .enumerate()
                .map(|(i, (c, e))| ScorePoint {
                    as_of: day("2026-01-31") + Duration::days(30 * i as i64),
                    answers: Vec::new(),
                    levels: vec![SubDimensionLevels {
                        claimed: *c,
                        evidenced: *e,
                        ..l.clone()
                    }],
                })
                .collect(),
        };
        let text = series.to_text();
        assert!(text.contains("┆ ▅▅ ") && text.contains("┆ ▁▅ "), "{text}");
        assert!(text.contains("3/1 → 3/3"), "{text}");
        assert_eq!(series.to_csv().lines().count(), 3);
        assert!(
            series
                .to_markdown()
                .contains("| team \"a\" | Build, test | 3/1 | 3/3 |"),
            "{}",
            series.to_markdown()
        );
    }
}
