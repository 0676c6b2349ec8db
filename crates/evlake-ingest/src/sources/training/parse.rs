//! Parsing training exports into `training` rows.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde_json::{Map, Value, json};

use super::TrainingConfig;
use crate::emit::{Document, Emitter, timestamp};
use crate::kind::Parser;
use crate::sources::register::{self, ExportRow};

/// The `training` parser.
#[derive(Debug, Clone)]
pub struct TrainingParser {
    config: TrainingConfig,
    security: GlobSet,
}

impl TrainingParser {
    /// A parser with `config`; a bad `security_courses` glob is an error naming it.
    pub fn new(config: TrainingConfig) -> crate::Result<Self> {
        let mut set = GlobSetBuilder::new();
        for p in &config.security_courses {
            let glob = GlobBuilder::new(p)
                .case_insensitive(true)
                .build()
                .map_err(|e| crate::Error::setting(format!("security_courses: '{p}': {e}")))?;
            set.add(glob);
        }
        let security = set
            .build()
            .map_err(|e| crate::Error::setting(format!("security_courses: {e}")))?;
        Ok(Self { config, security })
    }
}

impl Parser for TrainingParser {
    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        for entry in register::entries(doc, "completions", out) {
            self.entry(&entry.fields, &entry.location, entry.raw, out);
        }
    }
}

impl TrainingParser {
    fn entry(&self, fields: &Map<String, Value>, location: &str, raw: &[u8], out: &mut Emitter) {
        let c = &self.config.columns;
        let export = ExportRow {
            fields,
            date_formats: &self.config.date_formats,
        };
        let field = |column: &str| export.text(column);
        let person = match export.person(&c.person) {
            Ok(p) => p,
            Err(e) => return out.reject(location, e, raw),
        };
        let status = field(&c.status);
        let completed = status.as_deref().is_none_or(|s| {
            self.config
                .completed_statuses
                .iter()
                .any(|c| c.eq_ignore_ascii_case(s.trim()))
        });
        let (completed_at, expires_at) = match (
            export.instant(&c.completed_at),
            export.instant(&c.expires_at),
        ) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => return out.reject(location, e, raw),
        };
        let Some(completed_at) = completed_at.filter(|_| completed) else {
            // An enrolment or a course in progress: no completion to record.
            return out.skip();
        };
        let (course_id, course) = (field(&c.course_id), field(&c.course));
        if course_id.is_none() && course.is_none() {
            return out.reject(
                location,
                format!(
                    "neither '{}' nor '{}' names the course",
                    c.course_id, c.course
                ),
                raw,
            );
        }
        let security = [&course_id, &course]
            .into_iter()
            .flatten()
            .any(|name| self.security.is_match(name));
        let key = course_id
            .clone()
            .or_else(|| course.clone())
            .unwrap_or_default();
        let row = Map::from_iter([
            ("person".to_string(), json!(person)),
            ("course_id".to_string(), json!(course_id)),
            ("course".to_string(), json!(course)),
            ("status".to_string(), json!(status)),
            ("completed_at".to_string(), timestamp(completed_at)),
            (
                "expires_at".to_string(),
                expires_at.map_or(Value::Null, timestamp),
            ),
            ("security".to_string(), json!(security)),
        ]);
        let source_id = format!(
            "{person}|{key}|{}",
            timestamp(completed_at).as_str().unwrap_or_default()
        );
        out.row(
            "training",
            completed_at,
            source_id,
            location.to_string(),
            raw,
            row,
        );
    }
}
