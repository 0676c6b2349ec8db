//! Reproducing a saved answer: the same question, instants and rubric re-run on the lake at
//! the table versions the answer recorded, compared row by row and metric by metric, with
//! the tables that have moved on since.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::{Answer, LakeTableVersion, QuerySession, Result, Rubric};

/// One metric whose value differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricChange {
    /// The metric.
    pub metric: String,
    /// Its value in the saved answer.
    pub saved: Value,
    /// Its value re-computed.
    pub now: Value,
}

/// A table whose version or chain head differs from what the answer recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableMove {
    /// The table.
    pub table: String,
    /// What the answer recorded.
    pub recorded: LakeTableVersion,
    /// The lake's newest version now.
    pub current: LakeTableVersion,
}

/// The result of re-running a saved answer.
#[derive(Debug, Clone, Serialize)]
pub struct Reproduction {
    /// Whether the re-run at the recorded versions gave the saved answer: the same evidence
    /// rows, metrics, verdict, level, parameters, rubric and SQL.
    pub identical: bool,
    /// What differs, in words (empty when identical).
    pub differences: Vec<String>,
    /// Evidence rows of the saved answer the re-run did not give.
    pub rows_missing: Vec<Map<String, Value>>,
    /// Evidence rows the re-run gave that the saved answer lacks.
    pub rows_added: Vec<Map<String, Value>>,
    /// Metrics whose value differs.
    pub metrics_changed: Vec<MetricChange>,
    /// Tables that have moved on since the answer (later ingests): the re-run still reads the
    /// recorded versions.
    pub moved: Vec<TableMove>,
}

impl Reproduction {
    /// The reproduction for a terminal or a report.
    pub fn to_text(&self, saved: &Answer) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}: {} as of {} known at {}, re-run at the recorded table versions",
            if self.identical {
                "identical"
            } else {
                "DIFFERS"
            },
            saved.question,
            saved.as_of.to_rfc3339(),
            saved.known_at.to_rfc3339()
        );
        for d in &self.differences {
            let _ = writeln!(out, "  {d}");
        }
        for change in &self.metrics_changed {
            let _ = writeln!(
                out,
                "  metric {}: saved {}, now {}",
                change.metric, change.saved, change.now
            );
        }
        let id = |row: &Map<String, Value>| {
            row.get("source_id")
                .or_else(|| row.values().next())
                .map_or(String::new(), Value::to_string)
        };
        for row in &self.rows_missing {
            let _ = writeln!(out, "  row missing now: {}", id(row));
        }
        for row in &self.rows_added {
            let _ = writeln!(out, "  row added now: {}", id(row));
        }
        for m in &self.moved {
            let version =
                |v: &LakeTableVersion| v.version.map_or("absent".into(), |n| format!("v{n}"));
            let _ = writeln!(
                out,
                "  moved since: {} {} → {} (later ingests; the answer pins {})",
                m.table,
                version(&m.recorded),
                version(&m.current),
                version(&m.recorded)
            );
        }
        out
    }
}

impl QuerySession {
    /// Re-runs `saved` on this session, which must have been opened at the answer's
    /// `lake_version` ([`crate::QuerySessionBuilder::with_versions`]); `current` is the lake's
    /// newest version of every table, to tell which have moved on.
    pub async fn reproduce(
        &self,
        saved: &Answer,
        current: &[LakeTableVersion],
    ) -> Result<Reproduction> {
        let mut differences = Vec::new();
        let rubric = Rubric::builtin();
        if rubric.sha256() != saved.rubric_sha256 {
            differences.push(format!(
                "rubric: the answer was scored by a rubric with SHA-256 {}, this evlake has {}",
                saved.rubric_sha256,
                rubric.sha256()
            ));
        }
        // Every table is recorded, present or absent: an answer that leaves one out (or names
        // one evlake does not have) was not written by a session over this lake's tables.
        let mut recorded: Vec<&str> = saved
            .lake_version
            .iter()
            .map(|v| v.table.as_str())
            .collect();
        let mut known: Vec<&str> = evlake_core::tables::all().iter().map(|t| t.name).collect();
        recorded.sort_unstable();
        known.sort_unstable();
        if recorded != known {
            differences.push(format!(
                "lake_version: the answer records the tables {}, evlake has {}",
                recorded.join(", "),
                known.join(", ")
            ));
        }
        for recorded in &saved.lake_version {
            let read = self
                .lake_versions()
                .iter()
                .find(|v| v.table == recorded.table);
            if let Some(read) = read.filter(|read| *read != recorded) {
                differences.push(format!(
                    "table {}: the answer recorded version {:?} with chain head {:?}, the lake now has {:?} with {:?} there",
                    recorded.table, recorded.version, recorded.chain_head, read.version, read.chain_head
                ));
            }
        }
        let again = self
            .ask(&saved.question, Some(saved.as_of), Some(saved.known_at))
            .await?;
        let described = |a: &Answer| {
            (
                a.title.clone(),
                a.window_start,
                a.window_end,
                a.activities.clone(),
                a.evlake_version.clone(),
            )
        };
        if described(&again) != described(saved) {
            differences.push(format!(
                "the question as described (title, window, DSOMM activities, evlake version): saved {:?}, now {:?}",
                described(saved),
                described(&again)
            ));
        }
        if again.parameters != saved.parameters {
            differences.push(format!(
                "parameters: saved {}, now {}",
                Value::from(saved.parameters.clone().into_iter().collect::<Map<_, _>>()),
                Value::from(again.parameters.clone().into_iter().collect::<Map<_, _>>())
            ));
        }
        if again.sql != saved.sql {
            differences.push("sql: the statements differ from the saved ones".to_string());
        }
        if (again.verdict, again.level) != (saved.verdict, saved.level) {
            differences.push(format!(
                "verdict and level: saved {} level {}, now {} level {}",
                saved.verdict, saved.level, again.verdict, again.level
            ));
        }
        if again.evidence != saved.evidence {
            differences.push(format!(
                "evidence: saved {} rows, now {}",
                saved.evidence.len(),
                again.evidence.len()
            ));
        }
        let metrics_changed = changed_metrics(&saved.metrics, &again.metrics);
        let rows_missing = absent_from(&saved.evidence, &again.evidence);
        let rows_added = absent_from(&again.evidence, &saved.evidence);
        let moved = saved
            .lake_version
            .iter()
            .filter_map(|recorded| {
                let now = current.iter().find(|c| c.table == recorded.table)?;
                (now != recorded).then(|| TableMove {
                    table: recorded.table.clone(),
                    recorded: recorded.clone(),
                    current: now.clone(),
                })
            })
            .collect();
        Ok(Reproduction {
            identical: differences.is_empty() && metrics_changed.is_empty(),
            differences,
            rows_missing,
            rows_added,
            metrics_changed,
            moved,
        })
    }
}

fn changed_metrics(
    saved: &BTreeMap<String, Value>,
    now: &BTreeMap<String, Value>,
) -> Vec<MetricChange> {
    let mut names: Vec<&String> = saved.keys().chain(now.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let (a, b) = (
                saved.get(name).cloned().unwrap_or(Value::Null),
                now.get(name).cloned().unwrap_or(Value::Null),
            );
            (a != b).then(|| MetricChange {
                metric: name.clone(),
                saved: a,
                now: b,
            })
        })
        .collect()
}

/// The rows of `rows` that `other` does not hold (as many times).
fn absent_from(
    rows: &[Map<String, Value>],
    other: &[Map<String, Value>],
) -> Vec<Map<String, Value>> {
    let mut left: Vec<&Map<String, Value>> = other.iter().collect();
    rows.iter()
        .filter(|row| match left.iter().position(|o| o == row) {
            Some(at) => {
                left.swap_remove(at);
                false
            }
            None => true,
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(id: &str) -> Map<String, Value> {
        Map::from_iter([("source_id".to_string(), json!(id))])
    }

    #[test]
    fn rows_and_metrics_that_differ_are_named() {
        let saved = [row("a"), row("b"), row("b")];
        let now = [row("b"), row("c")];
        assert_eq!(absent_from(&saved, &now), [row("a"), row("b")]);
        assert_eq!(absent_from(&now, &saved), [row("c")]);
        let m = |pairs: &[(&str, Value)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<BTreeMap<_, _>>()
        };
        let changes = changed_metrics(
            &m(&[("alerts", json!(3)), ("gone", json!(1))]),
            &m(&[("alerts", json!(4))]),
        );
        assert_eq!(
            changes,
            [
                MetricChange {
                    metric: "alerts".into(),
                    saved: json!(3),
                    now: json!(4)
                },
                MetricChange {
                    metric: "gone".into(),
                    saved: json!(1),
                    now: Value::Null
                }
            ]
        );
    }
}
