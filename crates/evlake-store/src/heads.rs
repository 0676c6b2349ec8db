//! Chain heads kept outside the bucket.
//!
//! Someone who can write the bucket can rewrite a whole table's chain consistently, and
//! `verify` alone cannot tell. What they cannot rewrite is a head kept elsewhere: the heads
//! `evlake tables --heads` writes, or the `lake_version` an earlier answer recorded. The chain
//! proves every commit up to an anchored head, so [`Lake::check_heads`] needs to re-hash only
//! the anchored commit of each table, and a lake that has grown since still matches.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::verify::{Finding, FindingKind};
use crate::{Lake, MANIFEST_DIR, Result, chain};

/// The head of one table's chain: its version and the SHA-256 of that commit file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableHead {
    /// The table.
    pub table: String,
    /// Its Delta version, or `None` if it did not exist.
    pub version: Option<u64>,
    /// SHA-256 of that version's commit file: the head of its hash chain.
    pub chain_head: Option<String>,
}

/// The head of the lake manifest's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestHead {
    /// Entries in the manifest.
    pub entries: u64,
    /// SHA-256 of the newest entry.
    pub head: String,
}

/// Every chain head of a lake at one instant, to keep outside the bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LakeHeads {
    /// The lake's URL.
    pub lake: String,
    /// When the heads were read, by the lake's clock.
    pub taken_at: DateTime<Utc>,
    /// The manifest's head; `None` for a lake without tables.
    pub manifest: Option<ManifestHead>,
    /// Every table's head.
    pub tables: Vec<TableHead>,
}

impl Lake {
    /// The chain heads of the manifest and of every table the lake has.
    pub async fn heads(&self) -> Result<LakeHeads> {
        let manifest = self.manifest().await?;
        let mut tables = Vec::new();
        for spec in self.existing_tables().await? {
            let version = self.table(spec.name, crate::TableVersion::Latest).await?;
            let version = version.version().unwrap_or_default() as u64;
            tables.push(TableHead {
                table: spec.name.to_string(),
                version: Some(version),
                chain_head: Some(self.commit_sha256(spec.name, version).await?),
            });
        }
        Ok(LakeHeads {
            lake: self.url().to_string(),
            taken_at: self.clock.now(),
            manifest: (!manifest.entries.is_empty()).then(|| ManifestHead {
                entries: manifest.entries.len() as u64,
                head: manifest.head(),
            }),
            tables,
        })
    }

    /// Compares the lake with heads anchored earlier: each anchored commit must still be in
    /// the log and hash to the anchored head (the chain then covers every commit before it).
    /// Returns a [`FindingKind::HeadMismatch`] for each that does not.
    pub async fn check_heads(
        &self,
        tables: &[TableHead],
        manifest: Option<&ManifestHead>,
    ) -> Result<Vec<Finding>> {
        let mut findings = Vec::new();
        for anchored in tables {
            let (Some(version), Some(head)) = (anchored.version, &anchored.chain_head) else {
                continue;
            };
            let path = chain::commit_path(version).to_string();
            let actual = match self.commit_sha256(&anchored.table, version).await {
                Ok(sha) => sha,
                Err(crate::Error::ObjectStore(object_store::Error::NotFound { .. })) => {
                    findings.push(Finding {
                        table: anchored.table.clone(),
                        path,
                        kind: FindingKind::HeadMismatch,
                        detail: format!(
                            "the anchored head is version {version}, which the log no longer has"
                        ),
                    });
                    continue;
                }
                Err(e) => return Err(e),
            };
            if &actual != head {
                findings.push(Finding {
                    table: anchored.table.clone(),
                    path,
                    kind: FindingKind::HeadMismatch,
                    detail: format!(
                        "the anchored head of version {version} is {head}, the commit hashes to {actual}: the chain was rewritten"
                    ),
                });
            }
        }
        if let Some(anchored) = manifest {
            let current = self.manifest().await?;
            let at = anchored.entries.checked_sub(1);
            let actual = current
                .entries
                .iter()
                .find(|(seq, _, _)| Some(*seq) == at)
                .map(|(_, _, sha)| sha.clone());
            if actual.as_deref() != Some(anchored.head.as_str()) {
                findings.push(Finding {
                    table: MANIFEST_DIR.to_string(),
                    path: format!("{MANIFEST_DIR}/{:020}.json", at.unwrap_or(0)),
                    kind: FindingKind::HeadMismatch,
                    detail: format!(
                        "the anchored manifest head (entry {}) is {}, the lake has {}",
                        at.unwrap_or(0),
                        anchored.head,
                        actual.as_deref().unwrap_or("no such entry")
                    ),
                });
            }
        }
        Ok(findings)
    }
}
