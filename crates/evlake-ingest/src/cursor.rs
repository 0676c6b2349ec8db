//! The one cursor mechanism: where a configured source got to, kept in the lake's `_cursors`
//! table as (key, value) pairs per source name, the newest value of a key winning.
//!
//! Cursors are committed after the rows they cover. A run that dies in between leaves the
//! old cursor, so the next run reads those inputs again, and the lake's de-duplication on
//! (`source`, `source_id`) keeps every record once: nothing is lost, nothing doubled.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use evlake_store::Lake;
use serde_json::Value;

use crate::Result;
use evlake_core::sha256_hex;

const TABLE: &str = "_cursors";

/// The cursor of one configured source.
#[derive(Debug, Clone)]
pub(crate) struct Cursors {
    kind: String,
    source_name: String,
    values: BTreeMap<String, String>,
    changed: BTreeMap<String, String>,
}

impl Cursors {
    /// The cursor of `source_name` as the lake holds it now.
    pub(crate) async fn load(lake: &Lake, kind: &str, source_name: &str) -> Result<Self> {
        let batches = lake
            .read_columns(
                TABLE,
                &["ingested_at", "source_name", "cursor_key", "cursor_value"],
            )
            .await?;
        let mut newest: BTreeMap<String, (i64, String)> = BTreeMap::new();
        for batch in &batches {
            let text = |name: &str| -> StringArray {
                let column = batch.column_by_name(name).expect("projected column");
                let column = cast(column, &DataType::Utf8).expect("text columns cast to Utf8");
                column
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .expect("cast to Utf8")
                    .clone()
            };
            let (names, keys, values) = (
                text("source_name"),
                text("cursor_key"),
                text("cursor_value"),
            );
            let at = batch
                .column_by_name("ingested_at")
                .and_then(|c| c.as_any().downcast_ref::<TimestampMicrosecondArray>())
                .expect("ingested_at is a timestamp");
            for i in 0..batch.num_rows() {
                if names.value(i) != source_name {
                    continue;
                }
                let entry = newest
                    .entry(keys.value(i).to_string())
                    .or_insert((i64::MIN, String::new()));
                if at.value(i) >= entry.0 {
                    *entry = (at.value(i), values.value(i).to_string());
                }
            }
        }
        Ok(Self {
            kind: kind.to_string(),
            source_name: source_name.to_string(),
            values: newest.into_iter().map(|(k, (_, v))| (k, v)).collect(),
            changed: BTreeMap::new(),
        })
    }

    /// The value of `key`, if the source got anywhere with it.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.changed
            .get(key)
            .or_else(|| self.values.get(key))
            .map(String::as_str)
    }

    /// Moves `key` to `value` (recorded by the next [`commit`](Self::commit)).
    pub(crate) fn set(&mut self, key: String, value: String) {
        if self.values.get(&key) != Some(&value) {
            self.changed.insert(key, value);
        }
    }

    /// Records the moved keys in the lake. Call it only once the rows they cover are committed.
    pub(crate) async fn commit(&mut self, lake: &Lake) -> Result<()> {
        if self.changed.is_empty() {
            return Ok(());
        }
        let now = lake.clock().now();
        let n = self.changed.len();
        let texts = |f: &dyn Fn(&String, &String) -> String| -> ArrayRef {
            Arc::new(StringArray::from(
                self.changed
                    .iter()
                    .map(|(k, v)| f(k, v))
                    .collect::<Vec<_>>(),
            ))
        };
        let schema = evlake_core::tables::get(TABLE)
            .expect("the cursor table")
            .input_schema();
        let columns: Vec<ArrayRef> = schema
            .fields()
            .iter()
            .map(|field| match field.name().as_str() {
                "event_time" => Arc::new(
                    TimestampMicrosecondArray::from(vec![now.timestamp_micros(); n])
                        .with_timezone("UTC"),
                ) as ArrayRef,
                "source" => texts(&|_, _| self.kind.clone()),
                "source_name" => texts(&|_, _| self.source_name.clone()),
                // Unique per move, so a key that returns to an earlier value is recorded again.
                "source_id" => texts(&|k, v| {
                    sha256_hex(
                        format!("{}\n{k}\n{v}\n{}", self.source_name, now.timestamp_micros())
                            .as_bytes(),
                    )
                }),
                "source_ref" | "cursor_key" => texts(&|k, _| k.clone()),
                "record_sha256" => texts(&|_, v| sha256_hex(v.as_bytes())),
                "cursor_value" | "raw" => texts(&|_, v| v.clone()),
                other => unreachable!("_cursors has no column {other}"),
            })
            .collect();
        let batch = RecordBatch::try_new(schema, columns).expect("cursor rows match their table");
        lake.append(TABLE, vec![batch])?
            .with_commit_metadata([(
                "evlake.sourceName".to_string(),
                Value::String(self.source_name.clone()),
            )])
            .execute()
            .await?;
        self.values.append(&mut self.changed);
        Ok(())
    }
}
