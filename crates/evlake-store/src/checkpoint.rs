//! Checking checkpoints against the commits they summarise.
//!
//! A Delta reader trusts a checkpoint over the JSON commits before it, so a forged one can
//! hide or invent data files while every commit still hashes right. `verify` replays the
//! chained commits and compares the table state they give at a checkpoint's version with the
//! state the checkpoint (with its parts or sidecars) lists: the same data files with the same
//! size, partition values, statistics and tags, the same tombstones, schema, properties and
//! protocol.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::TryStreamExt;
use object_store::ObjectStore;
use object_store::ObjectStoreExt;
use object_store::path::Path;
use parquet::arrow::async_reader::ParquetRecordBatchStreamBuilder;
use serde_json::{Map, Value};

use crate::chain::canonical_json;
use crate::parquet_files::LakeFileReader;
use crate::{Error, Result};

/// The state of a table that readers act on, reduced to what a forger could change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TableState {
    /// Active data files by path: canonical JSON of the fields readers use.
    files: BTreeMap<String, String>,
    /// Paths of removed files still tombstoned.
    removed: BTreeSet<String>,
    metadata: Option<String>,
    protocol: Option<String>,
    /// Application transactions and domain metadata, by their key.
    other: BTreeMap<String, String>,
    /// Adds of a path already active: a reader returns such a file twice.
    repeated_adds: u64,
}

impl TableState {
    /// Applies a log line or checkpoint row parsed as JSON, in log order: every action it
    /// holds (a reader applies each, so one row cannot hide a second action).
    pub(crate) fn apply(&mut self, row: &Value) {
        let Some(actions) = row.as_object() else {
            return;
        };
        for (key, value) in actions {
            if !value.is_null() {
                self.apply_one(&Value::Object(Map::from_iter([(
                    key.clone(),
                    value.clone(),
                )])));
            }
        }
    }

    fn apply_one(&mut self, action: &Value) {
        if let Some(add) = action.get("add") {
            let path = text(add, "path");
            self.removed.remove(&path);
            if self
                .files
                .insert(path, canonical_json(&file_view(add)))
                .is_some()
            {
                self.repeated_adds += 1;
            }
        } else if let Some(remove) = action.get("remove") {
            let path = text(remove, "path");
            self.files.remove(&path);
            self.removed.insert(path);
        } else if let Some(meta) = action.get("metaData") {
            let mut view = Map::new();
            for key in ["id", "schemaString", "partitionColumns"] {
                if let Some(v) = meta.get(key) {
                    view.insert(key.into(), v.clone());
                }
            }
            view.insert(
                "configuration".into(),
                without_nulls(meta.get("configuration")),
            );
            self.metadata = Some(canonical_json(&Value::Object(view)));
        } else if let Some(protocol) = action.get("protocol") {
            let mut view = Map::new();
            for key in ["minReaderVersion", "minWriterVersion"] {
                if let Some(v) = protocol.get(key) {
                    view.insert(key.into(), v.clone());
                }
            }
            for key in ["readerFeatures", "writerFeatures"] {
                let mut features: Vec<String> = protocol
                    .get(key)
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                features.sort();
                view.insert(key.into(), Value::from(features));
            }
            self.protocol = Some(canonical_json(&Value::Object(view)));
        } else if let Some(txn) = action.get("txn") {
            self.other.insert(
                format!("txn:{}", text(txn, "appId")),
                canonical_json(&Value::from(vec![txn.get("version").cloned()])),
            );
        } else if let Some(domain) = action.get("domainMetadata") {
            let key = format!("domain:{}", text(domain, "domain"));
            if domain.get("removed").and_then(Value::as_bool) == Some(true) {
                self.other.remove(&key);
            } else {
                self.other.insert(key, canonical_json(domain));
            }
        }
    }

    /// What differs between the state the commits give (`self`) and a checkpoint's, in a
    /// sentence; `None` if they agree.
    pub(crate) fn difference(&self, checkpoint: &TableState) -> Option<String> {
        if self == checkpoint {
            return None;
        }
        let mut parts = Vec::new();
        let hidden: Vec<&String> = self
            .files
            .keys()
            .filter(|p| !checkpoint.files.contains_key(*p))
            .collect();
        let invented: Vec<&String> = checkpoint
            .files
            .keys()
            .filter(|p| !self.files.contains_key(*p))
            .collect();
        let restated = self
            .files
            .iter()
            .filter(|(p, v)| checkpoint.files.get(*p).is_some_and(|c| c != *v))
            .count();
        if !hidden.is_empty() {
            parts.push(format!(
                "it leaves out {} of the {} data files the commits add (e.g. {})",
                hidden.len(),
                self.files.len(),
                hidden[0]
            ));
        }
        if !invented.is_empty() {
            parts.push(format!(
                "it lists {} data files no commit adds (e.g. {})",
                invented.len(),
                invented[0]
            ));
        }
        if restated > 0 {
            parts.push(format!(
                "it records {restated} data files with other size, partition, statistics or tags"
            ));
        }
        if self.removed != checkpoint.removed {
            parts.push("its removed files differ from the commits'".into());
        }
        if self.metadata != checkpoint.metadata {
            parts.push("its schema, partitioning or table properties differ".into());
        }
        if self.protocol != checkpoint.protocol {
            parts.push("its protocol differs".into());
        }
        if self.other != checkpoint.other {
            parts.push("its transactions or domain metadata differ".into());
        }
        if self.repeated_adds != checkpoint.repeated_adds {
            parts.push(format!(
                "it adds {} files more than once (readers would read them twice)",
                checkpoint.repeated_adds
            ));
        }
        Some(parts.join("; "))
    }
}

impl TableState {
    /// Whether a checksum file's schema and protocol (what a reader takes from the newest
    /// `.crc`) are those of this state; the sentence says what differs.
    pub(crate) fn crc_difference(&self, crc: &Value) -> Option<String> {
        let mut read = TableState::default();
        for (key, action) in [("metadata", "metaData"), ("protocol", "protocol")] {
            if let Some(v) = crc.get(key).filter(|v| !v.is_null()) {
                read.apply_one(&Value::Object(Map::from_iter([(
                    action.to_string(),
                    v.clone(),
                )])));
            }
        }
        let mut parts = Vec::new();
        if read.metadata.is_some() && read.metadata != self.metadata {
            parts.push("its schema, partitioning or table properties differ from the commits'");
        }
        if read.protocol.is_some() && read.protocol != self.protocol {
            parts.push("its protocol differs from the commits'");
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// The fields of an `add` that decide what a reader reads.
fn file_view(add: &Value) -> Value {
    let mut view = Map::new();
    // The parsed forms of statistics and partition values are kept as they are: evlake's
    // commits never carry them, and readers that find them trust them over the JSON.
    for key in [
        "path",
        "size",
        "deletionVector",
        "stats_parsed",
        "partitionValues_parsed",
    ] {
        if let Some(v) = add.get(key).filter(|v| !v.is_null()) {
            view.insert(key.into(), v.clone());
        }
    }
    view.insert(
        "partitionValues".into(),
        without_nulls(add.get("partitionValues")),
    );
    view.insert("tags".into(), without_nulls(add.get("tags")));
    // Statistics are a JSON string: compare what they say, not how they are spelled.
    if let Some(stats) = add.get("stats").and_then(Value::as_str) {
        let parsed = serde_json::from_str(stats).unwrap_or_else(|_| Value::String(stats.into()));
        view.insert("stats".into(), parsed);
    }
    Value::Object(view)
}

/// A JSON object without its null members (a checkpoint's Parquet maps drop them); an absent
/// or null object is empty.
fn without_nulls(value: Option<&Value>) -> Value {
    let map: Map<String, Value> = value
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    Value::Object(map)
}

fn text(action: &Value, key: &str) -> String {
    action
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The actions of a checkpoint file (Parquet or, for a V2 checkpoint, JSON lines), each as
/// it would appear as a log line (`{"add": {…}}`).
pub(crate) async fn read_actions(store: &Arc<dyn ObjectStore>, path: &Path) -> Result<Vec<Value>> {
    let bad = |reason: String| Error::CommitFile {
        path: path.to_string(),
        reason,
    };
    if path.as_ref().ends_with(".json") {
        let bytes = store.get(path).await?.bytes().await?;
        let text = std::str::from_utf8(&bytes).map_err(|e| bad(e.to_string()))?;
        return text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).map_err(|e| bad(e.to_string())))
            .collect();
    }
    let size = store.head(path).await?.size;
    let reader = LakeFileReader::new(store.clone(), path.clone(), size);
    let mut batches = ParquetRecordBatchStreamBuilder::new(reader)
        .await?
        .build()?;
    let mut actions = Vec::new();
    while let Some(batch) = batches.try_next().await? {
        let mut writer = arrow::json::ArrayWriter::new(Vec::new());
        writer.write(&batch)?;
        writer.finish()?;
        let rows: Vec<Value> =
            serde_json::from_slice(&writer.into_inner()).map_err(|e| bad(e.to_string()))?;
        actions.extend(rows);
    }
    Ok(actions)
}

/// The table state a checkpoint lists: its own actions and those of the sidecars it names.
pub(crate) async fn read_state(store: &Arc<dyn ObjectStore>, parts: &[Path]) -> Result<TableState> {
    let mut state = TableState::default();
    for part in parts {
        for action in read_actions(store, part).await? {
            if let Some(sidecar) = action.get("sidecar") {
                let name = text(sidecar, "path");
                let path = Path::from(format!("_delta_log/_sidecars/{name}"));
                for inner in read_actions(store, &path).await? {
                    state.apply(&inner);
                }
            } else {
                state.apply(&action);
            }
        }
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(line: &str) -> Value {
        serde_json::from_str(line).unwrap()
    }

    #[test]
    fn states_compare_what_readers_use_not_spelling() {
        let mut commits = TableState::default();
        commits.apply(&action(
            r#"{"add":{"path":"a","size":1,"partitionValues":{"d":"x"},"stats":"{\"numRecords\":1, \"minValues\":{}}","tags":{"t":"1"},"modificationTime":5,"dataChange":true}}"#,
        ));
        commits.apply(&action(
            r#"{"add":{"path":"b","size":2,"partitionValues":{"d":"x"}}}"#,
        ));
        let mut checkpoint = TableState::default();
        checkpoint.apply(&action(
            r#"{"add":{"path":"b","size":2,"partitionValues":{"d":"x"},"tags":null,"dataChange":false}}"#,
        ));
        checkpoint.apply(&action(
            r#"{"add":{"dataChange":false,"tags":{"t":"1"},"stats":"{\"minValues\":{},\"numRecords\":1}","partitionValues":{"d":"x"},"size":1,"path":"a"}}"#,
        ));
        assert_eq!(commits.difference(&checkpoint), None);

        let mut half = TableState::default();
        half.apply(&action(
            r#"{"add":{"path":"b","size":2,"partitionValues":{"d":"x"}}}"#,
        ));
        half.apply(&action(
            r#"{"add":{"path":"c","size":2,"partitionValues":{"d":"x"}}}"#,
        ));
        let said = commits.difference(&half).unwrap();
        assert!(said.contains("leaves out 1 of the 2 data files"), "{said}");
        assert!(
            said.contains("1 data files no commit adds (e.g. c)"),
            "{said}"
        );
    }
}
