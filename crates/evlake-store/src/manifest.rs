//! The lake manifest: which tables the lake holds, so that a table deleted whole (its
//! folder, or its first commit) is a finding instead of an empty answer.
//!
//! The manifest is a chain of its own at `_lake_log/<seq>.json` (20-digit sequence numbers,
//! like Delta commits): one entry per table created, recording the SHA-256 of the table's
//! first commit and of the previous entry. Entries are written put-if-absent, so concurrent
//! creators each get their own sequence number.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde::{Deserialize, Serialize};

use crate::{Error, Lake, Result};

/// The folder of the manifest, under the lake root.
pub const MANIFEST_DIR: &str = "_lake_log";

/// One entry of the lake manifest: a table created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManifestEntry {
    /// The table created.
    pub table: String,
    /// SHA-256 of the table's first commit file (version 0), which holds its schema,
    /// partitioning and retention properties.
    pub genesis_sha256: String,
    /// When the entry was written, by the lake's clock.
    pub recorded_at: DateTime<Utc>,
    /// SHA-256 of the previous entry file; `None` for the first.
    pub prev_entry_sha256: Option<String>,
}

/// The manifest as read back: its entries in sequence order and what is wrong with it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Manifest {
    /// Entries by sequence number, with the SHA-256 of each entry file.
    pub entries: Vec<(u64, ManifestEntry, String)>,
    /// Problems found reading it: (path relative to the lake, what is wrong).
    pub problems: Vec<(String, String)>,
}

impl Manifest {
    /// SHA-256 of the newest entry: the manifest's chain head (empty with no entries).
    pub(crate) fn head(&self) -> String {
        self.entries
            .last()
            .map(|(_, _, sha)| sha.clone())
            .unwrap_or_default()
    }
}

fn entry_path(seq: u64) -> Path {
    Path::from(format!("{MANIFEST_DIR}/{seq:020}.json"))
}

impl Lake {
    /// Records in the manifest that `table` was created with first commit `genesis_sha256`,
    /// unless an entry lists it already (a concurrent creator's, finishing the same table).
    pub(crate) async fn record_table(&self, table: &str, genesis_sha256: String) -> Result<()> {
        let store = self.lake_store();
        loop {
            let manifest = self.manifest().await?;
            if manifest.entries.iter().any(|(_, e, _)| e.table == table) {
                return Ok(());
            }
            let seq = manifest.entries.last().map_or(0, |(s, _, _)| s + 1);
            let entry = ManifestEntry {
                table: table.to_string(),
                genesis_sha256: genesis_sha256.clone(),
                recorded_at: self.clock.now(),
                prev_entry_sha256: manifest.entries.last().map(|(_, _, sha)| sha.clone()),
            };
            let bytes = serde_json::to_vec(&entry).map_err(|e| Error::CommitFile {
                path: entry_path(seq).to_string(),
                reason: e.to_string(),
            })?;
            let put = store
                .put_opts(
                    &entry_path(seq),
                    PutPayload::from(bytes),
                    PutOptions::from(PutMode::Create),
                )
                .await;
            match put {
                Ok(_) => return Ok(()),
                // Another table's creator took this sequence number: chain after theirs.
                Err(object_store::Error::AlreadyExists { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Reads the manifest: every entry in sequence order, checking names and links.
    pub(crate) async fn manifest(&self) -> Result<Manifest> {
        let store = self.lake_store();
        let prefix = Path::from(MANIFEST_DIR);
        let listed: Vec<_> = store.list(Some(&prefix)).try_collect().await?;
        let mut manifest = Manifest::default();
        let mut seqs = Vec::new();
        for meta in listed {
            let path = meta.location.to_string();
            // Only names directly in the folder: `_lake_log/x/….json` is no entry.
            let name = path
                .strip_prefix(&format!("{MANIFEST_DIR}/"))
                .filter(|n| !n.contains('/'))
                .unwrap_or_default();
            match name
                .strip_suffix(".json")
                .and_then(crate::chain::sequence_number)
            {
                Some(seq) => seqs.push(seq),
                None => manifest.problems.push((
                    path,
                    "not a manifest entry (a 20-digit sequence number)".to_string(),
                )),
            }
        }
        seqs.sort_unstable();
        let mut expected = 0;
        for seq in seqs {
            let path = entry_path(seq);
            if seq != expected {
                manifest.problems.push((
                    entry_path(expected).to_string(),
                    format!("manifest entries {expected} to {} are missing", seq - 1),
                ));
            }
            expected = seq + 1;
            let bytes = store.get(&path).await?.bytes().await?;
            let sha = evlake_core::sha256_hex(&bytes);
            let entry: ManifestEntry = match serde_json::from_slice(&bytes) {
                Ok(entry) => entry,
                Err(e) => {
                    manifest
                        .problems
                        .push((path.to_string(), format!("does not parse: {e}")));
                    continue;
                }
            };
            let prev = manifest.entries.last().map(|(_, _, sha)| sha.clone());
            if seq > 0
                && manifest
                    .entries
                    .last()
                    .is_some_and(|(s, _, _)| *s == seq - 1)
            {
                if entry.prev_entry_sha256 != prev {
                    manifest.problems.push((
                        entry_path(seq - 1).to_string(),
                        format!(
                            "entry {seq} records the previous entry as {}, but it hashes to {}",
                            entry.prev_entry_sha256.as_deref().unwrap_or("(none)"),
                            prev.as_deref().unwrap_or("(none)")
                        ),
                    ));
                }
            } else if seq == 0 && entry.prev_entry_sha256.is_some() {
                manifest.problems.push((
                    path.to_string(),
                    "the first entry records a previous entry".to_string(),
                ));
            }
            manifest.entries.push((seq, entry, sha));
        }
        Ok(manifest)
    }

    /// The object store with "/" at the lake's root.
    pub(crate) fn lake_store(&self) -> std::sync::Arc<dyn ObjectStore> {
        std::sync::Arc::new(object_store::prefix::PrefixStore::new(
            self.root.clone(),
            self.prefix.clone(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn concurrent_creators_chain_their_entries() {
        let lake = Lake::open("memory://").unwrap();
        let (a, b) = tokio::join!(
            lake.record_table("iam_events", "aa".into()),
            lake.record_table("people", "bb".into())
        );
        a.unwrap();
        b.unwrap();
        let manifest = lake.manifest().await.unwrap();
        assert!(manifest.problems.is_empty(), "{:?}", manifest.problems);
        let tables: Vec<(u64, &str)> = manifest
            .entries
            .iter()
            .map(|(seq, e, _)| (*seq, e.table.as_str()))
            .collect();
        assert_eq!(tables.len(), 2);
        assert_eq!((tables[0].0, tables[1].0), (0, 1));
        assert_eq!(
            manifest.entries[1].1.prev_entry_sha256.as_deref(),
            Some(manifest.entries[0].2.as_str())
        );
        assert_eq!(manifest.head(), manifest.entries[1].2);
    }
}
