//! Parsing the DSOMM app's files into `dsomm_activities`, `dsomm_progress` and
//! `dsomm_evidence` rows.

use std::path::Path;

use chrono::{DateTime, Utc};
use evlake_core::time::parse_timestamp;
use serde_json::{Map, Value, json};

use super::DsommConfig;
use super::meta::{Meta, ProgressDefinition};
use super::model::{self, Activity};
use crate::emit::{Document, Emitter, timestamp};
use crate::kind::Parser;
use crate::sources::json::yaml_documents;

/// The `dsomm` parser.
#[derive(Debug, Clone)]
pub struct DsommParser {
    progress: ProgressDefinition,
    teams: Option<Vec<String>>,
    /// The custom activity files' bodies, in load order, with their paths.
    overlays: Vec<(String, Value)>,
}

impl DsommParser {
    /// A parser with `config`: its `meta.yaml`, teams file and overlays are read now, and an
    /// unreadable one is an error naming the setting and the file.
    pub fn new(config: &DsommConfig) -> crate::Result<Self> {
        let meta = match &config.meta_file {
            Some(file) => Meta::read(Path::new(file), config.teams_file.as_deref().map(Path::new))?,
            None => Meta::default(),
        };
        let overlays = config
            .overlays
            .iter()
            .map(|o| {
                let text = std::fs::read_to_string(&o.file)
                    .map_err(|e| crate::Error::setting(format!("overlays: {}: {e}", o.file)))?;
                let body = serde_saphyr::from_str::<Value>(&text).map_err(|e| {
                    crate::Error::setting(format!("overlays: {}: not valid YAML: {e}", o.file))
                })?;
                Ok((o.file.clone(), body))
            })
            .collect::<crate::Result<_>>()?;
        Ok(Self {
            progress: meta.progress,
            teams: meta.teams,
            overlays,
        })
    }
}

impl Parser for DsommParser {
    /// The app's files are the assessment as it stands: each run reads them as a snapshot.
    fn current_state(&self, _location: &str) -> bool {
        true
    }

    fn snapshot_at(&self, _location: &str, modified: DateTime<Utc>) -> Option<DateTime<Utc>> {
        Some(modified)
    }

    /// A progress file lists every state still held: a state it lacks was taken back.
    fn snapshots(&self) -> bool {
        true
    }

    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        let at = doc.modified;
        let Ok(text) = std::str::from_utf8(doc.bytes) else {
            out.incomplete_snapshot(at);
            return out.reject(doc.location, "the file is not UTF-8 text", doc.bytes);
        };
        let mut docs = Vec::new();
        for (line, part) in yaml_documents(text) {
            match serde_saphyr::from_str::<Value>(part) {
                Ok(Value::Null) => {}
                Ok(v) => docs.push(v),
                Err(e) => {
                    out.incomplete_snapshot(at);
                    return out.reject(
                        &format!("{}:{line}", doc.location),
                        format!("not valid YAML: {e}"),
                        part.as_bytes(),
                    );
                }
            }
        }
        let file = File {
            location: doc.location,
            at,
        };
        match docs.as_slice() {
            [one] if one.get("progress").is_some() => {
                self.progress_file(&file, &one["progress"], out)
            }
            [one] if one.get("evidence").is_some() => evidence_file(&file, &one["evidence"], out),
            _ if docs.last().is_some_and(model::is_model_body) => {
                self.model_file(&file, &docs, out)
            }
            // `progress:` alone (the app's empty file) parses as a key with no value.
            [] => out.skip(),
            _ => {
                out.incomplete_snapshot(at);
                out.reject(
                    doc.location,
                    "neither a DSOMM model (model.yaml, generated.yaml), a team-progress.yaml (`progress:`) nor a team-evidence.yaml (`evidence:`)",
                    doc.bytes,
                )
            }
        }
    }
}

/// The file a row comes from, and the snapshot it is part of.
struct File<'a> {
    location: &'a str,
    at: DateTime<Utc>,
}

impl File<'_> {
    fn id(&self, parts: &[&str]) -> String {
        let at = timestamp(self.at);
        format!("{}|{}", at.as_str().unwrap_or_default(), parts.join("|"))
    }
}

impl DsommParser {
    fn model_file(&self, file: &File<'_>, docs: &[Value], out: &mut Emitter) {
        let mut model = model::read(docs);
        for (path, reason) in std::mem::take(&mut model.problems) {
            out.reject(
                &format!("{}#{path}", file.location),
                reason,
                path.as_bytes(),
            );
        }
        for (overlay, body) in &self.overlays {
            for (path, reason) in model::overlay(&mut model.activities, body) {
                out.reject(&format!("{overlay}#{path}"), reason, path.as_bytes());
            }
        }
        for a in &model.activities {
            self.activity(file, a, &model.version, out);
            if model.legacy {
                self.legacy_assessment(file, a, out);
            }
        }
    }

    fn activity(&self, file: &File<'_>, a: &Activity, version: &str, out: &mut Emitter) {
        let location = format!(
            "{}#{} / {} / {}",
            file.location, a.dimension, a.sub_dimension, a.name
        );
        let Some(level) = a.level() else {
            return out.reject(
                &location,
                format!("activity {} has no level", a.uuid),
                a.record().to_string().as_bytes(),
            );
        };
        let tags = a.fields.get("tags").filter(|t| !t.is_null());
        let fields = Map::from_iter([
            ("activity_uuid".to_string(), json!(a.uuid)),
            ("dimension".to_string(), json!(a.dimension)),
            ("sub_dimension".to_string(), json!(a.sub_dimension)),
            ("activity".to_string(), json!(a.name)),
            ("level".to_string(), json!(level)),
            ("model_version".to_string(), json!(version)),
            (
                "references".to_string(),
                a.references().map_or(Value::Null, |r| json!(r.to_string())),
            ),
            (
                "tags".to_string(),
                tags.map_or(Value::Null, |t| json!(t.to_string())),
            ),
        ]);
        let raw = a.record().to_string();
        out.row(
            "dsomm_activities",
            file.at,
            file.id(&[&a.uuid]),
            location,
            raw.as_bytes(),
            fields,
        );
    }

    /// The v3 assessment: `teamsImplemented: {team: true}` is the completed state, with no
    /// date; `teamsEvidence: {team: text}` is evidence.
    fn legacy_assessment(&self, file: &File<'_>, a: &Activity, out: &mut Emitter) {
        let completed = &self.progress.completed().title;
        if let Some(Value::Object(teams)) = a.fields.get("teamsImplemented") {
            for (team, done) in teams {
                if done.as_bool() == Some(true) {
                    let raw =
                        json!({(a.uuid.clone()): {"teamsImplemented": {(team.clone()): true}}});
                    self.state(file, &a.uuid, team, completed, None, &raw, out);
                }
            }
        }
        if let Some(Value::Object(teams)) = a.fields.get("teamsEvidence") {
            for (team, text) in teams {
                let Some(text) = text.as_str().filter(|t| !t.trim().is_empty()) else {
                    continue;
                };
                let raw = json!({(a.uuid.clone()): {"teamsEvidence": {(team.clone()): text}}});
                let fields = Map::from_iter([
                    ("activity_uuid".to_string(), json!(a.uuid)),
                    ("teams".to_string(), json!(json!([team]).to_string())),
                    ("description".to_string(), json!(text)),
                ]);
                let location = format!("{}#{}/teamsEvidence/{team}", file.location, a.uuid);
                out.row(
                    "dsomm_evidence",
                    file.at,
                    file.id(&["legacy", &a.uuid, team]),
                    location,
                    raw.to_string().as_bytes(),
                    fields,
                );
            }
        }
    }

    fn progress_file(&self, file: &File<'_>, progress: &Value, out: &mut Emitter) {
        // An emptied file (`progress:`) is a snapshot too: every team moved back.
        out.snapshot_taken("dsomm_progress", file.at);
        let Some(activities) = progress.as_object() else {
            if !progress.is_null() {
                out.incomplete_snapshot(file.at);
                out.reject(
                    file.location,
                    "`progress` is not a mapping of activity UUIDs",
                    progress.to_string().as_bytes(),
                );
            }
            return;
        };
        for (uuid, teams) in activities {
            let Some(teams) = teams.as_object() else {
                out.reject(
                    &format!("{}#/progress/{uuid}", file.location),
                    "not a mapping of teams to their states",
                    teams.to_string().as_bytes(),
                );
                continue;
            };
            for (team, states) in teams {
                let Some(states) = states.as_object() else {
                    out.reject(
                        &format!("{}#/progress/{uuid}/{team}", file.location),
                        "not a mapping of progress titles to dates",
                        states.to_string().as_bytes(),
                    );
                    continue;
                };
                for (title, date) in states {
                    let raw = json!({(uuid.clone()): {(team.clone()): {(title.clone()): date}}});
                    let entered = match date.as_str().map(parse_timestamp) {
                        Some(Ok(t)) => t,
                        _ => {
                            // Without it the snapshot would read as the team moving back.
                            out.incomplete_snapshot(file.at);
                            out.reject(
                                &format!("{}#/progress/{uuid}/{team}/{title}", file.location),
                                format!("the date {date} is not a date (YYYY-MM-DD) or an RFC 3339 timestamp"),
                                raw.to_string().as_bytes(),
                            );
                            continue;
                        }
                    };
                    self.state(file, uuid, team, title, Some(entered), &raw, out);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn state(
        &self,
        file: &File<'_>,
        uuid: &str,
        team: &str,
        title: &str,
        entered: Option<DateTime<Utc>>,
        raw: &Value,
        out: &mut Emitter,
    ) {
        let known_team = self
            .teams
            .as_ref()
            .map(|teams| teams.iter().any(|t| t == team));
        let fields = Map::from_iter([
            ("team".to_string(), json!(team)),
            ("activity_uuid".to_string(), json!(uuid)),
            ("progress_state".to_string(), json!(title)),
            (
                "progress_pct".to_string(),
                json!(self.progress.score(title)),
            ),
            (
                "entered_at".to_string(),
                entered.map_or(Value::Null, timestamp),
            ),
            ("known_team".to_string(), json!(known_team)),
        ]);
        let location = format!("{}#/progress/{uuid}/{team}/{title}", file.location);
        out.row(
            "dsomm_progress",
            file.at,
            file.id(&[uuid, team, title]),
            location,
            raw.to_string().as_bytes(),
            fields,
        );
    }
}

/// `evidence: {uuid: [entries]}` (app ≥ 4.4.1).
fn evidence_file(file: &File<'_>, evidence: &Value, out: &mut Emitter) {
    out.snapshot_taken("dsomm_evidence", file.at);
    let Some(activities) = evidence.as_object() else {
        if !evidence.is_null() {
            out.incomplete_snapshot(file.at);
            out.reject(
                file.location,
                "`evidence` is not a mapping of activity UUIDs",
                evidence.to_string().as_bytes(),
            );
        }
        return;
    };
    for (uuid, entries) in activities {
        let entries = match entries {
            Value::Array(entries) => entries.as_slice(),
            Value::Null => &[],
            other => {
                out.reject(
                    &format!("{}#/evidence/{uuid}", file.location),
                    "not a list of evidence entries",
                    other.to_string().as_bytes(),
                );
                continue;
            }
        };
        for (i, entry) in entries.iter().enumerate() {
            let location = format!("{}#/evidence/{uuid}/{i}", file.location);
            let raw = entry.to_string();
            let text = |key: &str| entry.get(key).and_then(Value::as_str).map(str::to_string);
            let recorded = match entry
                .get("evidenceRecorded")
                .and_then(Value::as_str)
                .map(parse_timestamp)
            {
                None => None,
                Some(Ok(t)) => Some(t),
                Some(Err(e)) => {
                    out.reject(&location, format!("evidenceRecorded: {e}"), raw.as_bytes());
                    continue;
                }
            };
            let id = text("id").unwrap_or_else(|| i.to_string());
            let json_text = |key: &str| {
                entry
                    .get(key)
                    .filter(|v| !v.is_null())
                    .map_or(Value::Null, |v| json!(v.to_string()))
            };
            let fields = Map::from_iter([
                ("activity_uuid".to_string(), json!(uuid)),
                ("evidence_id".to_string(), json!(id)),
                ("teams".to_string(), json_text("teams")),
                ("title".to_string(), json!(text("title"))),
                (
                    "recorded_at".to_string(),
                    recorded.map_or(Value::Null, timestamp),
                ),
                ("reviewer".to_string(), json!(text("reviewer"))),
                ("description".to_string(), json!(text("description"))),
                ("attachments".to_string(), json_text("attachment")),
            ]);
            out.row(
                "dsomm_evidence",
                file.at,
                file.id(&["evidence", uuid, &id]),
                location,
                raw.as_bytes(),
                fields,
            );
        }
    }
}
