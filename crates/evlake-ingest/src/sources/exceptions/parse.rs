//! Parsing an exceptions register.

use std::ops::Range;

use chrono::{DateTime, Utc};
use evlake_core::time::{parse_instant, parse_timestamp};
use serde_json::{Map, Value, json};

use super::ExceptionsConfig;
use crate::emit::{Document, Emitter, timestamp};
use crate::kind::Parser;
use evlake_core::sha256_hex;
use granit_parser::{Event, StructureStyle};

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

/// Which reading of the register a document is: its bytes and modification time, so a
/// register changed back to an earlier text (A -> B -> A) is a new reading.
fn version(doc: Document<'_>) -> String {
    let mut reading = doc.bytes.to_vec();
    reading.extend_from_slice(doc.modified.to_rfc3339().as_bytes());
    sha256_hex(&reading)[..16].to_string()
}

/// The byte range of each entry of a register's list (the document itself, or its
/// `exceptions` key), from the entry's first token to its last: the entry's exact text.
/// `None` when the text does not parse or has no such list.
fn entry_spans(text: &str) -> Option<Vec<Range<usize>>> {
    let mut walk = EntryWalk::default();
    let mut parser = granit_parser::Parser::new_from_str(text);
    while let Some(event) = parser.next_event() {
        let (event, span) = event.ok()?;
        let (start, end) = (span.start.byte_offset()?, span.end.byte_offset()?);
        match event {
            Event::Scalar(value, ..) => {
                walk.starts(start);
                walk.reaches(end);
                let root = walk.open.first();
                if walk.open.len() == 1 && root.is_some_and(|r| r.mapping && r.nodes % 2 == 0) {
                    walk.after_exceptions_key = value == "exceptions";
                }
                walk.ends();
            }
            Event::Alias(..) => {
                walk.starts(start);
                walk.reaches(end);
                walk.ends();
            }
            Event::SequenceStart(style, ..) | Event::MappingStart(style, ..) => {
                let mapping = matches!(event, Event::MappingStart(..));
                let is_list = !mapping && walk.list.is_none() && {
                    let root = walk.open.first();
                    walk.open.is_empty()
                        || (walk.open.len() == 1
                            && walk.after_exceptions_key
                            && root.is_some_and(|r| r.mapping && r.nodes % 2 == 1))
                };
                let flow = style == StructureStyle::Flow;
                walk.starts(start);
                if flow {
                    walk.reaches(end);
                }
                walk.open.push(Open {
                    flow,
                    mapping,
                    nodes: 0,
                });
                if is_list {
                    walk.list = Some(walk.open.len());
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let closed = walk.open.pop()?;
                if walk.list == Some(walk.open.len() + 1) {
                    return Some(walk.spans);
                }
                // A block container ends where the next token starts; a flow one at its bracket.
                if closed.flow {
                    walk.reaches(end);
                }
                walk.ends();
            }
            _ => {}
        }
    }
    None
}

/// A container open while walking a register's YAML events.
struct Open {
    flow: bool,
    mapping: bool,
    /// Nodes it has held so far; in a mapping, an even count means a key comes next.
    nodes: usize,
}

/// The state of [`entry_spans`]: where the list is, and the entry being read.
#[derive(Default)]
struct EntryWalk {
    open: Vec<Open>,
    /// How many containers are open inside the list (its entries start at this depth).
    list: Option<usize>,
    after_exceptions_key: bool,
    entry: Range<usize>,
    spans: Vec<Range<usize>>,
}

impl EntryWalk {
    /// A node starts at `at`: an entry, when its parent is the list.
    fn starts(&mut self, at: usize) {
        if self.list == Some(self.open.len()) {
            self.entry = at..at;
        }
    }

    /// A token of the current entry ends at `at`.
    fn reaches(&mut self, at: usize) {
        if self.list.is_some_and(|d| self.open.len() >= d) {
            self.entry.end = self.entry.end.max(at);
        }
    }

    /// A node ended: its parent holds one more, and an entry is complete.
    fn ends(&mut self) {
        if let Some(parent) = self.open.last_mut() {
            parent.nodes += 1;
        }
        if self.list == Some(self.open.len()) {
            self.spans.push(self.entry.clone());
        }
    }
}

impl ExceptionsParser {
    fn parse_yaml(&self, doc: Document<'_>, out: &mut Emitter) {
        let reading = version(doc);
        let register: Value = match serde_saphyr::from_slice(doc.bytes) {
            Ok(v) => v,
            Err(e) => return out.reject(doc.location, format!("not valid YAML: {e}"), doc.bytes),
        };
        let entries = match &register {
            Value::Array(entries) => entries,
            Value::Object(m) => match m.get("exceptions") {
                Some(Value::Array(entries)) => entries,
                // `exceptions:` with nothing under it: a register that holds none.
                Some(Value::Null) => {
                    static NONE: Vec<Value> = Vec::new();
                    &NONE
                }
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
        let spans = match std::str::from_utf8(doc.bytes).map(entry_spans) {
            _ if entries.is_empty() => Vec::new(),
            Ok(Some(spans)) if spans.len() == entries.len() => spans,
            _ => {
                return out.reject(
                    doc.location,
                    "the register's entries could not be located in its text",
                    doc.bytes,
                );
            }
        };
        for (i, (entry, span)) in entries.iter().zip(spans).enumerate() {
            let location = format!("{}#/{i}", doc.location);
            let raw = &doc.bytes[span];
            match entry.as_object() {
                Some(fields) => self.entry(fields, &reading, &location, raw, out),
                None => out.reject(&location, "an entry is a mapping of fields", raw),
            }
        }
    }

    fn parse_csv(&self, doc: Document<'_>, out: &mut Emitter) {
        let reading = version(doc);
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
                    self.entry(&fields, &reading, &location, raw, out);
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

    fn entry(
        &self,
        fields: &Map<String, Value>,
        reading: &str,
        location: &str,
        raw: &[u8],
        out: &mut Emitter,
    ) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &str) -> Vec<&str> {
        entry_spans(text)
            .expect("a register with a list")
            .into_iter()
            .map(|span| &text[span])
            .collect()
    }

    #[test]
    fn each_entry_is_its_own_text_in_any_style() {
        let register = "# the register\nexceptions:\n  - id: A   # owner on leave\n    scope: repo:ü/x\n    tags: [a, b]\n\n  # next\n  - {id: B, created: \"2026-02-02\"}\n  -\n    id: C\n    note: |\n      kept\n# after\nowner: me\n";
        assert_eq!(
            entries(register),
            [
                "id: A   # owner on leave\n    scope: repo:ü/x\n    tags: [a, b]",
                "{id: B, created: \"2026-02-02\"}",
                "id: C\n    note: |\n      kept\n",
            ]
        );
    }

    #[test]
    fn the_list_may_be_the_document_and_nested_lists_stay_inside_their_entry() {
        let register = "- id: A\n  scopes:\n    - repo:x\n    - repo:y\n- id: B\n";
        assert_eq!(
            entries(register),
            ["id: A\n  scopes:\n    - repo:x\n    - repo:y", "id: B"]
        );
        assert_eq!(entries("exceptions: []\n"), Vec::<&str>::new());
    }

    #[test]
    fn only_the_top_level_exceptions_key_is_the_list() {
        let register = "meta:\n  exceptions: [x]\nexceptions:\n  - id: A\n";
        assert_eq!(entries(register), ["id: A"]);
        assert_eq!(entry_spans("owner: me\n"), None);
        assert_eq!(entry_spans("exceptions: [\n"), None);
    }
}
