//! Registers kept by hand, YAML or CSV: the exceptions register, the security-review
//! register. One reading of a register's entries for every kind that keeps one: each entry
//! with its fields, its place (`FILE#/N` in YAML, `FILE:LINE` in CSV) and its exact text, so a
//! bad entry is quarantined alone and a good one keeps the bytes it was read from.

use std::ops::Range;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use granit_parser::{Event, StructureStyle};
use serde_json::{Map, Value};

use crate::emit::{Document, Emitter};

/// One entry of a register.
pub(crate) struct Entry<'a> {
    /// Its fields; CSV columns by their lower-cased header, blank cells left out.
    pub fields: Map<String, Value>,
    /// Where it is.
    pub location: String,
    /// Its exact text.
    pub raw: &'a [u8],
}

/// The entries of a register: YAML (a list of entries, or a mapping with a `list_key` list)
/// or, for a `.csv` file, CSV with a header line. What cannot be read is quarantined through
/// `out`, the whole document or one entry, and the other entries are kept.
pub(crate) fn entries<'a>(doc: Document<'a>, list_key: &str, out: &mut Emitter) -> Vec<Entry<'a>> {
    if doc.location.to_ascii_lowercase().ends_with(".csv") {
        csv_entries(doc, out)
    } else {
        yaml_entries(doc, list_key, out)
    }
}

fn yaml_entries<'a>(doc: Document<'a>, list_key: &str, out: &mut Emitter) -> Vec<Entry<'a>> {
    let register: Value = match serde_saphyr::from_slice(doc.bytes) {
        Ok(v) => v,
        Err(e) => {
            out.reject(doc.location, format!("not valid YAML: {e}"), doc.bytes);
            return Vec::new();
        }
    };
    let none = Vec::new();
    let listed = match &register {
        Value::Array(entries) => entries,
        Value::Object(m) => match m.get(list_key) {
            Some(Value::Array(entries)) => entries,
            // The key with nothing under it: a register that holds none.
            Some(Value::Null) => &none,
            _ => {
                out.reject(
                    doc.location,
                    format!("no '{list_key}' list in the register"),
                    doc.bytes,
                );
                return Vec::new();
            }
        },
        _ => {
            out.reject(
                doc.location,
                format!("a register is a list of entries or has a '{list_key}' list"),
                doc.bytes,
            );
            return Vec::new();
        }
    };
    let spans = match std::str::from_utf8(doc.bytes).map(|text| entry_spans(text, list_key)) {
        _ if listed.is_empty() => Vec::new(),
        Ok(Some(spans)) if spans.len() == listed.len() => spans,
        _ => {
            out.reject(
                doc.location,
                "the register's entries could not be located in its text",
                doc.bytes,
            );
            return Vec::new();
        }
    };
    let mut entries = Vec::new();
    for (i, (entry, span)) in listed.iter().zip(spans).enumerate() {
        let location = format!("{}#/{i}", doc.location);
        let raw = &doc.bytes[span];
        match entry.as_object() {
            Some(fields) => entries.push(Entry {
                fields: fields.clone(),
                location,
                raw,
            }),
            None => out.reject(&location, "an entry is a mapping of fields", raw),
        }
    }
    entries
}

fn csv_entries<'a>(doc: Document<'a>, out: &mut Emitter) -> Vec<Entry<'a>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(doc.bytes);
    let headers = match reader.headers() {
        Ok(h) => h
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect::<Vec<_>>(),
        Err(e) => {
            out.reject(doc.location, format!("no CSV header: {e}"), doc.bytes);
            return Vec::new();
        }
    };
    let mut entries = Vec::new();
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
                let line = record.position().map_or(0, |p| p.line());
                entries.push(Entry {
                    fields: headers
                        .iter()
                        .zip(record.iter())
                        .filter(|(_, v)| !v.trim().is_empty())
                        .map(|(k, v)| (k.clone(), Value::String(v.trim().to_string())))
                        .collect(),
                    location: format!("{}:{line}", doc.location),
                    raw: doc.bytes[start..end].trim_ascii_end(),
                });
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
    entries
}

/// A text field of an entry, trimmed: a string or a number; blank is none.
pub(crate) fn text(fields: &Map<String, Value>, key: &str) -> Option<String> {
    match fields.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// The byte range of each entry of a register's list (the document itself, or its
/// `list_key` key), from the entry's first token to its last: the entry's exact text.
/// `None` when the text does not parse or has no such list.
fn entry_spans(text: &str, list_key: &str) -> Option<Vec<Range<usize>>> {
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
                    walk.after_list_key = value == list_key;
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
                            && walk.after_list_key
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
    after_list_key: bool,
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

/// An export's row read through a source's column mapping (header names, any case): the
/// one reading of the people and training exports.
pub(crate) struct ExportRow<'a> {
    /// The row's fields, by lower-cased header.
    pub fields: &'a Map<String, Value>,
    /// The source's extra `strftime` formats.
    pub date_formats: &'a [String],
}

impl ExportRow<'_> {
    /// The text of `column`, if the row has one.
    pub(crate) fn text(&self, column: &str) -> Option<String> {
        text(self.fields, &column.to_ascii_lowercase())
    }

    /// The person `column` names, lower-cased; the error says the column is empty.
    pub(crate) fn person(&self, column: &str) -> Result<String, String> {
        self.text(column)
            .map(|p| p.trim().to_ascii_lowercase())
            .ok_or_else(|| format!("required column '{column}' (the person's e-mail) is empty"))
    }

    /// The instant in `column`, if any; the error names the column.
    pub(crate) fn instant(&self, column: &str) -> Result<Option<DateTime<Utc>>, String> {
        self.text(column)
            .map(|t| {
                export_instant(&t, self.date_formats).map_err(|e| format!("column '{column}': {e}"))
            })
            .transpose()
    }
}

/// An instant as exports write it: RFC 3339 or the other forms sources use, an ISO date (its
/// first instant, UTC), or one of the source's `formats` (`strftime`, a date and time or a
/// date); the error says which forms were tried.
pub(crate) fn export_instant(value: &str, formats: &[String]) -> Result<DateTime<Utc>, String> {
    let text = value.trim();
    if let Ok(t) = evlake_core::time::parse_timestamp(text) {
        return Ok(t);
    }
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(midnight(d));
    }
    for format in formats {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(t.and_utc());
        }
        if let Ok(d) = NaiveDate::parse_from_str(text, format) {
            return Ok(midnight(d));
        }
    }
    Err(format!(
        "'{text}' is not RFC 3339, an ISO date (YYYY-MM-DD){}",
        if formats.is_empty() {
            String::new()
        } else {
            format!(" or one of date_formats ({})", formats.join(", "))
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &str) -> Vec<&str> {
        entry_spans(text, "exceptions")
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
        assert_eq!(entry_spans("owner: me\n", "exceptions"), None);
        assert_eq!(entry_spans("exceptions: [\n", "exceptions"), None);
    }
}
