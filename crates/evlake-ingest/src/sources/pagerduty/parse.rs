//! Parsing PagerDuty webhook events and REST pages.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::PagerdutyConfig;
use crate::emit::{Document, Emitter};
use crate::kind::Parser;
use crate::sources::incident::ClueFinder;
use crate::sources::json::{Record, each_body, emit_record, text, time};

/// The `pagerduty` parser.
#[derive(Debug, Clone)]
pub struct PagerdutyParser {
    clues: ClueFinder,
}

/// One incident event, however it arrived.
struct Event<'a> {
    source_id: Option<String>,
    time: Option<DateTime<Utc>>,
    event_type: String,
    incident: &'a Value,
    title: Option<&'a str>,
    assignee: Option<&'a str>,
    details: Vec<&'a Value>,
    /// The alert router's de-duplication key (`incident_key`): Falcosidekick and most
    /// routers set it from the alert's id.
    key: &'a Value,
}

impl PagerdutyParser {
    /// A parser with `config`.
    pub fn new(config: &PagerdutyConfig) -> crate::Result<Self> {
        Ok(Self {
            clues: ClueFinder::new(config.title_pattern.as_deref())?,
        })
    }

    fn emit(&self, out: &mut Emitter, record: &Record<'_>, location: &str, event: Event<'_>) {
        let incident = event.incident;
        let incident_id = text(incident, "/id");
        let clues = self
            .clues
            .find(event.title, &event.details, &[], &[event.key]);
        let fields = Map::from_iter([
            ("incident_id".to_string(), json!(incident_id)),
            ("system".to_string(), json!("pagerduty")),
            ("event_type".to_string(), json!(event.event_type)),
            ("status".to_string(), json!(text(incident, "/status"))),
            ("title".to_string(), json!(event.title)),
            (
                "service".to_string(),
                json!(text(incident, "/service/summary")),
            ),
            ("assignee".to_string(), json!(event.assignee)),
            ("url".to_string(), json!(text(incident, "/html_url"))),
            ("alert_refs".to_string(), json!(clues.alert_refs)),
            ("rule".to_string(), json!(clues.rule)),
            ("namespace".to_string(), json!(clues.namespace)),
            ("pod".to_string(), json!(clues.pod)),
        ]);
        emit_record(
            out,
            "incidents",
            record,
            location,
            (event.source_id, event.time),
            fields,
        );
    }

    /// A webhook v3 payload: `{"event": {"event_type": "incident.resolved", "data": …}}`.
    fn webhook(&self, body: &Record<'_>, location: &str, out: &mut Emitter) {
        let event = &body["event"];
        let Some(event_type) = text(event, "/event_type") else {
            return out.reject(
                location,
                "a webhook event has an 'event_type'",
                body.bytes(),
            );
        };
        if !event_type.starts_with("incident.") {
            // Services, schedules, … are not incidents.
            return out.skip();
        }
        let data = &event["data"];
        self.emit(
            out,
            body,
            location,
            Event {
                source_id: text(event, "/id").map(str::to_string),
                time: time(event, "/occurred_at"),
                event_type: event_type.trim_start_matches("incident.").to_string(),
                incident: data,
                title: text(data, "/title"),
                assignee: text(data, "/assignees/0/summary")
                    .or_else(|| text(event, "/agent/summary")),
                details: vec![&data["body"]["details"]],
                key: &data["incident_key"],
            },
        );
    }

    /// An incident from `/incidents`: its opening.
    fn incident(&self, incident: &Record<'_>, location: &str, out: &mut Emitter) {
        self.emit(
            out,
            incident,
            location,
            Event {
                source_id: text(incident, "/id").map(|id| format!("incident:{id}")),
                time: time(incident, "/created_at"),
                event_type: "triggered".into(),
                incident,
                title: text(incident, "/title"),
                assignee: text(incident, "/assignments/0/assignee/summary"),
                details: vec![&incident["body"]["details"]],
                key: &incident["incident_key"],
            },
        );
    }

    /// A log entry from `/log_entries`: `trigger_log_entry`, `acknowledge_log_entry`,
    /// `resolve_log_entry`, … (the times PagerDuty calls authoritative).
    fn log_entry(&self, entry: &Record<'_>, location: &str, out: &mut Emitter) {
        let kind = text(entry, "/type")
            .unwrap_or("")
            .trim_end_matches("_log_entry");
        let event_type = match kind {
            "trigger" => "triggered".to_string(),
            "acknowledge" => "acknowledged".to_string(),
            "resolve" => "resolved".to_string(),
            "" => return out.reject(location, "a log entry has a 'type'", entry.bytes()),
            other => other.to_string(),
        };
        let incident = &entry["incident"];
        let title = text(incident, "/title").or_else(|| text(incident, "/summary"));
        self.emit(
            out,
            entry,
            location,
            Event {
                source_id: text(entry, "/id").map(|id| format!("log_entry:{id}")),
                time: time(entry, "/created_at"),
                event_type,
                incident,
                title,
                assignee: text(entry, "/agent/summary"),
                details: vec![
                    &entry["channel"]["details"],
                    &entry["channel"]["cef_details"]["details"],
                ],
                key: &entry["incident"]["incident_key"],
            },
        );
    }
}

impl Parser for PagerdutyParser {
    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        each_body(doc, out, |body, at, out| {
            let fields = body.fields().unwrap_or_default();
            let list = |key: &str| fields.get(key).and_then(|t| t.items());
            if fields.contains_key("event") {
                self.webhook(&body.record(), at, out);
            } else if let Some(incidents) = list("incidents") {
                for (i, incident) in incidents.into_iter().enumerate() {
                    self.incident(&incident.record(), &format!("{at}/incidents/{i}"), out);
                }
            } else if let Some(entries) = list("log_entries") {
                for (i, entry) in entries.into_iter().enumerate() {
                    self.log_entry(&entry.record(), &format!("{at}/log_entries/{i}"), out);
                }
            } else if let Some(incident) = fields.get("incident") {
                self.incident(&incident.record(), &format!("{at}/incident"), out);
            } else if let Some(entry) = fields.get("log_entry") {
                self.log_entry(&entry.record(), &format!("{at}/log_entry"), out);
            } else {
                out.reject(
                    at,
                    "not a PagerDuty webhook event ('event') or API page ('incidents', 'log_entries')",
                    body.bytes(),
                );
            }
        });
    }
}
