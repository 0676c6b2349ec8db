//! Parsing Jira issues and their changelogs.

use serde_json::{Map, Value, json};

use super::{JiraConfig, SecurityReviewIssues};
use crate::emit::{Document, Emitter};
use crate::kind::Parser;
use crate::sources::incident::{AlertClues, ClueFinder};
use crate::sources::json::{Record, Text, each_body, emit_record, id, text, time};

/// The `jira` parser.
#[derive(Debug, Clone)]
pub struct JiraParser {
    remediated: Vec<String>,
    id_fields: Vec<String>,
    clues: ClueFinder,
    reviews: Option<SecurityReviewIssues>,
}

impl JiraParser {
    /// A parser with `config`.
    pub fn new(config: &JiraConfig) -> crate::Result<Self> {
        Ok(Self {
            remediated: config
                .remediated_statuses
                .iter()
                .map(|s| s.to_lowercase())
                .collect(),
            id_fields: config.alert_id_fields.clone(),
            clues: ClueFinder::new(config.title_pattern.as_deref())?,
            reviews: config
                .security_reviews
                .clone()
                .map(|r| SecurityReviewIssues {
                    issue_types: r.issue_types.iter().map(|t| t.to_lowercase()).collect(),
                    labels: r.labels.iter().map(|l| l.to_lowercase()).collect(),
                    subject_field: r.subject_field,
                    completed_resolutions: r
                        .completed_resolutions
                        .iter()
                        .map(|c| c.to_lowercase())
                        .collect(),
                }),
        })
    }

    /// Whether `fields` are those of a security review issue.
    fn is_review(&self, fields: &Value) -> bool {
        let Some(reviews) = &self.reviews else {
            return false;
        };
        let issue_type = text(fields, "/issuetype/name").map(str::to_lowercase);
        issue_type.is_some_and(|t| reviews.issue_types.contains(&t))
            || fields["labels"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .any(|l| reviews.labels.contains(&l.to_lowercase()))
    }

    /// A security review issue: one `security_reviews` row per service it names, at its
    /// resolution; one not yet resolved is no review yet (skipped, read again once resolved),
    /// and one resolved as not done is none (skipped).
    fn review(&self, issue: &Record<'_>, location: &str, url: Option<String>, out: &mut Emitter) {
        let fields = &issue["fields"];
        let subjects: Vec<String> = match self
            .reviews
            .as_ref()
            .and_then(|r| r.subject_field.as_deref())
        {
            Some(field) => match &fields[field] {
                Value::Array(values) => values.iter().filter_map(subject).collect(),
                value => subject(value).into_iter().collect(),
            },
            None => fields["components"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| text(c, "/name").map(str::to_lowercase))
                .collect(),
        };
        let Some(resolved) = fields.get("resolutiondate").filter(|d| !d.is_null()) else {
            return out.skip();
        };
        // Resolved as not done (`Won't Do`, `Duplicate`): no review was made.
        if let Some(resolution) = text(fields, "/resolution/name")
            && !self
                .reviews
                .as_ref()
                .is_some_and(|r| r.completed_resolutions.contains(&resolution.to_lowercase()))
        {
            return out.skip();
        }
        if subjects.is_empty() {
            return out.reject(
                location,
                "a security review issue that names no service (no components, or its subject field is empty)",
                issue.bytes(),
            );
        }
        let issue_id = id(issue, "/id");
        for subject in subjects {
            emit_record(
                out,
                "security_reviews",
                issue,
                location,
                (
                    issue_id.as_ref().map(|i| {
                        format!("{i}/review/{subject}@{}", resolved.as_str().unwrap_or(""))
                    }),
                    time(fields, "/resolutiondate"),
                ),
                Map::from_iter([
                    ("subject".to_string(), json!(subject)),
                    ("review_id".to_string(), json!(text(issue, "/key"))),
                    ("status".to_string(), json!(text(fields, "/status/name"))),
                    ("title".to_string(), json!(text(fields, "/summary"))),
                    (
                        "reviewer".to_string(),
                        json!(
                            text(fields, "/assignee/displayName")
                                .or_else(|| text(fields, "/assignee/emailAddress"))
                        ),
                    ),
                    ("url".to_string(), json!(url)),
                ]),
            );
        }
    }

    fn issue(&self, issue: &Record<'_>, location: &str, done: &[String], out: &mut Emitter) {
        let remediated = |status: Option<&str>| {
            let Some(status) = status.map(str::to_lowercase) else {
                return false;
            };
            if self.remediated.is_empty() {
                done.contains(&status)
            } else {
                self.remediated.contains(&status)
            }
        };
        let fields = &issue["fields"];
        let (issue_id, key) = (id(issue, "/id"), text(issue, "/key"));
        let summary = text(fields, "/summary");
        let labels: Vec<&str> = fields["labels"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let id_values: Vec<&Value> = self.id_fields.iter().map(|f| &fields[f]).collect();
        let clues = self.clues.find(summary, &[], &labels, &id_values);
        let url = match (text(issue, "/self"), key) {
            (Some(api), Some(key)) => api
                .split_once("/rest/")
                .map(|(site, _)| format!("{site}/browse/{key}")),
            _ => None,
        };
        if self.is_review(fields) {
            return self.review(issue, location, url, out);
        }
        let row =
            |event_type: &str, status: Option<&str>, assignee: Option<&str>, clues: &AlertClues| {
                Map::from_iter([
                    ("incident_id".to_string(), json!(key)),
                    ("system".to_string(), json!("jira")),
                    ("event_type".to_string(), json!(event_type)),
                    ("status".to_string(), json!(status)),
                    ("title".to_string(), json!(summary)),
                    ("service".to_string(), json!(text(fields, "/project/key"))),
                    ("assignee".to_string(), json!(assignee)),
                    ("url".to_string(), json!(url)),
                    ("alert_refs".to_string(), json!(clues.alert_refs)),
                    ("rule".to_string(), json!(clues.rule)),
                    ("namespace".to_string(), json!(clues.namespace)),
                    ("pod".to_string(), json!(clues.pod)),
                ])
            };
        let status = text(fields, "/status/name");
        let assignee = text(fields, "/assignee/displayName")
            .or_else(|| text(fields, "/assignee/emailAddress"));
        // Keyed by its last update, so an issue read again after it changed (a label added,
        // a field filled in) is a new row; the views use the newest.
        let updated = text(fields, "/updated").or_else(|| text(fields, "/created"));
        emit_record(
            out,
            "incidents",
            issue,
            location,
            (
                issue_id
                    .as_ref()
                    .map(|i| format!("{i}@{}", updated.unwrap_or(""))),
                time(fields, "/created"),
            ),
            row("triggered", status, assignee, &clues),
        );
        let mut resolved = false;
        let histories = issue
            .text()
            .at(&["changelog", "histories"])
            .and_then(Text::items)
            .into_iter()
            .flatten()
            .map(Text::record);
        for (h, history) in histories.enumerate() {
            let history = &history;
            let items = history["items"].as_array().into_iter().flatten();
            for item in items.filter(|i| text(i, "/field") == Some("status")) {
                let (from, to) = (text(item, "/fromString"), text(item, "/toString"));
                let event_type = match (remediated(from), remediated(to)) {
                    (false, true) => "resolved",
                    (true, false) => "reopened",
                    _ => "status_changed",
                };
                resolved |= event_type == "resolved";
                let history_key = id(history, "/id")
                    .unwrap_or_else(|| format!("@{}", text(history, "/created").unwrap_or("")));
                let author = text(history, "/author/displayName")
                    .or_else(|| text(history, "/author/emailAddress"));
                emit_record(
                    out,
                    "incidents",
                    history,
                    &format!("{location}/changelog/histories/{h}"),
                    (
                        issue_id.as_ref().map(|i| format!("{i}/{history_key}")),
                        time(history, "/created"),
                    ),
                    row(event_type, to, author, &clues),
                );
            }
        }
        // A remediated issue whose changelog does not show the transition (not expanded,
        // or paged away) is remediated at its resolution date.
        if !resolved
            && remediated(status)
            && fields.get("resolutiondate").is_some_and(|d| !d.is_null())
        {
            emit_record(
                out,
                "incidents",
                issue,
                &format!("{location}/fields/resolutiondate"),
                (
                    issue_id.as_ref().map(|i| format!("{i}/resolution")),
                    time(fields, "/resolutiondate"),
                ),
                row("resolved", status, assignee, &clues),
            );
        }
    }
}

impl Parser for JiraParser {
    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        each_body(doc, out, |body, at, out| {
            let issues: Vec<(String, Text<'_>)> = match body.at(&["issues"]).and_then(Text::items) {
                Some(issues) => issues
                    .into_iter()
                    .enumerate()
                    .map(|(i, issue)| (format!("{at}/issues/{i}"), issue))
                    .collect(),
                None if body.at(&["fields"]).is_some() => vec![(at.to_string(), body)],
                None => {
                    return out.reject(
                        at,
                        "not a Jira search result ('issues') or issue ('fields')",
                        body.bytes(),
                    );
                }
            };
            let issues: Vec<(String, Record<'_>)> = issues
                .into_iter()
                .map(|(location, issue)| (location, issue.record()))
                .collect();
            // The statuses the issues themselves put in the `done` category.
            let done: Vec<String> = issues
                .iter()
                .filter(|(_, i)| text(i, "/fields/status/statusCategory/key") == Some("done"))
                .filter_map(|(_, i)| text(i, "/fields/status/name").map(str::to_lowercase))
                .collect();
            for (location, issue) in &issues {
                self.issue(issue, location, &done, out);
            }
        });
    }
}

/// A service named by a review's subject field: text, or an option's `value`, lower-cased.
fn subject(value: &Value) -> Option<String> {
    value
        .as_str()
        .or_else(|| value.get("value").and_then(Value::as_str))
        .or_else(|| value.get("name").and_then(Value::as_str))
        .map(str::to_lowercase)
}
