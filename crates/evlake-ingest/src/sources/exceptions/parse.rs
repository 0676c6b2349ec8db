//! Parsing an exceptions register.

use chrono::{DateTime, Utc};
use evlake_core::time::{parse_instant, parse_timestamp};
use serde_json::{Map, Value, json};

use super::ExceptionsConfig;
use crate::emit::{Document, Emitter, timestamp};
use crate::kind::Parser;
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
        if doc.location.to_ascii_lowercase().ends_with(".csv") {
            self.parse_csv(doc, out);
        } else {
            self.parse_yaml(doc, out);
        }
    }
}

impl ExceptionsParser {
    fn parse_yaml(&self, doc: Document<'_>, out: &mut Emitter) {
        let register: Value = match serde_saphyr::from_slice(doc.bytes) {
            Ok(v) => v,
            Err(e) => return out.reject(doc.location, format!("not valid YAML: {e}"), doc.bytes),
        };
        let entries = match &register {
            Value::Array(entries) => entries,
            Value::Object(m) => match m.get("exceptions") {
                Some(Value::Array(entries)) => entries,
                _ => {
                    return out.reject(
                        doc.location,
                        "no 'exceptions' list in the register",
                        doc.bytes,
                    );
                }
            },
            _ => {
                return out.reject(
                    doc.location,
                    "a register is a list of entries or has an 'exceptions' list",
                    doc.bytes,
                );
            }
        };
        for (i, entry) in entries.iter().enumerate() {
            let location = format!("{}#/{i}", doc.location);
            // YAML has no verbatim per-entry bytes; the entry is kept as canonical JSON.
            let raw = serde_json::to_vec(entry).expect("a parsed value serialises");
            match entry.as_object() {
                Some(fields) => self.entry(fields, &location, &raw, out),
                None => out.reject(&location, "an entry is a mapping of fields", &raw),
            }
        }
    }

    fn parse_csv(&self, doc: Document<'_>, out: &mut Emitter) {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(doc.bytes);
        let headers = match reader.headers() {
            Ok(h) => h
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .collect::<Vec<_>>(),
            Err(e) => return out.reject(doc.location, format!("no CSV header: {e}"), doc.bytes),
        };
        let mut records = reader.records().peekable();
        while let Some(record) = records.next() {
            match record {
                Ok(record) => {
                    let start = record.position().map_or(0, |p| p.byte() as usize);
                    let end = match records.peek() {
                        Some(Ok(next)) => next
                            .position()
                            .map_or(doc.bytes.len(), |p| p.byte() as usize),
                        _ => doc.bytes.len(),
                    };
                    let raw = doc.bytes[start..end].trim_ascii_end();
                    let line = record.position().map_or(0, |p| p.line());
                    let location = format!("{}:{line}", doc.location);
                    let fields: Map<String, Value> = headers
                        .iter()
                        .zip(record.iter())
                        .filter(|(_, v)| !v.trim().is_empty())
                        .map(|(k, v)| (k.clone(), Value::String(v.trim().to_string())))
                        .collect();
                    self.entry(&fields, &location, raw, out);
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    out.reject(
                        &format!("{}:{line}", doc.location),
                        format!("not valid CSV: {e}"),
                        b"",
                    );
                }
            }
        }
    }

    fn entry(&self, fields: &Map<String, Value>, location: &str, raw: &[u8], out: &mut Emitter) {
        let text = |key: &str| match fields.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
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
                Some((kind, value)) if SCOPE_KINDS.contains(&kind) => {
                    (Some(kind.to_string()), Some(value.to_string()))
                }
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
        // Each distinct state of an entry (extended, revoked, re-owned) is its own row.
        let state = sha256_hex(
            serde_json::to_string(&row)
                .expect("a row serialises")
                .as_bytes(),
        );
        out.row(
            "exceptions",
            created,
            format!("{id}@{}", &state[..16]),
            location.to_string(),
            raw,
            row,
        );
    }
}
