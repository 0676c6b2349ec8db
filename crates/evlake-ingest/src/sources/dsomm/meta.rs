//! The DSOMM app's `meta.yaml`: the progress states and their scores, and the teams.

use std::path::Path;

use serde_json::Value;

use crate::{Error, Result};

/// One progress state of the app's `progressDefinition`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressState {
    /// Its title as the files write it (`Fully implemented`).
    pub title: String,
    /// Its score, 0–1.
    pub score: f64,
}

/// The app's progress states, by score: the lowest is 0 (not started), the highest 1 (done).
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressDefinition {
    states: Vec<ProgressState>,
}

impl Default for ProgressDefinition {
    /// The app's default definition (v4.6).
    fn default() -> Self {
        let state = |title: &str, score| ProgressState {
            title: title.to_string(),
            score,
        };
        Self {
            states: vec![
                state("Not implemented", 0.0),
                state("Started", 0.2),
                state("Partly implemented", 0.5),
                state("Fully implemented", 1.0),
            ],
        }
    }
}

impl ProgressDefinition {
    /// Reads `progressDefinition` in either of its forms — title → `{score, definition}`, or
    /// the older title → score — where a score is a `%` string, a number from 0 to 1, or a
    /// numeric string. As the app requires, the lowest score must be 0 and the highest 1.
    pub fn parse(value: &Value) -> std::result::Result<Self, String> {
        let Some(map) = value.as_object() else {
            return Err("progressDefinition is not a mapping of titles to scores".into());
        };
        let mut states = Vec::new();
        for (title, v) in map {
            let score = v.get("score").unwrap_or(v);
            let score = parse_score(score).ok_or_else(|| {
                format!("progressDefinition '{title}': the score {score} is not a percentage or a number from 0 to 1")
            })?;
            states.push(ProgressState {
                title: title.clone(),
                score,
            });
        }
        states.sort_by(|a, b| a.score.total_cmp(&b.score));
        match (states.first(), states.last()) {
            (Some(low), Some(high)) if low.score == 0.0 && high.score == 1.0 => Ok(Self { states }),
            _ => Err("progressDefinition needs a state scored 0 % (not started) and one scored 100 % (completed)".into()),
        }
    }

    /// The states, lowest score first.
    pub fn states(&self) -> &[ProgressState] {
        &self.states
    }

    /// The score of the state titled `title`, if the definition has it.
    pub fn score(&self, title: &str) -> Option<f64> {
        self.states
            .iter()
            .find(|s| s.title == title)
            .map(|s| s.score)
    }

    /// The completed (100 %) state.
    pub fn completed(&self) -> &ProgressState {
        self.states
            .last()
            .expect("a definition has a completed state")
    }
}

/// A score as the app reads one: `"20%"` is 0.2; a number or a numeric string is taken as is.
fn parse_score(v: &Value) -> Option<f64> {
    let score = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => match s.trim().strip_suffix('%') {
            Some(pct) => pct.trim().parse::<f64>().ok()? / 100.0,
            None => s.trim().parse::<f64>().ok()?,
        },
        _ => return None,
    };
    (0.0..=1.0).contains(&score).then_some(score)
}

/// What the importer takes from `meta.yaml`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Meta {
    pub progress: ProgressDefinition,
    /// The teams, when the meta (or its teams file) lists them.
    pub teams: Option<Vec<String>>,
}

impl Meta {
    /// Reads `meta_file`, following a `teams` `$ref` from its directory unless `teams_file`
    /// names the teams file itself.
    pub fn read(meta_file: &Path, teams_file: Option<&Path>) -> Result<Self> {
        let meta = read_yaml(meta_file)?;
        let named = |reason: String| {
            Error::setting(format!("meta_file: {}: {reason}", meta_file.display()))
        };
        let progress = match meta.get("progressDefinition") {
            Some(v) => ProgressDefinition::parse(v).map_err(named)?,
            None => ProgressDefinition::default(),
        };
        let teams = match (teams_file, meta.get("teams")) {
            (Some(file), _) => Some(
                team_list(&read_yaml(file)?, "teams")
                    .map_err(|e| Error::setting(format!("teams_file: {}: {e}", file.display())))?,
            ),
            (None, Some(Value::Object(r))) if r.contains_key("$ref") => {
                let reference = r["$ref"].as_str().unwrap_or_default();
                let (file, pointer) = reference.split_once('#').unwrap_or((reference, ""));
                let dir = meta_file.parent().unwrap_or(Path::new("."));
                let file = dir.join(file);
                let doc = read_yaml(&file).map_err(|e| {
                    named(format!(
                        "teams $ref '{reference}': {e}; set teams_file to the teams file"
                    ))
                })?;
                let key = pointer.trim_start_matches('/');
                Some(team_list(&doc, if key.is_empty() { "teams" } else { key }).map_err(named)?)
            }
            (None, Some(list)) => Some(
                team_list(
                    &Value::Object([("teams".to_string(), list.clone())].into_iter().collect()),
                    "teams",
                )
                .map_err(named)?,
            ),
            (None, None) => None,
        };
        Ok(Self { progress, teams })
    }
}

fn team_list(doc: &Value, key: &str) -> std::result::Result<Vec<String>, String> {
    match doc.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| match t {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!("{key}: a team is {other}, not a name")),
            })
            .collect(),
        Some(Value::Null) | None => Ok(Vec::new()),
        Some(other) => Err(format!("{key} is {other}, not a list of team names")),
    }
}

fn read_yaml(file: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Error::setting(format!("{}: {e}", file.display())))?;
    serde_saphyr::from_str::<Value>(&text)
        .map_err(|e| Error::setting(format!("{}: not valid YAML: {e}", file.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_forms_of_the_definition_and_every_way_to_write_a_score() {
        let objects = json!({
            "Not implemented": {"score": "0%"},
            "Started": {"score": "20 %", "definition": "begun"},
            "Half": {"score": 0.5},
            "Fully implemented": {"score": "1"},
        });
        let d = ProgressDefinition::parse(&objects).unwrap();
        let scores: Vec<_> = d
            .states()
            .iter()
            .map(|s| (s.title.as_str(), s.score))
            .collect();
        assert_eq!(
            scores,
            [
                ("Not implemented", 0.0),
                ("Started", 0.2),
                ("Half", 0.5),
                ("Fully implemented", 1.0)
            ]
        );
        let scalars = json!({"Backlog": "0%", "Started": "30%", "Implemented": "100%"});
        let d = ProgressDefinition::parse(&scalars).unwrap();
        assert_eq!(
            (d.score("Started"), d.completed().title.as_str()),
            (Some(0.3), "Implemented")
        );
        assert_eq!(d.score("Planned"), None);
    }

    #[test]
    fn a_definition_without_a_zero_or_a_full_state_or_with_a_bad_score_is_refused() {
        for bad in [
            json!({"Started": "20%", "Done": "100%"}),
            json!({"Backlog": "0%", "Started": "20%"}),
            json!({"Backlog": "0%", "Done": "150%"}),
            json!({"Backlog": "0%", "Done": "all"}),
            json!(["0%"]),
        ] {
            assert!(ProgressDefinition::parse(&bad).is_err(), "{bad}");
        }
    }
}
