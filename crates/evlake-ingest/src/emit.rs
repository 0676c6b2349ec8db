//! What parsers hand back: rows for lake tables, and records they could not take.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryBuilder, RecordBatch, StringBuilder, TimestampMicrosecondArray,
};
use chrono::{DateTime, Utc};
use evlake_core::sha256_hex;
use evlake_core::tables;
use serde_json::{Map, Value};

use crate::rows::{Given, TableRows};

/// One input handed to a parser: a whole file, or one line of a JSON Lines file.
#[derive(Debug, Clone, Copy)]
pub struct Document<'a> {
    /// Where it came from: the file, and `:LINE` for a line.
    pub location: &'a str,
    /// Its bytes, verbatim.
    pub bytes: &'a [u8],
    /// When the input was last modified: the event time of last resort.
    pub modified: DateTime<Utc>,
}

/// Collects the rows a parser produces and the records it rejects.
#[derive(Debug)]
pub struct Emitter {
    source: String,
    source_name: String,
    now: DateTime<Utc>,
    rows: BTreeMap<&'static str, TableRows>,
    pub(crate) rejected: Vec<Rejected>,
    pub(crate) accepted: u64,
    pub(crate) skipped: u64,
    /// The instants (microseconds) of snapshots that lost a document: they hold less than
    /// the source did then.
    pub(crate) incomplete: BTreeSet<i64>,
    /// Snapshots taken of a table, by instant, that may hold no row (an emptied file).
    pub(crate) taken: BTreeSet<(&'static str, i64)>,
}

/// A record that could not be ingested.
#[derive(Debug, Clone)]
pub(crate) struct Rejected {
    pub location: String,
    pub reason: String,
    /// The record's first [`QUARANTINE_RAW_CAP`] bytes.
    pub raw: Vec<u8>,
    /// SHA-256 of the whole record.
    pub sha256: String,
}

/// The most bytes of a bad record quarantine keeps (its full size and SHA-256 are recorded):
/// enough to see what went wrong, too little to carry a whole file into the lake.
pub const QUARANTINE_RAW_CAP: usize = 64 << 10;

/// Formats an instant as the lake's JSON timestamp text.
pub fn timestamp(t: DateTime<Utc>) -> Value {
    Value::String(t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
}

impl Emitter {
    /// An emitter for source kind `source` configured as `source_name`; `now` stamps rejections.
    pub fn new(source: &str, source_name: &str, now: DateTime<Utc>) -> Self {
        Self {
            source: source.to_string(),
            source_name: source_name.to_string(),
            now,
            rows: BTreeMap::new(),
            rejected: Vec::new(),
            accepted: 0,
            skipped: 0,
            incomplete: BTreeSet::new(),
            taken: BTreeSet::new(),
        }
    }

    /// Adds a row to `table`: its own `fields`, and the provenance columns from the rest.
    /// A row lacking a required column, or with a value that does not fit its column, is
    /// rejected instead, naming the column.
    pub fn row(
        &mut self,
        table: &'static str,
        event_time: DateTime<Utc>,
        source_id: String,
        location: String,
        raw: &[u8],
        fields: Map<String, Value>,
    ) {
        let Ok(raw_text) = std::str::from_utf8(raw) else {
            return self.reject(&location, "the record is not UTF-8 text", raw);
        };
        let record_sha256 = sha256_hex(raw);
        let micros = event_time.timestamp_micros();
        let Emitter {
            source,
            source_name,
            rows,
            ..
        } = self;
        let rows = rows.entry(table).or_insert_with(|| {
            TableRows::new(
                tables::get(table)
                    .expect("parsers name lake tables")
                    .input_schema(),
            )
        });
        let pushed = rows.push(|name| {
            Some(match name {
                tables::EVENT_TIME => Given::Micros(micros),
                tables::SOURCE => Given::Text(source),
                "source_name" => Given::Text(source_name),
                tables::SOURCE_ID => Given::Text(&source_id),
                "source_ref" => Given::Text(&location),
                "record_sha256" => Given::Text(&record_sha256),
                tables::RAW => Given::Text(raw_text),
                own => Given::Json(fields.get(own)?),
            })
        });
        match pushed {
            Ok(()) => self.accepted += 1,
            Err(reason) => self.reject(&location, reason.to_string(), raw),
        }
    }

    /// Counts a well-formed record the source's settings leave out (e.g. below its priority).
    pub fn skip(&mut self) {
        self.skipped += 1;
    }

    /// Records that the snapshot taken at `at` lost a document (a page, a file) to
    /// quarantine: the run then does not mark it complete.
    pub fn incomplete_snapshot(&mut self, at: DateTime<Utc>) {
        self.incomplete.insert(at.timestamp_micros());
    }

    /// Records that a snapshot of `table` was taken at `at` even if it holds no row: the
    /// source then held nothing (a progress file emptied), which the run marks complete like
    /// any other snapshot.
    pub fn snapshot_taken(&mut self, table: &'static str, at: DateTime<Utc>) {
        self.taken.insert((table, at.timestamp_micros()));
    }

    /// Sends a record to quarantine with the reason it could not be ingested.
    pub fn reject(&mut self, location: &str, reason: impl Display, raw: &[u8]) {
        let mut reason = reason.to_string();
        if raw.len() > QUARANTINE_RAW_CAP {
            reason.push_str(&format!(
                " (raw keeps the first {QUARANTINE_RAW_CAP} of {} bytes; record_sha256 is of all)",
                raw.len()
            ));
        }
        self.rejected.push(Rejected {
            location: location.to_string(),
            reason,
            raw: raw[..raw.len().min(QUARANTINE_RAW_CAP)].to_vec(),
            sha256: sha256_hex(raw),
        });
    }

    /// Takes the buffered rows as one batch per table, quarantine included.
    pub(crate) fn drain(&mut self) -> Vec<(&'static str, RecordBatch)> {
        let mut out: Vec<(&'static str, RecordBatch)> = self
            .rows
            .iter_mut()
            .filter(|(_, rows)| rows.len() > 0)
            .map(|(table, rows)| (*table, rows.finish()))
            .collect();
        let rejected = std::mem::take(&mut self.rejected);
        if !rejected.is_empty() {
            out.push(("_quarantine", self.quarantine_batch(&rejected)));
        }
        out
    }

    fn quarantine_batch(&self, rejected: &[Rejected]) -> RecordBatch {
        let schema = tables::get("_quarantine")
            .expect("the quarantine table")
            .input_schema();
        let n = rejected.len();
        let text = |values: Vec<String>| -> ArrayRef {
            let mut b = StringBuilder::new();
            values.iter().for_each(|v| b.append_value(v));
            Arc::new(b.finish())
        };
        let mut raw = BinaryBuilder::new();
        rejected.iter().for_each(|r| raw.append_value(&r.raw));
        let columns: Vec<ArrayRef> = schema
            .fields()
            .iter()
            .map(|f| match f.name().as_str() {
                tables::EVENT_TIME => Arc::new(
                    TimestampMicrosecondArray::from(vec![self.now.timestamp_micros(); n])
                        .with_timezone("UTC"),
                ) as ArrayRef,
                tables::SOURCE => text(vec![self.source.clone(); n]),
                "source_name" => text(vec![self.source_name.clone(); n]),
                // The same bad record at the same place is quarantined once, however often it is read.
                tables::SOURCE_ID => text(
                    rejected
                        .iter()
                        .map(|r| sha256_hex(format!("{}\n{}", r.location, r.sha256).as_bytes()))
                        .collect(),
                ),
                "source_ref" | "location" => {
                    text(rejected.iter().map(|r| r.location.clone()).collect())
                }
                "record_sha256" => text(rejected.iter().map(|r| r.sha256.clone()).collect()),
                "reason" => text(rejected.iter().map(|r| r.reason.clone()).collect()),
                tables::RAW => Arc::new(std::mem::take(&mut raw).finish()) as ArrayRef,
                other => unreachable!("_quarantine has no column {other}"),
            })
            .collect();
        RecordBatch::try_new(schema, columns).expect("quarantine rows match their table")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-22T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn rows_become_batches_and_missing_required_fields_are_rejected() {
        let mut out = Emitter::new("sarif", "scans", now());
        let fields = |tool: Value| {
            Map::from_iter([
                ("tool".to_string(), tool),
                ("start_line".to_string(), json!(7)),
            ])
        };
        out.row(
            "scan_findings",
            now(),
            "a".into(),
            "f.sarif#/runs/0/results/0".into(),
            b"{}",
            fields(json!("CodeQL")),
        );
        out.row(
            "scan_findings",
            now(),
            "b".into(),
            "f.sarif#/runs/0/results/1".into(),
            b"{}",
            fields(Value::Null),
        );
        assert_eq!(out.accepted, 1);
        let batches = out.drain();
        assert_eq!(batches.len(), 2);
        let (table, findings) = &batches[0];
        assert_eq!((*table, findings.num_rows()), ("scan_findings", 1));
        let (table, quarantine) = &batches[1];
        assert_eq!((*table, quarantine.num_rows()), ("_quarantine", 1));
        let reason = quarantine.column_by_name("reason").unwrap();
        let reason = reason
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .unwrap();
        assert_eq!(reason.value(0), "required field 'tool' is missing");
        assert!(out.drain().is_empty(), "drained");
    }

    #[test]
    fn quarantine_keeps_a_capped_prefix_of_a_large_record_and_the_hash_of_all() {
        let mut out = Emitter::new("falco", "falco", now());
        let big = vec![b'x'; QUARANTINE_RAW_CAP * 3];
        out.reject("big.json", "not JSON", &big);
        out.reject("small.json", "not JSON", b"{");
        let batches = out.drain();
        let (_, quarantine) = &batches[0];
        let column = |name: &str| quarantine.column_by_name(name).unwrap().clone();
        let raw = column("raw");
        let raw = raw
            .as_any()
            .downcast_ref::<arrow::array::BinaryArray>()
            .unwrap();
        let text = |name: &str| {
            let c = column(name);
            let c = c
                .as_any()
                .downcast_ref::<arrow::array::StringArray>()
                .unwrap();
            (c.value(0).to_string(), c.value(1).to_string())
        };
        assert_eq!(
            (raw.value(0).len(), raw.value(1)),
            (QUARANTINE_RAW_CAP, &b"{"[..])
        );
        assert_eq!(text("record_sha256"), (sha256_hex(&big), sha256_hex(b"{")));
        let (capped, whole) = text("reason");
        assert!(
            capped.contains(&format!("of {} bytes", big.len())),
            "{capped}"
        );
        assert_eq!(whole, "not JSON");
    }
}
