//! The hash chain that makes each table's log tamper-evident.
//!
//! Every commit evlake makes records, in its `commitInfo`:
//! - `evlake.prevCommitSha256`: the SHA-256 of the table's previous commit file (null for
//!   version 0), so editing, removing or inserting a commit breaks the link after it;
//! - `evlake.actionsSha256`: a digest of every other action of the commit in a canonical
//!   form (adds with their statistics and tags, and any remove, metadata or protocol), so
//!   even the newest commit cannot be edited unseen by anyone who does not recompute it;
//!
//! and every `add` action carries the SHA-256 of its data file in the tag
//! [`ADD_SHA256_TAG`], so a changed data file is found by re-hashing it. The first commit
//! of a table is anchored whole in the lake's manifest (see [`crate::manifest`]).

use chrono::{DateTime, Utc};
use object_store::path::Path;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `add` action tag holding the SHA-256 of the data file, in hex.
pub const ADD_SHA256_TAG: &str = "evlake.sha256";
/// The `commitInfo` key holding the SHA-256 of the previous commit file.
pub const PREV_COMMIT_KEY: &str = "evlake.prevCommitSha256";
/// The `commitInfo` key holding the digest of the commit's other actions.
pub const ACTIONS_KEY: &str = "evlake.actionsSha256";

/// The `commitInfo` key holding the SHA-256 of the checkpoint of the previous version, when
/// the Delta library wrote one after that commit.
pub const CHECKPOINT_KEY: &str = "evlake.checkpointSha256";

/// The link a commit records to its predecessor, and the digest of its actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLink {
    /// SHA-256 of the previous commit file; `None` for version 0.
    pub prev_commit_sha256: Option<String>,
    /// Digest of the commit's actions other than `commitInfo`.
    pub actions_sha256: String,
}

impl ChainLink {
    /// The link of a table's first commit. Its protocol and metadata actions are written by
    /// the Delta library (with a generated id and creation time), so the digest covers none;
    /// the manifest records the SHA-256 of the whole commit file instead.
    pub fn genesis() -> Self {
        Self {
            prev_commit_sha256: None,
            actions_sha256: actions_digest(&[]),
        }
    }

    /// The `commitInfo` entries that record this link.
    pub fn metadata(&self) -> Vec<(String, Value)> {
        vec![
            (
                PREV_COMMIT_KEY.to_string(),
                self.prev_commit_sha256
                    .clone()
                    .map_or(Value::Null, Value::String),
            ),
            (
                ACTIONS_KEY.to_string(),
                Value::String(self.actions_sha256.clone()),
            ),
        ]
    }
}

/// The digest of a commit's actions (each a log line parsed as JSON, e.g. `{"add": {…}}`),
/// independent of their order, of key order and of whitespace: each action is written as
/// canonical JSON (keys sorted), the lines are sorted and hashed. Public so that an auditor
/// can recompute it, and a test can play the forger who does.
pub fn actions_digest(actions: &[Value]) -> String {
    let mut lines: Vec<String> = actions.iter().map(canonical_json).collect();
    lines.sort();
    let mut hasher = Sha256::new();
    for line in lines {
        hasher.update(line.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// `value` as compact JSON with every object's keys sorted.
pub(crate) fn canonical_json(value: &Value) -> String {
    fn write(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                out.push('{');
                for (i, (k, v)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    write(v, out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(v, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// The path of a commit file relative to the table root.
pub(crate) fn commit_path(version: u64) -> Path {
    Path::from(format!("_delta_log/{version:020}.json"))
}

/// The number `name` spells as a 20-digit, zero-padded sequence number (a Delta commit
/// version, a manifest entry), or `None` for any other name.
pub(crate) fn sequence_number(name: &str) -> Option<u64> {
    if name.len() == 20 && name.bytes().all(|b| b.is_ascii_digit()) {
        name.parse().ok()
    } else {
        None
    }
}

/// The (min, max) of `event_time` recorded in an `add` action's statistics.
pub(crate) fn event_time_range(stats: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let stats: Value = serde_json::from_str(stats).ok()?;
    let read = |key: &str| -> Option<DateTime<Utc>> {
        let text = stats
            .get(key)?
            .get(evlake_core::tables::EVENT_TIME)?
            .as_str()?;
        Some(DateTime::parse_from_rfc3339(text).ok()?.with_timezone(&Utc))
    };
    Some((read("minValues")?, read("maxValues")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_ignores_order_and_layout_but_not_content() {
        let a: Value = serde_json::from_str(
            r#"{"add":{"path":"a.parquet","size":10,"stats":"{\"numRecords\":2}"}}"#,
        )
        .unwrap();
        let b: Value = serde_json::from_str(r#"{"add":{"size":11,"path":"b.parquet"}}"#).unwrap();
        let b_reordered: Value =
            serde_json::from_str(r#"{"add": {"path": "b.parquet", "size": 11}}"#).unwrap();
        assert_eq!(
            actions_digest(&[a.clone(), b.clone()]),
            actions_digest(&[b_reordered, a.clone()])
        );
        let mut restated = a.clone();
        restated["add"]["stats"] = Value::String(r#"{"numRecords":20}"#.into());
        assert_ne!(
            actions_digest(&[a.clone(), b.clone()]),
            actions_digest(&[restated, b.clone()])
        );
        let remove: Value = serde_json::from_str(r#"{"remove":{"path":"a.parquet"}}"#).unwrap();
        assert_ne!(
            actions_digest(&[a.clone(), b.clone()]),
            actions_digest(&[a, b, remove])
        );
    }

    #[test]
    fn reads_event_time_range_from_stats() {
        let stats = r#"{"numRecords":2,"minValues":{"event_time":"2026-11-01T00:00:00.000Z"},"maxValues":{"event_time":"2026-11-01T10:00:00.001Z"}}"#;
        let (lo, hi) = event_time_range(stats).unwrap();
        assert_eq!(lo.to_rfc3339(), "2026-11-01T00:00:00+00:00");
        assert_eq!(hi.to_rfc3339(), "2026-11-01T10:00:00.001+00:00");
        assert!(event_time_range("{}").is_none());
    }
}
