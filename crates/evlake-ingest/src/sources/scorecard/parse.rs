//! Parsing scorecard JSON into `scorecards` rows.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::emit::{Document, Emitter, timestamp};
use crate::kind::Parser;

/// Settings of a `scorecard` source: none beyond the common keys.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScorecardConfig {}

/// The `scorecard` parser.
#[derive(Debug, Clone, Copy)]
pub struct ScorecardParser;

fn instant(card: &Value, key: &str) -> Result<DateTime<Utc>, String> {
    card.get(key)
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("`{key}` is missing or not an RFC 3339 instant"))
}

impl Parser for ScorecardParser {
    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        let root: Value = match serde_json::from_slice(doc.bytes) {
            Ok(v) => v,
            Err(e) => return out.reject(doc.location, format!("not JSON: {e}"), doc.bytes),
        };
        // `ask all` holds the scorecard beside the answers.
        let card = root.get("scorecard").unwrap_or(&root);
        let (as_of, known_at) = match (instant(card, "as_of"), instant(card, "known_at")) {
            (Ok(a), Ok(k)) => (a, k),
            (Err(e), _) | (_, Err(e)) => {
                return out.reject(
                    doc.location,
                    format!("not an evlake scorecard: {e}"),
                    doc.bytes,
                );
            }
        };
        let Some(teams) = card.get("teams").and_then(Value::as_array) else {
            return out.reject(
                doc.location,
                "not an evlake scorecard: `teams` is missing or not a list",
                doc.bytes,
            );
        };
        let answers: Vec<Value> = card
            .get("answers")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|a| json!({"question": a["question"], "verdict": a["verdict"], "level": a["level"]}))
                    .collect()
            })
            .unwrap_or_default();
        let answers = Value::String(Value::Array(answers).to_string());
        for (t, team) in teams.iter().enumerate() {
            let name = team.get("team").and_then(Value::as_str).unwrap_or_default();
            let dimensions = team.get("dimensions").and_then(Value::as_array);
            for (d, dimension) in dimensions.into_iter().flatten().enumerate() {
                let subs = dimension.get("sub_dimensions").and_then(Value::as_array);
                for (s, sub) in subs.into_iter().flatten().enumerate() {
                    let location = format!(
                        "{}#/teams/{t}/dimensions/{d}/sub_dimensions/{s}",
                        doc.location
                    );
                    let sub_name = sub
                        .get("sub_dimension")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let dimension_name = dimension.get("dimension").cloned().unwrap_or(Value::Null);
                    let raw = json!({
                        "as_of": card["as_of"], "known_at": card["known_at"], "team": name,
                        "dimension": dimension_name, "sub_dimension": sub_name,
                        "claimed": sub.get("claimed"), "evidenced": sub.get("evidenced"),
                        "delta": sub.get("delta"), "unverified_claims": sub.get("unverified_claims"),
                    });
                    let fields = Map::from_iter([
                        (
                            "team".to_string(),
                            Some(name)
                                .filter(|n| !n.is_empty())
                                .map_or(Value::Null, Value::from),
                        ),
                        ("dimension".to_string(), dimension_name.clone()),
                        (
                            "sub_dimension".to_string(),
                            Some(sub_name)
                                .filter(|n| !n.is_empty())
                                .map_or(Value::Null, Value::from),
                        ),
                        (
                            "claimed".to_string(),
                            sub.get("claimed").cloned().unwrap_or(Value::Null),
                        ),
                        (
                            "evidenced".to_string(),
                            sub.get("evidenced").cloned().unwrap_or(Value::Null),
                        ),
                        (
                            "delta".to_string(),
                            sub.get("delta").cloned().unwrap_or(Value::Null),
                        ),
                        (
                            "unverified_claims".to_string(),
                            sub.get("unverified_claims").cloned().unwrap_or(Value::Null),
                        ),
                        ("as_of".to_string(), timestamp(as_of)),
                        ("known_at".to_string(), timestamp(known_at)),
                        (
                            "model_version".to_string(),
                            card.get("model_version").cloned().unwrap_or(Value::Null),
                        ),
                        ("answers".to_string(), answers.clone()),
                        (
                            "scope".to_string(),
                            card.get("scope").cloned().unwrap_or(Value::Null),
                        ),
                    ]);
                    let id = format!(
                        "{}|{}|{name}|{}|{sub_name}",
                        timestamp(as_of).as_str().unwrap_or_default(),
                        timestamp(known_at).as_str().unwrap_or_default(),
                        dimension_name.as_str().unwrap_or_default()
                    );
                    out.row(
                        "scorecards",
                        as_of,
                        id,
                        location,
                        raw.to_string().as_bytes(),
                        fields,
                    );
                }
            }
        }
    }
}
