//! Parsing an exceptions register.

use chrono::{DateTime, Utc};
use evlake_core::time::{parse_instant, parse_timestamp};
use serde_json::{Map, Value, json};

use super::ExceptionsConfig;
use crate::emit::{Document, Emitter, timestamp};
use crate::kind::Parser;
use crate::sources::register;
use evlake_core::sha256_hex;

const SCOPE_KINDS: &[&str] = &["repo", "service", "person", "environment", "team"];

/// The `exceptions` parser.
#[derive(Debug, Clone)]
pub struct ExceptionsParser {
    config: ExceptionsConfig,
}

impl ExceptionsParser {
    /// A parser with `config`.
    pub fn new(config: ExceptionsConfig) -> Self {
        Self { config }
    }
}

impl Parser for ExceptionsParser {
    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        let reading = version(doc);
        for entry in register::entries(doc, "exceptions", out) {
            self.entry(&entry.fields, &reading, &entry.location, entry.raw, out);
        }
    }
}

/// Which reading of the register a document is: its bytes and modification time, so a
/// register changed back to an earlier text (A -> B -> A) is a new reading.
fn version(doc: Document<'_>) -> String {
    let mut reading = doc.bytes.to_vec();
    reading.extend_from_slice(doc.modified.to_rfc3339().as_bytes());
    sha256_hex(&reading)[..16].to_string()
}

impl ExceptionsParser {
    fn entry(
        &self,
        fields: &Map<String, Value>,
        reading: &str,
        location: &str,
        raw: &[u8],
        out: &mut Emitter,
    ) {
        let text = |key: &str| register::text(fields, key);
        let Some(id) = text("id") else {
            return out.reject(location, "required field 'id' is missing", raw);
        };
        let when =
            |key: &str, parse: fn(&str) -> evlake_core::Result<DateTime<Utc>>| match text(key) {
                None => Ok(None),
                Some(t) => parse(&t)
                    .map(Some)
                    .map_err(|e| format!("field '{key}': {e}")),
            };
        let times = (
            when("created", parse_timestamp),
            when("expires", parse_instant),
            when("revoked", parse_timestamp),
        );
        let (created, expires, revoked) = match times {
            (Ok(c), Ok(e), Ok(r)) => (c, e, r),
            (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => return out.reject(location, e, raw),
        };
        let Some(created) = created else {
            return out.reject(location, "required field 'created' is missing", raw);
        };
        let (scope_kind, scope) = match (text("scope_kind"), text("scope")) {
            (Some(kind), scope) => (Some(kind), scope),
            (None, Some(scope)) => match scope.split_once(':') {
                Some((kind, value)) if SCOPE_KINDS.contains(&kind.trim()) => (
                    Some(kind.trim().to_string()),
                    Some(value.trim().to_string()),
                ),
                _ => (None, Some(scope)),
            },
            (None, None) => (None, None),
        };
        let row = Map::from_iter([
            ("exception_id".to_string(), json!(id)),
            (
                "control".to_string(),
                json!(text("control").or_else(|| self.config.control.clone())),
            ),
            ("scope_kind".to_string(), json!(scope_kind)),
            ("scope".to_string(), json!(scope)),
            ("owner".to_string(), json!(text("owner"))),
            ("reason".to_string(), json!(text("reason"))),
            ("ticket".to_string(), json!(text("ticket"))),
            ("created_at".to_string(), timestamp(created)),
            (
                "expires_at".to_string(),
                expires.map_or(Value::Null, timestamp),
            ),
            (
                "revoked_at".to_string(),
                revoked.map_or(Value::Null, timestamp),
            ),
        ]);
        // Each state of an entry in each reading of the register is its own row: an entry
        // extended, revoked or re-owned is a new state, and one changed back (A -> B -> A) is
        // recorded again, so its current state is the one the register holds now.
        let state = sha256_hex(
            serde_json::to_string(&row)
                .expect("a row serialises")
                .as_bytes(),
        );
        out.row(
            "exceptions",
            created,
            format!("{id}@{}@{reading}", &state[..16]),
            location.to_string(),
            raw,
            row,
        );
    }
}
