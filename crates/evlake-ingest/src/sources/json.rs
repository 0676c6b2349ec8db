//! Small readers of JSON records shared by the source kinds.

use std::collections::BTreeMap;
use std::ops::Deref;

use chrono::{DateTime, Utc};
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::emit::{Document, Emitter, timestamp};

/// The text at `pointer`.
pub(crate) fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// An id written as a number or a string, as text.
pub(crate) fn id(v: &Value, pointer: &str) -> Option<String> {
    match v.pointer(pointer)? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// The timestamp at `pointer`, in any form sources write.
pub(crate) fn time(v: &Value, pointer: &str) -> Option<DateTime<Utc>> {
    evlake_core::time::parse_timestamp(v.pointer(pointer)?.as_str()?).ok()
}

/// An optional instant as a row value.
pub(crate) fn when(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, timestamp)
}

/// A JSON value with the exact text it had in the input: the value to read fields from, the
/// text for `raw` and `record_sha256`, so an auditor's `sha256sum` of the extracted record
/// matches.
pub(crate) struct Record<'a> {
    value: Value,
    text: &'a RawValue,
}

impl<'a> Record<'a> {
    /// The record's bytes as they stood in the input.
    pub(crate) fn bytes(&self) -> &'a [u8] {
        self.text.get().as_bytes()
    }

    /// The record's text, to reach a record inside it with its own bytes.
    pub(crate) fn text(&self) -> Text<'a> {
        Text(self.text)
    }
}

impl Deref for Record<'_> {
    type Target = Value;

    fn deref(&self) -> &Value {
        &self.value
    }
}

/// The exact text of a JSON value in the input, navigated without building the value, so a
/// record inside a response body keeps its own bytes.
#[derive(Clone, Copy)]
pub(crate) struct Text<'a>(&'a RawValue);

impl<'a> Text<'a> {
    /// The fields of an object; `None` when this is not an object.
    pub(crate) fn fields(self) -> Option<BTreeMap<String, Text<'a>>> {
        if !self.0.get().starts_with('{') {
            return None;
        }
        let fields: BTreeMap<String, &'a RawValue> = serde_json::from_str(self.0.get()).ok()?;
        Some(fields.into_iter().map(|(k, v)| (k, Text(v))).collect())
    }

    /// The items of an array; `None` when this is not an array.
    pub(crate) fn items(self) -> Option<Vec<Text<'a>>> {
        if !self.0.get().starts_with('[') {
            return None;
        }
        let items: Vec<&'a RawValue> = serde_json::from_str(self.0.get()).ok()?;
        Some(items.into_iter().map(Text).collect())
    }

    /// The value at the object keys `path`, if every step is there.
    pub(crate) fn at(self, path: &[&str]) -> Option<Text<'a>> {
        path.iter()
            .try_fold(self, |t, key| t.fields()?.remove(*key))
    }

    /// The value, with its text.
    pub(crate) fn record(self) -> Record<'a> {
        Record {
            value: self.value(),
            text: self.0,
        }
    }

    /// The value.
    pub(crate) fn value(self) -> Value {
        serde_json::from_str(self.0.get()).expect("text that framed as a JSON value parses as one")
    }

    /// The bytes as they stood in the input.
    pub(crate) fn bytes(self) -> &'a [u8] {
        self.0.get().as_bytes()
    }
}

/// The text of the one JSON document in `bytes`.
pub(crate) fn document(bytes: &[u8]) -> serde_json::Result<Text<'_>> {
    serde_json::from_slice(bytes).map(Text)
}

/// A set of name globs from a setting; a bad glob is an error naming the setting.
pub(crate) fn globs(patterns: &[String], key: &str) -> crate::Result<GlobSet> {
    let mut set = GlobSetBuilder::new();
    for p in patterns {
        set.add(Glob::new(p).map_err(|e| crate::Error::setting(format!("{key}: '{p}': {e}")))?);
    }
    set.build()
        .map_err(|e| crate::Error::setting(format!("{key}: {e}")))
}

/// Hands each JSON document of `doc` (one, several concatenated, or JSON Lines — what
/// `gh api --paginate` writes) to `body`, with its location `FILE#/N`. What follows a
/// document that does not parse cannot be framed, so it is quarantined whole.
pub(crate) fn each_body<'a>(
    doc: Document<'a>,
    out: &mut Emitter,
    mut body: impl FnMut(Text<'a>, &str, &mut Emitter),
) {
    let stream = serde_json::Deserializer::from_slice(doc.bytes).into_iter::<&RawValue>();
    for (n, parsed) in stream.enumerate() {
        let at = format!("{}#/{n}", doc.location);
        match parsed {
            Ok(text) => body(Text(text), &at, out),
            Err(e) => return out.reject(&at, format!("not valid JSON: {e}"), doc.bytes),
        }
    }
}

/// Emits `record` as a row of `table` with `fields`, when `identity` (its `source_id` and
/// event time) is complete; otherwise quarantines it, naming what it lacks.
pub(crate) fn emit_record(
    out: &mut Emitter,
    table: &'static str,
    record: &Record<'_>,
    location: &str,
    identity: (Option<String>, Option<DateTime<Utc>>),
    fields: serde_json::Map<String, Value>,
) {
    let raw = record.bytes();
    match identity {
        (Some(source_id), Some(event_time)) => out.row(
            table,
            event_time,
            source_id,
            location.to_string(),
            raw,
            fields,
        ),
        (None, _) => out.reject(location, "the record has no id", raw),
        (_, None) => out.reject(location, "the record has no event time", raw),
    }
}

/// The de-duplication key of a CI record whose state still changes: a record read before it
/// finished keeps its state in the key, so the finished record read later is a new row and
/// not a duplicate of the unfinished one (both stay as evidence; the views use the finished).
pub(crate) fn ci_identity(key: String, status: Option<&str>, finished: bool) -> String {
    match status {
        Some(status) if !finished => format!("{key}@{status}"),
        _ => key,
    }
}

/// The `---`-separated documents of a YAML stream, each with the line it starts on.
pub(crate) fn yaml_documents(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let (mut start, mut start_line, mut offset) = (0, 1, 0);
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end();
        let marker = bare == "---" || bare.starts_with("--- ") || bare == "...";
        if marker {
            out.push((start_line, &text[start..offset]));
            start = offset + line.len();
            start_line = n + 2;
        }
        offset += line.len();
    }
    out.push((start_line, &text[start..]));
    out.retain(|(_, part)| !part.trim().is_empty());
    out
}
