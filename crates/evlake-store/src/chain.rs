//! The hash chain that makes each table's log tamper-evident.
//!
//! Every commit evlake makes records, in its `commitInfo`:
//! - `evlake.prevCommitSha256`: the SHA-256 of the table's previous commit file (null for
//!   version 0), so editing, removing or inserting a commit breaks the link after it;
//! - `evlake.actionsSha256`: a digest of the data files the commit adds (path, size,
//!   partition values, file SHA-256), so even the newest commit cannot be edited unseen;
//!
//! and every `add` action carries the SHA-256 of its data file in the tag
//! [`ADD_SHA256_TAG`], so a changed data file is found by re-hashing it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use object_store::path::Path;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `add` action tag holding the SHA-256 of the data file, in hex.
pub const ADD_SHA256_TAG: &str = "evlake.sha256";
/// The `commitInfo` key holding the SHA-256 of the previous commit file.
pub const PREV_COMMIT_KEY: &str = "evlake.prevCommitSha256";
/// The `commitInfo` key holding the digest of the commit's added files.
pub const ACTIONS_KEY: &str = "evlake.actionsSha256";

/// The link a commit records to its predecessor, and the digest of what it adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLink {
    /// SHA-256 of the previous commit file; `None` for version 0.
    pub prev_commit_sha256: Option<String>,
    /// Digest of the added files.
    pub actions_sha256: String,
}

/// The parts of an `add` action that the actions digest covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AddedFile {
    pub path: String,
    pub size: i64,
    pub partition_values: BTreeMap<String, Option<String>>,
    pub sha256: Option<String>,
}

impl ChainLink {
    /// The link of a table's first commit, which adds no files.
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

/// The digest of a commit's added files, independent of the order of the actions and of
/// how the commit file is serialised.
pub(crate) fn actions_digest(files: &[AddedFile]) -> String {
    let mut sorted: Vec<&AddedFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut hasher = Sha256::new();
    for f in sorted {
        hasher.update(format!("add\t{}\t{}\t", f.path, f.size));
        for (k, v) in &f.partition_values {
            hasher.update(format!("{k}={}\t", v.as_deref().unwrap_or("")));
        }
        hasher.update(f.sha256.as_deref().unwrap_or(""));
        hasher.update("\n");
    }
    hex::encode(hasher.finalize())
}

/// The path of a commit file relative to the table root.
pub(crate) fn commit_path(version: u64) -> Path {
    Path::from(format!("_delta_log/{version:020}.json"))
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

    fn file(path: &str, sha: &str) -> AddedFile {
        AddedFile {
            path: path.into(),
            size: 10,
            partition_values: BTreeMap::from([("event_date".into(), Some("2026-11-01".into()))]),
            sha256: Some(sha.into()),
        }
    }

    #[test]
    fn digest_ignores_order_but_not_content() {
        let a = file("a.parquet", "aa");
        let b = file("b.parquet", "bb");
        assert_eq!(
            actions_digest(&[a.clone(), b.clone()]),
            actions_digest(&[b.clone(), a.clone()])
        );
        let mut changed = b.clone();
        changed.size = 11;
        assert_ne!(
            actions_digest(&[a.clone(), b]),
            actions_digest(&[a, changed])
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
