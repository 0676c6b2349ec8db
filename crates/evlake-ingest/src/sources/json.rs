//! Small readers of JSON records shared by the source kinds.

use chrono::{DateTime, Utc};
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_json::Value;

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

/// A record's bytes, for `raw`: the record as parsed, serialised in its key order.
pub(crate) fn raw(record: &Value) -> Vec<u8> {
    serde_json::to_vec(record).expect("a parsed value serialises")
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
pub(crate) fn each_body(
    doc: Document<'_>,
    out: &mut Emitter,
    mut body: impl FnMut(&Value, &str, &mut Emitter),
) {
    let stream = serde_json::Deserializer::from_slice(doc.bytes).into_iter::<Value>();
    for (n, parsed) in stream.enumerate() {
        let at = format!("{}#/{n}", doc.location);
        match parsed {
            Ok(value) => body(&value, &at, out),
            Err(e) => return out.reject(&at, format!("not valid JSON: {e}"), doc.bytes),
        }
    }
}

/// Emits `record` as a row of `table` with `fields`, when `identity` (its `source_id` and
/// event time) is complete; otherwise quarantines it, naming what it lacks.
pub(crate) fn emit_record(
    out: &mut Emitter,
    table: &'static str,
    record: &Value,
    location: &str,
    identity: (Option<String>, Option<DateTime<Utc>>),
    fields: serde_json::Map<String, Value>,
) {
    let raw = raw(record);
    match identity {
        (Some(source_id), Some(event_time)) => out.row(
            table,
            event_time,
            source_id,
            location.to_string(),
            &raw,
            fields,
        ),
        (None, _) => out.reject(location, "the record has no id", &raw),
        (_, None) => out.reject(location, "the record has no event time", &raw),
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
