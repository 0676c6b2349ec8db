//! Parsing a security-review register.

use evlake_core::time::parse_instant;
use serde_json::{Map, Value, json};

use super::ReviewRegisterConfig;
use crate::emit::{Document, Emitter};
use crate::kind::Parser;
use crate::sources::register::{self, Entry};

/// The `review-register` parser.
#[derive(Debug, Clone)]
pub struct ReviewRegisterParser {
    config: ReviewRegisterConfig,
}

impl ReviewRegisterParser {
    /// A parser with `config`.
    pub fn new(config: ReviewRegisterConfig) -> Self {
        Self { config }
    }
}

impl Parser for ReviewRegisterParser {
    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        for entry in register::entries(doc, "reviews", out) {
            self.review(&entry, out);
        }
    }
}

impl ReviewRegisterParser {
    /// One row per service the entry names, at its completion; a review not finished is
    /// skipped.
    fn review(&self, entry: &Entry<'_>, out: &mut Emitter) {
        let (location, raw) = (entry.location.as_str(), entry.raw);
        let text = |key: &str| register::text(&entry.fields, key);
        let Some(id) = text("id") else {
            return out.reject(location, "required field 'id' is missing", raw);
        };
        let services: Vec<String> = match entry.fields.get("service") {
            Some(Value::Array(names)) => names
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => text("service")
                .map(|s| s.split(',').map(str::to_string).collect())
                .unwrap_or_default(),
        };
        let services: Vec<String> = services
            .iter()
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty())
            .collect();
        if services.is_empty() {
            return out.reject(location, "required field 'service' is missing", raw);
        }
        let status = text("status");
        let finished = status.as_deref().is_none_or(|s| {
            self.config
                .completed_statuses
                .iter()
                .any(|c| c.eq_ignore_ascii_case(s))
        });
        let completed = match text("completed").map(|t| parse_instant(&t)) {
            None => return out.skip(),
            Some(Err(e)) => return out.reject(location, format!("field 'completed': {e}"), raw),
            Some(Ok(t)) => t,
        };
        if !finished {
            return out.skip();
        }
        for service in services {
            out.row(
                "security_reviews",
                completed,
                format!("{id}/review/{service}@{}", completed.to_rfc3339()),
                location.to_string(),
                raw,
                Map::from_iter([
                    ("subject".to_string(), json!(service)),
                    ("review_id".to_string(), json!(id)),
                    ("status".to_string(), json!(status)),
                    ("title".to_string(), json!(text("title"))),
                    ("reviewer".to_string(), json!(text("reviewer"))),
                    ("url".to_string(), json!(text("url"))),
                ]),
            );
        }
    }
}
