//! Opening a lake from a URL, creating its tables, reading their versions and summaries.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use deltalake::kernel::StructType;
use deltalake::kernel::engine::arrow_conversion::TryIntoKernel;
use deltalake::kernel::transaction::CommitProperties;
use deltalake::logstore::{LogStoreRef, StorageConfig, default_logstore};
use deltalake::protocol::SaveMode;
use deltalake::{DeltaTable, TableProperty};
use evlake_core::{Clock, SystemClock, TableSpec, tables};
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt};
use url::Url;

use arrow::array::RecordBatch;
use futures::TryStreamExt;
use parquet::arrow::ProjectionMask;
use parquet::arrow::async_reader::ParquetRecordBatchStreamBuilder;

use crate::chain::{self, ChainLink};
use crate::parquet_files::LakeFileReader;
use crate::{Error, Result};

/// The content of a table's first commit that evlake decides: its columns and properties.
struct Genesis {
    columns: StructType,
    configuration: HashMap<String, String>,
}

/// Applies object-store options (object_store's config keys, e.g. `aws_endpoint`) to a
/// cloud store builder.
fn configure<B, K>(
    builder: B,
    options: &HashMap<String, String>,
    set: impl Fn(B, K, &String) -> B,
) -> std::result::Result<B, String>
where
    K: std::str::FromStr,
    K::Err: std::fmt::Display,
{
    options.iter().try_fold(builder, |b, (key, value)| {
        let key = key.parse().map_err(|e| format!("option '{key}': {e}"))?;
        Ok(set(b, key, value))
    })
}

/// Settings of a lake that are not part of its location.
#[derive(Debug, Clone)]
pub struct LakeConfig {
    /// How long evidence must stay reachable, in days. Table properties keep commit files
    /// and removed data files at least this long, so time travel and the hash chain cover it.
    pub retention_days: u32,
    /// Most rows in one data file.
    pub max_rows_per_file: usize,
    /// Most rows in one Parquet row group; small enough that time filters skip row groups
    /// inside a day's file, since rows are sorted by event time.
    pub row_group_rows: usize,
    /// Most attempts at one commit when concurrent writers keep winning the race.
    pub max_commit_attempts: usize,
    /// Commits between Delta checkpoints (`delta.checkpointInterval`), which keep table
    /// loading fast however long the history grows.
    pub checkpoint_interval: u32,
}

impl Default for LakeConfig {
    fn default() -> Self {
        Self {
            retention_days: 365,
            max_rows_per_file: 1 << 20,
            row_group_rows: 1 << 16,
            max_commit_attempts: 100,
            checkpoint_interval: 100,
        }
    }
}

/// Which version of a table to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableVersion {
    /// The newest committed version.
    Latest,
    /// A given Delta version (an answer's `lake_version` pins these). There is no "as of an
    /// instant": commit files' modification times change when a lake is copied, so
    /// transaction time is the `ingested_at` column instead.
    Version(u64),
}

/// What one table holds, for `evlake tables`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableSummary {
    /// The table's name.
    pub name: String,
    /// The current Delta version.
    pub version: u64,
    /// Rows in the current version.
    pub rows: u64,
    /// Data files in the current version.
    pub files: u64,
    /// Bytes of those data files.
    pub bytes: u64,
    /// The earliest `event_time` in the table.
    pub first_event: Option<DateTime<Utc>>,
    /// The latest `event_time` in the table.
    pub last_event: Option<DateTime<Utc>>,
    /// SHA-256 of the newest commit file: the head of the table's hash chain.
    pub chain_head: String,
}

/// An evidence lake: a set of Delta tables under one object-store location.
#[derive(Debug, Clone)]
pub struct Lake {
    pub(crate) root: Arc<dyn ObjectStore>,
    pub(crate) prefix: Path,
    url: Url,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: LakeConfig,
}

impl Lake {
    /// Opens the lake at `location`: a directory path, `file://`, `memory://`, `s3://bucket/prefix`,
    /// `gs://bucket/prefix` or `az://container/prefix`. Cloud credentials and endpoints come from
    /// each cloud's standard environment variables (`AWS_ENDPOINT`, `AWS_ALLOW_HTTP`, …).
    pub fn open(location: &str) -> Result<Self> {
        Self::open_with_options(location, &HashMap::new())
    }

    /// Opens the lake at `location`, with object-store options (keys as object_store's
    /// config keys, e.g. `aws_endpoint`) overriding the environment.
    pub fn open_with_options(location: &str, options: &HashMap<String, String>) -> Result<Self> {
        let (root, prefix, url) = object_store_at(location, options)?;
        Ok(Self::with_store(root, prefix, url))
    }

    /// A lake on an object store built by the caller; `url` names the same place and
    /// `prefix` is the lake's path inside `root`.
    pub fn with_store(root: Arc<dyn ObjectStore>, prefix: Path, url: Url) -> Self {
        let mut url = url;
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        Self {
            root,
            prefix,
            url,
            clock: Arc::new(SystemClock),
            config: LakeConfig::default(),
        }
    }

    /// The same lake with another clock (ingestion stamps come from it).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same lake with other settings.
    pub fn with_config(mut self, config: LakeConfig) -> Self {
        self.config = config;
        self
    }

    /// The lake's URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The lake's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The lake's settings.
    pub fn config(&self) -> &LakeConfig {
        &self.config
    }

    /// The URL of a table's root.
    pub fn table_url(&self, name: &str) -> Url {
        self.url
            .join(&format!("{name}/"))
            .expect("a table name is a valid URL segment")
    }

    /// The object store with "/" at the root of table `name`.
    pub fn table_store(&self, name: &str) -> Arc<dyn ObjectStore> {
        Arc::new(PrefixStore::new(self.root.clone(), self.table_prefix(name)))
    }

    fn table_prefix(&self, name: &str) -> Path {
        self.prefix.clone().join(name)
    }

    /// The Delta log store of table `name`.
    pub fn log_store(&self, name: &str) -> LogStoreRef {
        default_logstore(
            self.table_store(name),
            self.root.clone(),
            &self.table_url(name),
            &StorageConfig::default(),
        )
    }

    /// Whether table `name` has been created.
    pub async fn exists(&self, name: &str) -> Result<bool> {
        let first = Path::from(format!("_delta_log/{:020}.json", 0));
        match self.table_store(name).head(&first).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Opens table `name` at `version`.
    pub async fn table(&self, name: &str, version: TableVersion) -> Result<DeltaTable> {
        tables::get(name)?;
        if !self.exists(name).await? {
            return Err(Error::NoSuchTable(name.to_string()));
        }
        let mut table = DeltaTable::new(self.log_store(name));
        match version {
            TableVersion::Latest => table.load().await?,
            TableVersion::Version(v) => table.load_version(v).await?,
        }
        Ok(table)
    }

    /// The names of the tables that exist in this lake, in the order of the lake's schema.
    pub async fn existing_tables(&self) -> Result<Vec<&'static TableSpec>> {
        let mut found = Vec::new();
        for spec in tables::all() {
            if self.exists(spec.name).await? {
                found.push(spec);
            }
        }
        Ok(found)
    }

    /// Creates table `spec` if it does not exist, with partitioning and the retention
    /// properties that keep its history. Safe against a concurrent creator, and finishes a
    /// creation a crash interrupted (see [`Lake::list_interrupted_creation`]).
    pub(crate) async fn ensure_table(&self, spec: &TableSpec) -> Result<DeltaTable> {
        if !self.exists(spec.name).await? {
            let genesis = self.genesis(spec)?;
            let link = ChainLink::genesis();
            let created = deltalake::operations::create::CreateBuilder::new()
                .with_log_store(self.log_store(spec.name))
                .with_table_name(spec.name)
                .with_comment(spec.description)
                .with_columns(genesis.columns.fields().cloned())
                .with_partition_columns([spec.partition_column()])
                .with_save_mode(SaveMode::ErrorIfExists)
                .with_configuration(genesis.configuration.iter().map(|(k, v)| (k, Some(v))))
                .with_commit_properties(
                    CommitProperties::default()
                        .with_max_retries(0)
                        .with_metadata(link.metadata()),
                )
                .await;
            match created {
                Ok(table) => {
                    let genesis = self.commit_sha256(spec.name, 0).await?;
                    self.record_table(spec.name, genesis).await?;
                    return Ok(table);
                }
                // Another writer created it first: use theirs.
                Err(e) if self.exists(spec.name).await? => {
                    tracing::debug!(table = spec.name, error = %e, "table created concurrently");
                }
                Err(e) => return Err(e.into()),
            }
        }
        let table = self.table(spec.name, TableVersion::Latest).await?;
        if table.version() == Some(0) {
            self.list_interrupted_creation(spec, &table).await?;
        }
        Ok(table)
    }

    /// What the first commit of table `spec` holds in this lake: its columns and the table
    /// properties that keep its history.
    fn genesis(&self, spec: &TableSpec) -> Result<Genesis> {
        let columns: StructType =
            spec.schema()
                .as_ref()
                .try_into_kernel()
                .map_err(|e| Error::Schema {
                    table: spec.name.to_string(),
                    reason: e.to_string(),
                })?;
        let retention = format!("interval {} days", self.config.retention_days);
        let configuration = [
            (TableProperty::LogRetentionDuration, retention.clone()),
            (TableProperty::DeletedFileRetentionDuration, retention),
            (
                TableProperty::CheckpointInterval,
                self.config.checkpoint_interval.to_string(),
            ),
            (TableProperty::EnableExpiredLogCleanup, "false".to_string()),
        ]
        .into_iter()
        .map(|(key, value)| (key.as_ref().to_string(), value))
        .collect();
        Ok(Genesis {
            columns,
            configuration,
        })
    }

    /// Lists a table that is at its first commit but missing from the lake manifest: what a
    /// creator stopped between the two writes leaves (the entry records the commit's hash,
    /// so it follows it). Such a table holds no evidence yet, so listing it hides nothing
    /// provided its first commit is exactly what this lake would have written; any other
    /// table stays unlisted, for verify to report as planted.
    async fn list_interrupted_creation(&self, spec: &TableSpec, table: &DeltaTable) -> Result<()> {
        let manifest = self.manifest().await?;
        if manifest
            .entries
            .iter()
            .any(|(_, e, _)| e.table == spec.name)
        {
            return Ok(());
        }
        let snapshot = table.snapshot()?;
        let metadata = snapshot.metadata();
        let expected = self.genesis(spec)?;
        let conforms = *snapshot.schema() == expected.columns
            && metadata.partition_columns() == [spec.partition_column().to_string()]
            && *metadata.configuration() == expected.configuration;
        if !conforms {
            tracing::warn!(
                table = spec.name,
                "the table is not in the lake manifest and its first commit is not what evlake \
                 creates; left unlisted"
            );
            return Ok(());
        }
        tracing::warn!(
            table = spec.name,
            "the table's creation was interrupted before the lake manifest listed it; listing it"
        );
        let genesis = self.commit_sha256(spec.name, 0).await?;
        self.record_table(spec.name, genesis).await
    }

    /// A summary of every existing table.
    pub async fn summaries(&self) -> Result<Vec<TableSummary>> {
        let mut out = Vec::new();
        for spec in self.existing_tables().await? {
            out.push(self.summary(spec.name).await?);
        }
        Ok(out)
    }

    /// A summary of table `name` at its latest version.
    pub async fn summary(&self, name: &str) -> Result<TableSummary> {
        let table = self.table(name, TableVersion::Latest).await?;
        let snapshot = table.snapshot()?;
        let version = snapshot.version() as u64;
        let (mut rows, mut files, mut bytes) = (0u64, 0u64, 0u64);
        let (mut first, mut last): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) = (None, None);
        for file in snapshot.log_data().iter() {
            files += 1;
            bytes += file.size() as u64;
            rows += file.num_records().unwrap_or(0) as u64;
            if let Some((lo, hi)) = file.stats().as_deref().and_then(chain::event_time_range) {
                first = Some(first.map_or(lo, |f| f.min(lo)));
                last = Some(last.map_or(hi, |l| l.max(hi)));
            }
        }
        Ok(TableSummary {
            name: name.to_string(),
            version,
            rows,
            files,
            bytes,
            first_event: first,
            last_event: last,
            chain_head: self.commit_sha256(name, version).await?,
        })
    }

    /// The `columns` of every row of table `name` at its latest version (none if the table
    /// does not exist). For small tables the lake keeps for itself, such as ingest cursors.
    pub async fn read_columns(&self, name: &str, columns: &[&str]) -> Result<Vec<RecordBatch>> {
        let table = match self.table(name, TableVersion::Latest).await {
            Ok(t) => t,
            Err(Error::NoSuchTable(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let store = self.table_store(name);
        let mut out = Vec::new();
        for file in table.snapshot()?.log_data().iter() {
            let path =
                Path::from_url_path(file.path().as_ref()).map_err(object_store::Error::from)?;
            let reader = LakeFileReader::new(store.clone(), path, file.size() as u64);
            let builder = ParquetRecordBatchStreamBuilder::new(reader).await?;
            let mask = ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
            let batches: Vec<RecordBatch> =
                builder.with_projection(mask).build()?.try_collect().await?;
            out.extend(batches);
        }
        Ok(out)
    }

    /// SHA-256 of the commit file of `version` of table `name`.
    pub async fn commit_sha256(&self, name: &str, version: u64) -> Result<String> {
        let bytes = self
            .table_store(name)
            .get(&chain::commit_path(version))
            .await?
            .bytes()
            .await?;
        Ok(evlake_core::sha256_hex(&bytes))
    }
}

/// The object store at `location` — a directory path, `file://`, `memory://`, `s3://…`,
/// `gs://…` or `az://…`, credentials from each cloud's environment variables, `options`
/// (object_store's config keys) overriding them — with the path inside it and its URL.
/// The lake and the ingest of object-store inputs open locations the same way.
pub fn object_store_at(
    location: &str,
    options: &HashMap<String, String>,
) -> Result<(Arc<dyn ObjectStore>, Path, Url)> {
    let bad = |reason: String| Error::Location {
        url: location.to_string(),
        reason,
    };
    let url = match Url::parse(location) {
        Ok(url) if url.scheme().len() > 1 => url,
        _ => {
            // Reading does not create the directory; the first write does.
            let dir = std::path::absolute(location).map_err(|e| bad(e.to_string()))?;
            Url::from_directory_path(&dir).map_err(|()| bad("not an absolute directory".into()))?
        }
    };
    let prefix = Path::from_url_path(url.path()).map_err(|e| bad(e.to_string()))?;
    let root: Arc<dyn ObjectStore> = match url.scheme() {
        "file" => Arc::new(object_store::local::LocalFileSystem::new()),
        "memory" => Arc::new(InMemory::new()),
        "s3" | "s3a" => Arc::new(
            configure(
                AmazonS3Builder::from_env().with_url(url.as_str()),
                options,
                |b, k, v| b.with_config(k, v),
            )
            .and_then(|b| b.build().map_err(|e| e.to_string()))
            .map_err(bad)?,
        ),
        "gs" => Arc::new(
            configure(
                GoogleCloudStorageBuilder::from_env().with_url(url.as_str()),
                options,
                |b, k, v| b.with_config(k, v),
            )
            .and_then(|b| b.build().map_err(|e| e.to_string()))
            .map_err(bad)?,
        ),
        "az" | "abfs" | "abfss" => Arc::new(
            configure(
                MicrosoftAzureBuilder::from_env().with_url(url.as_str()),
                options,
                |b, k, v| b.with_config(k, v),
            )
            .and_then(|b| b.build().map_err(|e| e.to_string()))
            .map_err(bad)?,
        ),
        other => {
            return Err(bad(format!(
                "unsupported scheme '{other}': use a directory, file://, memory://, s3://, gs:// or az://"
            )));
        }
    };
    Ok((root, prefix, url))
}
