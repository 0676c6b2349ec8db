//! The evidence lake: Delta Lake tables on object storage.
//!
//! A [`Lake`] lives at a URL (a local directory, `memory://`, `s3://`, `gs://`, `az://`).
//! Every evlake table is a Delta table under it, created on first write with retention
//! properties that keep the commit history for the audit period. Rows arrive through one
//! commit path, [`Append`], which de-duplicates on (`source`, `source_id`), writes sorted,
//! zstd-compressed Parquet per day partition, and links each commit to the previous one by
//! SHA-256 so that [`verify`](Lake::verify) can prove the lake untouched.

mod append;
mod chain;
mod checkpoint;
mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod heads;
mod lake;
mod manifest;
mod parquet_files;
mod verify;

pub use append::{Append, AppendOutcome};
pub use chain::{ACTIONS_KEY, ADD_SHA256_TAG, ChainLink, actions_digest};
pub use error::{Error, Result};
pub use heads::{LakeHeads, ManifestHead, TableHead};
pub use lake::{Lake, LakeConfig, TableSummary, TableVersion, object_store_at};
pub use manifest::{MANIFEST_DIR, ManifestEntry};
pub use verify::{Finding, FindingKind, TableVerification, VerifyReport};

pub use deltalake::DeltaTable;
