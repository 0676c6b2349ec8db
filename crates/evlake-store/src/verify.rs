//! `verify`: re-hash every commit and data file of every table and check the hash chain.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::chain::{self, ACTIONS_KEY, ADD_SHA256_TAG, CHECKPOINT_KEY, PREV_COMMIT_KEY};
use crate::checkpoint::{self, TableState};
use crate::manifest::{MANIFEST_DIR, ManifestEntry};
use crate::parquet_files::{PENDING_DIR, attempt_of, read_file_stats};
use crate::{Error, Lake, Result};
use evlake_core::tables;

/// What kind of tampering (or damage) a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A data file's bytes differ from the SHA-256 its commit recorded.
    DataFileChanged,
    /// A data file named by a commit is gone.
    DataFileMissing,
    /// A file inside a table that no commit added.
    FileOutsideCommit,
    /// A data file of an append that has not committed: still in progress, or interrupted
    /// (a crash between writing and committing). No version of the table includes it, so it
    /// is not tampering; it is reported so that it can be cleaned up.
    UncommittedWrite,
    /// A commit file's bytes differ from what the chain recorded.
    CommitChanged,
    /// A commit version is missing from the log.
    CommitMissing,
    /// A commit that carries no hash-chain link (not written by evlake).
    CommitUnchained,
    /// A commit file that does not parse as a Delta commit.
    CommitUnreadable,
    /// A `remove` action: evlake never removes evidence files (it has no compaction path),
    /// so a remove hides rows that were committed.
    RemoveUnexpected,
    /// A commit after the first with a `metaData` or `protocol` action: evlake sets the
    /// schema, properties and protocol only when it creates a table, and a change (a column
    /// dropped or renamed, column mapping turned on) changes how every earlier row reads.
    SchemaChanged,
    /// An `add` action's statistics differ from those of the rows of its data file, which
    /// would make readers skip (or count) rows wrongly.
    StatsChanged,
    /// A checkpoint or log compaction that is no faithful summary of the chained commits
    /// (readers trust it over them), a checkpoint other than the chain recorded, or a
    /// `_last_checkpoint` hint naming a version without one.
    CheckpointChanged,
    /// A table's commit (or the manifest's entry) at a head anchored outside the bucket is gone
    /// or hashes to something else: the chain was rewritten after the head was taken.
    HeadMismatch,
    /// A table the lake manifest lists whose files are all gone.
    TableMissing,
    /// A table in storage that the lake manifest does not list: planted, or a creation
    /// interrupted between the table's first commit and its manifest entry.
    TableUnlisted,
    /// The lake manifest itself was edited, has a gap or a broken link, or holds a file
    /// that is no entry.
    ManifestChanged,
    /// A file in `_delta_log/` that is no canonical commit (20-digit version), checkpoint or
    /// checksum: a decoy such as `1.json` or `001.json` that a reader may take as a commit.
    LogFileUnexpected,
}

impl std::fmt::Display for FindingKind {
    /// The same name as in JSON reports (`data_file_changed`, …).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match serde_json::to_value(self) {
            Ok(Value::String(name)) => f.write_str(&name),
            _ => write!(f, "{self:?}"),
        }
    }
}

/// One problem found by `verify`.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The table it was found in.
    pub table: String,
    /// The file, relative to the table root.
    pub path: String,
    /// What is wrong.
    pub kind: FindingKind,
    /// The evidence: expected and actual hashes, or which commit says so.
    pub detail: String,
}

/// What `verify` checked in one table.
#[derive(Debug, Clone, Serialize)]
pub struct TableVerification {
    /// The table.
    pub table: String,
    /// Commit files read and hashed.
    pub commits: u64,
    /// Data files re-hashed.
    pub data_files: u64,
    /// Bytes hashed.
    pub bytes: u64,
    /// SHA-256 of the newest commit file.
    pub chain_head: String,
}

/// The result of verifying a lake.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Entries in the lake manifest.
    pub manifest_entries: u64,
    /// SHA-256 of the newest manifest entry: the head of the manifest's chain.
    pub manifest_head: String,
    /// One entry per table checked.
    pub tables: Vec<TableVerification>,
    /// Everything found wrong; empty on an untouched lake.
    pub findings: Vec<Finding>,
}

impl VerifyReport {
    /// Whether no file was changed, removed or inserted and every link holds. Uncommitted
    /// writes do not count: no table version reads them.
    pub fn is_clean(&self) -> bool {
        self.findings
            .iter()
            .all(|f| f.kind == FindingKind::UncommittedWrite)
    }
}

/// Data files hashed at once.
const HASH_CONCURRENCY: usize = 8;

struct Commit {
    sha256: String,
    prev: Option<Option<String>>,
    actions_sha256: Option<String>,
    /// Every action but `commitInfo`, as parsed.
    actions: Vec<Value>,
    adds: Vec<AddedFile>,
    removes: Vec<String>,
    /// The SHA-256 of the previous version's checkpoint, when the commit records one.
    checkpoint_sha256: Option<String>,
    /// Lines holding more than one action.
    malformed: Vec<String>,
    /// Whether it has a `metaData` or `protocol` action.
    restates_table: bool,
}

impl Commit {
    /// Records one action of the commit.
    fn take(&mut self, action: Value) {
        let text_of =
            |action: &Value, key: &str| action.get(key).and_then(Value::as_str).map(str::to_string);
        if let Some(info) = action.get("commitInfo") {
            self.prev = info
                .get(PREV_COMMIT_KEY)
                .map(|p| p.as_str().map(str::to_string));
            self.actions_sha256 = text_of(info, ACTIONS_KEY);
            self.checkpoint_sha256 = text_of(info, CHECKPOINT_KEY);
            return;
        }
        if let Some(add) = action.get("add") {
            self.adds.push(AddedFile {
                path: text_of(add, "path").unwrap_or_default(),
                sha256: add
                    .get("tags")
                    .and_then(|t| t.get(ADD_SHA256_TAG))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                stats: text_of(add, "stats"),
            });
        } else if let Some(remove) = action.get("remove") {
            self.removes
                .push(text_of(remove, "path").unwrap_or_default());
        } else if action.get("metaData").is_some() || action.get("protocol").is_some() {
            self.restates_table = true;
        }
        self.actions.push(action);
    }
}

/// What verify checks of an `add` action against the file it names.
struct AddedFile {
    path: String,
    sha256: Option<String>,
    stats: Option<String>,
}

impl Lake {
    /// Walks every table's log, re-hashes every commit file and every data file, and
    /// reports each file changed, removed or added outside a commit, and each broken link.
    pub async fn verify(&self) -> Result<VerifyReport> {
        let manifest = self.manifest().await?;
        let mut report = VerifyReport {
            manifest_entries: manifest.entries.len() as u64,
            manifest_head: manifest.head(),
            tables: Vec::new(),
            findings: Vec::new(),
        };
        let finding = |table: &str, path: String, kind: FindingKind, detail: String| Finding {
            table: table.to_string(),
            path,
            kind,
            detail,
        };
        for (path, problem) in &manifest.problems {
            let f = finding(
                MANIFEST_DIR,
                path.clone(),
                FindingKind::ManifestChanged,
                problem.clone(),
            );
            report.findings.push(f);
        }
        let mut listed: BTreeMap<&str, (u64, &ManifestEntry)> = BTreeMap::new();
        for (seq, entry, _) in &manifest.entries {
            let path = format!("{MANIFEST_DIR}/{seq:020}.json");
            let problem = if tables::get(&entry.table).is_err() {
                Some(format!("lists '{}', which is no evlake table", entry.table))
            } else {
                listed
                    .insert(&entry.table, (*seq, entry))
                    .map(|(first, _)| {
                        format!("lists '{}' again (first in entry {first})", entry.table)
                    })
            };
            if let Some(detail) = problem {
                let f = finding(MANIFEST_DIR, path, FindingKind::ManifestChanged, detail);
                report.findings.push(f);
            }
        }
        for spec in tables::all() {
            let store = self.table_store(spec.name);
            let in_storage = store.list(None).next().await.transpose()?.is_some();
            let entry = listed.get(spec.name);
            match (in_storage, entry) {
                (false, None) => continue,
                (false, Some((seq, _))) => {
                    let detail =
                        format!("manifest entry {seq} lists it; none of its files is in storage");
                    report.findings.push(finding(
                        spec.name,
                        String::new(),
                        FindingKind::TableMissing,
                        detail,
                    ));
                    continue;
                }
                (true, None) => {
                    let detail = "the lake manifest does not list it: planted, or its creation \
                                  was interrupted"
                        .to_string();
                    report.findings.push(finding(
                        spec.name,
                        String::new(),
                        FindingKind::TableUnlisted,
                        detail,
                    ));
                }
                (true, Some(_)) => {}
            }
            let checked =
                verify_table(spec.name, store, self.clock.now(), &mut report.findings).await?;
            if let Some((seq, entry)) = entry
                && !checked.genesis_sha256.is_empty()
                && checked.genesis_sha256 != entry.genesis_sha256
            {
                let detail = format!(
                    "manifest entry {seq} records the first commit as {}, but it hashes to {}",
                    entry.genesis_sha256, checked.genesis_sha256
                );
                let path = chain::commit_path(0).to_string();
                report
                    .findings
                    .push(finding(spec.name, path, FindingKind::CommitChanged, detail));
            }
            report.tables.push(checked.table);
        }
        Ok(report)
    }
}

/// A table checked, with the SHA-256 of its first commit (empty if it is missing).
struct CheckedTable {
    table: TableVerification,
    genesis_sha256: String,
}

/// How long an append attempt's record excuses its files as an append in progress or
/// interrupted; after that they are findings like any file outside a commit.
const PENDING_GRACE: chrono::TimeDelta = chrono::TimeDelta::hours(24);

async fn verify_table(
    table: &str,
    store: Arc<dyn ObjectStore>,
    now: chrono::DateTime<chrono::Utc>,
    findings: &mut Vec<Finding>,
) -> Result<CheckedTable> {
    let mut found = |path: &str, kind: FindingKind, detail: String| {
        findings.push(Finding {
            table: table.to_string(),
            path: path.to_string(),
            kind,
            detail,
        })
    };
    let listed: Vec<_> = store.list(None).try_collect().await?;
    let mut versions = BTreeMap::new();
    let mut data: HashMap<String, u64> = HashMap::new();
    let mut pending = HashMap::new();
    let mut derived = DerivedFiles::default();
    for meta in &listed {
        let path = meta.location.as_ref();
        if let Some(record) = path.strip_prefix(&format!("{PENDING_DIR}/")) {
            pending.insert(
                record.trim_end_matches(".json").to_string(),
                meta.last_modified,
            );
        } else if let Some(name) = path.strip_prefix("_delta_log/") {
            match log_file(name) {
                LogFile::Commit(v) => {
                    versions.insert(v, path.to_string());
                }
                LogFile::Checkpoint { version, group } => derived
                    .checkpoints
                    .entry((version, group))
                    .or_default()
                    .push(Path::from(path)),
                LogFile::Compacted(from, to) => {
                    derived.compactions.push((from, to, Path::from(path)))
                }
                LogFile::Checksum(v) => derived.checksums.push((v, Path::from(path))),
                LogFile::LastCheckpoint => derived.last_checkpoint = Some(Path::from(path)),
                LogFile::Derived => {}
                LogFile::CommitInProgress => found(
                    path,
                    FindingKind::UncommittedWrite,
                    format!(
                        "{} bytes of a commit being written (or interrupted)",
                        meta.size
                    ),
                ),
                LogFile::Unexpected => found(
                    path,
                    FindingKind::LogFileUnexpected,
                    "not a commit (a 20-digit version), a checkpoint or a checksum".to_string(),
                ),
            }
        } else {
            data.insert(path.to_string(), meta.size);
        }
    }
    let newest = versions.keys().next_back().copied().unwrap_or(0);
    let mut commits: BTreeMap<u64, Commit> = BTreeMap::new();
    let mut bytes_hashed = 0u64;
    for v in 0..=newest {
        let Some(path) = versions.get(&v) else {
            found(
                chain::commit_path(v).as_ref(),
                FindingKind::CommitMissing,
                format!("commit {v} is missing from the log (the log has up to {newest})"),
            );
            continue;
        };
        let bytes = store.get(&Path::from(path.as_str())).await?.bytes().await?;
        bytes_hashed += bytes.len() as u64;
        match parse_commit(path, &bytes) {
            Ok(commit) => {
                commits.insert(v, commit);
            }
            Err(e) => found(path, FindingKind::CommitUnreadable, e.to_string()),
        }
    }
    for (v, commit) in &commits {
        let path = chain::commit_path(*v).to_string();
        match &commit.prev {
            None => found(
                &path,
                FindingKind::CommitUnchained,
                format!("commit {v} has no {PREV_COMMIT_KEY}: it was not written by evlake"),
            ),
            Some(recorded) => {
                let expected = v
                    .checked_sub(1)
                    .and_then(|p| commits.get(&p))
                    .map(|c| c.sha256.clone());
                let missing_before = *v > 0 && expected.is_none();
                if !missing_before && recorded != &expected {
                    found(
                        chain::commit_path(v.saturating_sub(1)).as_ref(),
                        FindingKind::CommitChanged,
                        format!(
                            "commit {v} records the previous commit as {}, but it hashes to {}",
                            recorded.as_deref().unwrap_or("(none)"),
                            expected.as_deref().unwrap_or("(none)")
                        ),
                    );
                }
            }
        }
        if let Some(recorded) = &commit.actions_sha256 {
            // The first commit's protocol and metadata are anchored by the lake manifest.
            let covered: Vec<Value> = commit
                .actions
                .iter()
                .filter(|a| *v > 0 || !(a.get("protocol").is_some() || a.get("metaData").is_some()))
                .cloned()
                .collect();
            let actual = chain::actions_digest(&covered);
            if &actual != recorded {
                found(
                    &path,
                    FindingKind::CommitChanged,
                    format!("its actions digest to {actual}, but it recorded {recorded}"),
                );
            }
        }
        for line in &commit.malformed {
            found(
                &path,
                FindingKind::CommitChanged,
                format!("{line}; evlake writes one action per line"),
            );
        }
        if *v > 0 && commit.restates_table {
            found(
                &path,
                FindingKind::SchemaChanged,
                format!(
                    "commit {v} changes the table's schema, properties or protocol, which restates every earlier row; evlake sets them only at creation"
                ),
            );
        }
        for removed in &commit.removes {
            found(
                &path,
                FindingKind::RemoveUnexpected,
                format!("commit {v} removes {removed}; evlake never removes evidence files"),
            );
        }
    }
    check_derived(&store, &commits, newest, &derived, &mut found).await?;
    let mut present = Vec::new();
    for (v, commit) in &commits {
        for add in &commit.adds {
            let Ok(location) = Path::from_url_path(&add.path) else {
                found(
                    chain::commit_path(*v).as_ref(),
                    FindingKind::CommitChanged,
                    format!(
                        "commit {v} adds '{}', which is no path in the table",
                        add.path
                    ),
                );
                continue;
            };
            let key = location.to_string();
            if data.remove(&key).is_none() {
                found(
                    &key,
                    FindingKind::DataFileMissing,
                    format!("added by commit {v}, no longer in storage"),
                );
            } else {
                present.push((*v, add, location));
            }
        }
    }
    // Hash several files at once: on object storage each is a round trip.
    let store = &store;
    let hashed: Vec<_> = futures::stream::iter(present)
        .map(|(v, add, location)| async move {
            let (sha256, len) = hash_object(store.as_ref(), &location).await?;
            // Statistics are worth re-deriving only from the file the commit recorded.
            let stats = if add.sha256.as_ref() == Some(&sha256) {
                Some(read_file_stats(store.clone(), location.clone(), len).await)
            } else {
                None
            };
            Ok::<_, Error>((v, add, location, (sha256, len), stats))
        })
        .buffered(HASH_CONCURRENCY)
        .try_collect()
        .await?;
    let data_files = hashed.len() as u64;
    for (v, add, location, (sha256, len), derived) in hashed {
        bytes_hashed += len;
        match derived {
            Some(Ok(derived)) => {
                let recorded = add.stats.as_deref().map(serde_json::from_str::<Value>);
                if !matches!(&recorded, Some(Ok(r)) if *r == derived) {
                    found(
                        location.as_ref(),
                        FindingKind::StatsChanged,
                        format!(
                            "commit {v} records statistics {}, the file's rows give {derived}",
                            add.stats.as_deref().unwrap_or("(none)")
                        ),
                    );
                }
            }
            Some(Err(e)) => found(
                location.as_ref(),
                FindingKind::StatsChanged,
                format!("its rows could not be read to check the statistics of commit {v}: {e}"),
            ),
            None => {}
        }
        match &add.sha256 {
            Some(expected) if expected != &sha256 => found(
                location.as_ref(),
                FindingKind::DataFileChanged,
                format!("commit {v} recorded SHA-256 {expected}, the file hashes to {sha256}"),
            ),
            Some(_) => {}
            None => found(
                location.as_ref(),
                FindingKind::CommitUnchained,
                format!("commit {v} added it without a {ADD_SHA256_TAG} tag"),
            ),
        }
    }
    for (path, size) in data {
        let attempt = attempt_of(&path).and_then(|a| Some((a, pending.get(a)?)));
        match attempt {
            Some((attempt, recorded)) if now - *recorded < PENDING_GRACE => found(
                &path,
                FindingKind::UncommittedWrite,
                format!(
                    "{size} bytes of append attempt {attempt}, not committed (in progress or interrupted)"
                ),
            ),
            Some((attempt, recorded)) => found(
                &path,
                FindingKind::FileOutsideCommit,
                format!(
                    "{size} bytes of append attempt {attempt}, recorded {} and never committed: \
                     an interrupted append to clean up, or a file planted beside a forged record",
                    recorded.to_rfc3339()
                ),
            ),
            None => found(
                &path,
                FindingKind::FileOutsideCommit,
                format!("{size} bytes that no commit added"),
            ),
        }
    }
    Ok(CheckedTable {
        genesis_sha256: commits
            .get(&0)
            .map(|c| c.sha256.clone())
            .unwrap_or_default(),
        table: TableVerification {
            table: table.to_string(),
            commits: commits.len() as u64,
            data_files,
            bytes: bytes_hashed,
            chain_head: commits
                .get(&newest)
                .map(|c| c.sha256.clone())
                .unwrap_or_default(),
        },
    })
}

/// The files in `_delta_log/` derived from the commits, which readers use in their place.
#[derive(Default)]
struct DerivedFiles {
    /// Checkpoints by version and group (the parts of a multi-part one share a group).
    checkpoints: BTreeMap<(u64, String), Vec<Path>>,
    /// Log compactions: first and last version summarised.
    compactions: Vec<(u64, u64, Path)>,
    /// Checksum files by version.
    checksums: Vec<(u64, Path)>,
    last_checkpoint: Option<Path>,
}

/// Compares every checkpoint, log compaction and checksum file with the replay of the
/// commits it summarises, checks the checkpoint hashes the chain records, and the
/// `_last_checkpoint` hint.
async fn check_derived(
    store: &Arc<dyn ObjectStore>,
    commits: &BTreeMap<u64, Commit>,
    newest: u64,
    derived: &DerivedFiles,
    found: &mut impl FnMut(&str, FindingKind, String),
) -> Result<()> {
    let DerivedFiles {
        checkpoints,
        compactions,
        checksums,
        last_checkpoint,
    } = derived;
    for ((version, _), parts) in checkpoints {
        let path = parts[0].to_string();
        if *version > newest {
            found(
                &path,
                FindingKind::CheckpointChanged,
                format!("it summarises version {version}, but the log ends at commit {newest}"),
            );
        }
        if let Some(recorded) = commits
            .get(&(version + 1))
            .and_then(|c| c.checkpoint_sha256.as_ref())
            .filter(|_| parts.len() == 1)
        {
            let (actual, _) = hash_object(store.as_ref(), &parts[0]).await?;
            if &actual != recorded {
                found(
                    &path,
                    FindingKind::CheckpointChanged,
                    format!(
                        "commit {} recorded this checkpoint as {recorded}, it hashes to {actual}",
                        version + 1
                    ),
                );
            }
        }
    }
    if checkpoints.is_empty()
        && compactions.is_empty()
        && checksums.is_empty()
        && last_checkpoint.is_none()
    {
        return Ok(());
    }
    let mut replayed = TableState::default();
    let mut at = BTreeMap::new();
    let checkpointed: BTreeSet<u64> = checkpoints.keys().map(|(v, _)| *v).collect();
    let mut wanted = checkpointed.clone();
    wanted.extend(checksums.iter().map(|(v, _)| *v));
    for (v, commit) in commits {
        for action in &commit.actions {
            replayed.apply(action);
        }
        if wanted.contains(v) {
            at.insert(*v, replayed.clone());
        }
    }
    for ((version, _), parts) in checkpoints {
        let Some(expected) = at.get(version) else {
            continue;
        };
        let path = parts[0].to_string();
        match checkpoint::read_state(store, parts).await {
            Ok(state) => {
                if let Some(difference) = expected.difference(&state) {
                    found(
                        &path,
                        FindingKind::CheckpointChanged,
                        format!("it is no summary of commits 0 to {version}: {difference}"),
                    );
                }
            }
            Err(e) => found(
                &path,
                FindingKind::CheckpointChanged,
                format!("it cannot be read as a checkpoint: {e}"),
            ),
        }
    }
    for (from, to, path) in compactions {
        let mut expected = TableState::default();
        for v in *from..=*to {
            for action in commits.get(&v).map_or(&[][..], |c| &c.actions) {
                expected.apply(action);
            }
        }
        let read = checkpoint::read_actions(store, path).await.map(|actions| {
            let mut state = TableState::default();
            actions.iter().for_each(|a| state.apply(a));
            state
        });
        let difference = match read {
            Ok(state) => expected.difference(&state),
            Err(e) => Some(format!("it cannot be read: {e}")),
        };
        if let Some(difference) = difference {
            found(
                path.as_ref(),
                FindingKind::CheckpointChanged,
                format!("it is no compaction of commits {from} to {to}: {difference}"),
            );
        }
    }
    for (version, path) in checksums {
        let bytes = store.get(path).await?.bytes().await?;
        let problem = match (serde_json::from_slice::<Value>(&bytes), at.get(version)) {
            (Err(e), _) => Some(format!("it does not parse: {e}")),
            (Ok(_), None) => Some(format!(
                "it is the checksum of version {version}, which the log does not have"
            )),
            (Ok(crc), Some(expected)) => expected.crc_difference(&crc),
        };
        if let Some(problem) = problem {
            found(path.as_ref(), FindingKind::CheckpointChanged, problem);
        }
    }
    if let Some(path) = last_checkpoint {
        let bytes = store.get(path).await?.bytes().await?;
        let hint = serde_json::from_slice::<Value>(&bytes).ok();
        let hinted = hint
            .as_ref()
            .and_then(|v| v.get("version").and_then(Value::as_u64));
        // Readers also trust a hint's checkpoint schema and V2 sidecar list; the hints the
        // Delta library writes carry only counts beside the version.
        let unchecked: Vec<&String> = hint
            .as_ref()
            .and_then(Value::as_object)
            .map(|m| {
                m.keys()
                    .filter(|k| {
                        !["version", "size", "parts", "sizeInBytes", "numOfAddFiles"]
                            .contains(&k.as_str())
                    })
                    .collect()
            })
            .unwrap_or_default();
        let problem = match hinted {
            None => Some("it names no version".to_string()),
            Some(v) if !checkpointed.contains(&v) => {
                Some(format!("it points at version {v}, which has no checkpoint"))
            }
            Some(_) if !unchecked.is_empty() => Some(format!(
                "it carries fields readers trust that verify cannot check: {unchecked:?}"
            )),
            Some(_) => None,
        };
        if let Some(problem) = problem {
            found(path.as_ref(), FindingKind::CheckpointChanged, problem);
        }
    }
    Ok(())
}

/// What a file in `_delta_log/` is, by its name.
#[derive(Debug, PartialEq, Eq)]
enum LogFile {
    /// `00000000000000000007.json`: commit 7.
    Commit(u64),
    /// A checkpoint of a version: classic (`7.checkpoint.parquet`), V2 (`7.checkpoint.<uuid>.json`
    /// or `.parquet`) or one part of a multi-part one (`7.checkpoint.0000000001.0000000002.parquet`);
    /// `group` tells checkpoints of the same version apart, the parts of one share it.
    Checkpoint { version: u64, group: String },
    /// `4.6.compacted.json`: the reconciled actions of commits 4 to 6.
    Compacted(u64, u64),
    /// `_last_checkpoint`: the hint naming the newest checkpoint.
    LastCheckpoint,
    /// `7.crc`: a checksum file, from which readers take the schema and protocol.
    Checksum(u64),
    /// A V2 checkpoint's sidecar (read through the checkpoint that names it).
    Derived,
    /// A commit being written: the temporary file of a put-if-absent (`_commit_<uuid>.json.tmp`).
    CommitInProgress,
    /// Anything else.
    Unexpected,
}

fn log_file(name: &str) -> LogFile {
    if name == "_last_checkpoint" {
        return LogFile::LastCheckpoint;
    }
    if name.starts_with("_sidecars/") {
        return LogFile::Derived;
    }
    if name.starts_with("_commit_") && name.ends_with(".json.tmp") {
        return LogFile::CommitInProgress;
    }
    let Some((head, rest)) = name.split_once('.') else {
        return LogFile::Unexpected;
    };
    let Some(v) = chain::sequence_number(head) else {
        return LogFile::Unexpected;
    };
    if rest == "json" {
        return LogFile::Commit(v);
    }
    if rest == "crc" {
        return LogFile::Checksum(v);
    }
    if let Some(end) = rest.strip_suffix(".compacted.json") {
        return match chain::sequence_number(end) {
            Some(to) if to >= v => LogFile::Compacted(v, to),
            _ => LogFile::Unexpected,
        };
    }
    let Some(kind) = rest.strip_prefix("checkpoint.") else {
        return LogFile::Unexpected;
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let group = match kind.split('.').collect::<Vec<_>>()[..] {
        ["parquet"] => "classic".to_string(),
        [uuid, "json" | "parquet"] if uuid::Uuid::try_parse(uuid).is_ok() => kind.to_string(),
        [part, parts, "parquet"] if digits(part, 10) && digits(parts, 10) => {
            format!("parts of {parts}")
        }
        _ => return LogFile::Unexpected,
    };
    LogFile::Checkpoint { version: v, group }
}

/// The actions of a commit file other than its `commitInfo`, as `verify` reads them.
#[cfg(feature = "fuzzing")]
pub(crate) fn parse_commit_for_fuzzing(bytes: &[u8]) -> Result<Vec<Value>> {
    parse_commit("fuzz", bytes).map(|c| c.actions)
}

/// What a name in `_delta_log/` is, as text.
#[cfg(feature = "fuzzing")]
pub(crate) fn log_file_kind(name: &str) -> String {
    format!("{:?}", log_file(name))
}

fn parse_commit(path: &str, bytes: &[u8]) -> Result<Commit> {
    let bad = |reason: String| Error::CommitFile {
        path: path.to_string(),
        reason,
    };
    let mut commit = Commit {
        sha256: evlake_core::sha256_hex(bytes),
        prev: None,
        actions_sha256: None,
        actions: Vec::new(),
        adds: Vec::new(),
        removes: Vec::new(),
        checkpoint_sha256: None,
        malformed: Vec::new(),
        restates_table: false,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| bad(e.to_string()))?;
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let row: Value = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
        let Value::Object(row) = row else {
            return Err(bad(format!("line {} is no JSON object", n + 1)));
        };
        if row.len() != 1 {
            // A reader applies every action of a line: one must not hide behind another.
            let keys: Vec<&String> = row.keys().collect();
            commit.malformed.push(format!(
                "line {} holds {} actions {keys:?}",
                n + 1,
                row.len()
            ));
        }
        for (key, value) in row {
            let action = Value::Object(serde_json::Map::from_iter([(key, value)]));
            commit.take(action);
        }
    }
    Ok(commit)
}

async fn hash_object(store: &dyn ObjectStore, path: &Path) -> Result<(String, u64)> {
    let mut stream = store
        .get_opts(path, Default::default())
        .await?
        .into_stream();
    let mut hasher = Sha256::new();
    let mut len = 0u64;
    while let Some(chunk) = stream.try_next().await? {
        len += chunk.len() as u64;
        hasher.update(&chunk);
    }
    Ok((hex::encode(hasher.finalize()), len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_names_are_commits() {
        let kind = |name: &str| match log_file(name) {
            LogFile::Commit(v) => format!("commit {v}"),
            LogFile::Checkpoint { version, group } => format!("checkpoint {version} {group}"),
            LogFile::Compacted(a, b) => format!("compacted {a}-{b}"),
            LogFile::LastCheckpoint => "hint".into(),
            LogFile::Checksum(v) => format!("checksum {v}"),
            LogFile::Derived => "derived".into(),
            LogFile::CommitInProgress => "in progress".into(),
            LogFile::Unexpected => "unexpected".into(),
        };
        assert_eq!(kind("00000000000000000007.json"), "commit 7");
        for decoy in [
            "1.json",
            "+1.json",
            "001.json",
            "0000000000000000007.json",
            "x.json",
            "00000000000000000010.checkpoint.json",
            "00000000000000000010.checkpoint.not-a-uuid.json",
            "00000000000000000006.00000000000000000004.compacted.json",
            "notes.txt",
        ] {
            assert_eq!(kind(decoy), "unexpected", "{decoy}");
        }
        let uuid = "80a083e8-7026-4e79-81be-64bd76c43a11";
        assert_eq!(
            kind("00000000000000000010.checkpoint.parquet"),
            "checkpoint 10 classic"
        );
        assert_eq!(
            kind("00000000000000000010.checkpoint.0000000001.0000000002.parquet"),
            "checkpoint 10 parts of 0000000002"
        );
        assert_eq!(
            kind(&format!("00000000000000000001.checkpoint.{uuid}.json")),
            format!("checkpoint 1 {uuid}.json")
        );
        assert_eq!(
            kind("00000000000000000004.00000000000000000006.compacted.json"),
            "compacted 4-6"
        );
        assert_eq!(kind("_last_checkpoint"), "hint");
        assert_eq!(kind("00000000000000000010.crc"), "checksum 10");
        assert_eq!(kind(&format!("_sidecars/{uuid}.parquet")), "derived");
        assert_eq!(
            kind("_commit_3e2c4b5a-1111-2222-3333-444455556666.json.tmp"),
            "in progress"
        );
    }
}
