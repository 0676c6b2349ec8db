//! The one commit path of the lake: appending evidence rows to a table.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{
    Array, ArrayRef, BooleanArray, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow::compute::{concat_batches, filter_record_batch};
use chrono::NaiveDate;
use deltalake::kernel::transaction::{CommitBuilder, CommitProperties};
use deltalake::kernel::{Action, Add};
use deltalake::protocol::{DeltaOperation, SaveMode};
use deltalake::{DeltaTable, DeltaTableError};
use evlake_core::TableSpec;
use evlake_core::tables::{EVENT_TIME, INGESTED_AT, SOURCE, SOURCE_ID};
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};
use parquet::arrow::ProjectionMask;
use parquet::arrow::async_reader::ParquetRecordBatchStreamBuilder;
use serde_json::Value;

use crate::chain::{ADD_SHA256_TAG, CHECKPOINT_KEY, ChainLink, actions_digest};
use crate::parquet_files::{LakeFileReader, WrittenFile, pending_path, write_partition};
use crate::{Error, Lake, Result};

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// What an append did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AppendOutcome {
    /// The version committed, or `None` when every row was already in the table.
    pub version: Option<u64>,
    /// Rows added to the table.
    pub rows_added: u64,
    /// Rows left out because their (`source`, `source_id`) was already in the batch or the table.
    pub duplicates: u64,
    /// Data files added.
    pub files_added: u64,
    /// Commits lost to concurrent writers before this one landed.
    pub retries: u64,
}

/// Appends rows to one table: de-duplicates them on (`source`, `source_id`) against
/// themselves and against the rows already in the day partitions they touch, writes them
/// sorted by event time, and commits atomically with the next link of the hash chain.
/// A commit that loses the race to a concurrent writer is redone against the new version.
#[derive(Debug)]
pub struct Append {
    lake: Lake,
    spec: &'static TableSpec,
    batches: Vec<RecordBatch>,
    metadata: Vec<(String, Value)>,
}

impl Lake {
    /// Starts an append of `batches` (in the table's input schema, see
    /// [`TableSpec::input_schema`]) to table `table`.
    pub fn append(&self, table: &str, batches: Vec<RecordBatch>) -> Result<Append> {
        Ok(Append {
            lake: self.clone(),
            spec: evlake_core::tables::get(table)?,
            batches,
            metadata: Vec::new(),
        })
    }
}

impl Append {
    /// Extra entries for the commit's `commitInfo` (e.g. which ingest run wrote it).
    pub fn with_commit_metadata(
        mut self,
        metadata: impl IntoIterator<Item = (String, Value)>,
    ) -> Self {
        self.metadata.extend(metadata);
        self
    }

    /// Runs the append.
    pub async fn execute(self) -> Result<AppendOutcome> {
        let input = self.input_batch()?;
        let keys = row_keys(&input);
        let mut first_seen = HashSet::with_capacity(keys.len());
        let unique: Vec<bool> = keys.iter().map(|k| first_seen.insert(k.clone())).collect();
        let in_batch_duplicates = unique.iter().filter(|u| !**u).count() as u64;
        let days = row_days(&input);
        let touched: BTreeSet<NaiveDate> = days.iter().copied().collect();

        let mut retries = 0u64;
        for round in 1..=self.lake.config.max_commit_attempts {
            let table = self.lake.ensure_table(self.spec).await?;
            let existing = self.existing_keys(&table, &touched, &first_seen).await?;
            let keep: Vec<bool> = unique
                .iter()
                .zip(&keys)
                .map(|(u, k)| *u && !existing.contains(k))
                .collect();
            let rows_added = keep.iter().filter(|k| **k).count() as u64;
            let duplicates =
                in_batch_duplicates + (unique.iter().filter(|u| **u).count() as u64 - rows_added);
            if rows_added == 0 {
                return Ok(AppendOutcome {
                    version: None,
                    rows_added,
                    duplicates,
                    files_added: 0,
                    retries,
                });
            }
            let attempt = uuid::Uuid::new_v4().to_string();
            let files = match self.write_files(&attempt, &input, &keep, &days).await {
                Ok(files) => files,
                Err(e) => {
                    self.finish_attempt(&attempt).await;
                    return Err(e);
                }
            };
            let committed = self.commit(&table, &files).await;
            if committed.is_err() {
                self.discard(&files).await;
            }
            self.finish_attempt(&attempt).await;
            match committed {
                Ok(version) => {
                    return Ok(AppendOutcome {
                        version: Some(version),
                        rows_added,
                        duplicates,
                        files_added: files.len() as u64,
                        retries,
                    });
                }
                Err(e) if is_lost_race(&e) => {
                    retries += 1;
                    tracing::debug!(
                        table = self.spec.name,
                        round,
                        "commit lost to a concurrent writer; retrying"
                    );
                    // Spread the retries of writers that collided.
                    let jitter = (uuid::Uuid::new_v4().as_u128() % 20) as u64;
                    tokio::time::sleep(Duration::from_millis(5 * round.min(20) as u64 + jitter))
                        .await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::CommitContention {
            table: self.spec.name.to_string(),
            attempts: self.lake.config.max_commit_attempts,
        })
    }

    /// The batches as one, checked against the table's input schema.
    fn input_batch(&self) -> Result<RecordBatch> {
        let schema = self.spec.input_schema();
        for batch in &self.batches {
            let got = batch.schema();
            let same = got.fields().len() == schema.fields().len()
                && got
                    .fields()
                    .iter()
                    .zip(schema.fields())
                    .all(|(g, w)| g.name() == w.name() && g.data_type() == w.data_type());
            if !same {
                return Err(Error::Schema {
                    table: self.spec.name.to_string(),
                    reason: format!(
                        "expected columns [{}], got [{}]",
                        describe(&schema),
                        describe(&got)
                    ),
                });
            }
        }
        let batch = concat_batches(&schema, &self.batches)?;
        // Required columns must hold values, whatever the producer's schema said.
        for (field, column) in schema.fields().iter().zip(batch.columns()) {
            if !field.is_nullable() && column.null_count() > 0 {
                return Err(Error::Schema {
                    table: self.spec.name.to_string(),
                    reason: format!("column '{}' is required but has nulls", field.name()),
                });
            }
        }
        Ok(batch)
    }

    /// The keys, among `wanted`, already in the files of the touched partitions.
    async fn existing_keys(
        &self,
        table: &DeltaTable,
        touched: &BTreeSet<NaiveDate>,
        wanted: &HashSet<(String, String)>,
    ) -> Result<HashSet<(String, String)>> {
        let partition = self.spec.partition_column();
        let touched: HashSet<String> = touched
            .iter()
            .map(|d| d.format("%Y-%m-%d").to_string())
            .collect();
        let (lo, hi) = match (
            wanted.iter().map(|k| k.1.as_str()).min(),
            wanted.iter().map(|k| k.1.as_str()).max(),
        ) {
            (Some(lo), Some(hi)) => (lo.to_string(), hi.to_string()),
            _ => return Ok(HashSet::new()),
        };
        let store = self.lake.table_store(self.spec.name);
        let mut found = HashSet::new();
        for file in table.snapshot()?.log_data().iter() {
            let day = file
                .partition_values_map()
                .get(partition)
                .cloned()
                .flatten();
            if !day.is_some_and(|d| touched.contains(&d)) {
                continue;
            }
            if let Some((flo, fhi)) = file.stats().as_deref().and_then(source_id_range)
                && (fhi < lo || flo > hi)
            {
                continue;
            }
            let path = Path::from(file.path().as_ref());
            let reader = LakeFileReader::new(store.clone(), path, file.size() as u64);
            let builder = ParquetRecordBatchStreamBuilder::new(reader).await?;
            let mask = ProjectionMask::columns(builder.parquet_schema(), [SOURCE, SOURCE_ID]);
            let mut stream = builder.with_projection(mask).build()?;
            while let Some(batch) = stream.try_next().await? {
                for key in row_keys(&batch) {
                    if wanted.contains(&key) {
                        found.insert(key);
                    }
                }
            }
        }
        Ok(found)
    }

    /// Writes the kept rows, stamped with the ingestion time, one partition at a time, after
    /// recording the attempt so that its files are known as uncommitted until it ends.
    async fn write_files(
        &self,
        attempt: &str,
        input: &RecordBatch,
        keep: &[bool],
        days: &[NaiveDate],
    ) -> Result<Vec<WrittenFile>> {
        let ingested_at = self.lake.clock.now().timestamp_micros();
        let store = self.lake.table_store(self.spec.name);
        let record = serde_json::json!({
            "attempt": attempt,
            "table": self.spec.name,
            "started_at": self.lake.clock.now(),
        });
        store
            .put(
                &pending_path(attempt),
                PutPayload::from(record.to_string().into_bytes()),
            )
            .await?;
        let file_batch = with_ingested_at(input, ingested_at, self.spec)?;
        let mut by_day: BTreeMap<NaiveDate, Vec<bool>> = BTreeMap::new();
        for (row, (day, kept)) in days.iter().zip(keep).enumerate() {
            if *kept {
                by_day
                    .entry(*day)
                    .or_insert_with(|| vec![false; keep.len()])[row] = true;
            }
        }
        let mut files = Vec::new();
        for (day, mask) in by_day {
            let rows = filter_record_batch(&file_batch, &BooleanArray::from(mask))?;
            let written = write_partition(
                &store,
                attempt,
                &rows,
                self.spec.partition_column(),
                day,
                self.lake.config.max_rows_per_file,
                self.lake.config.row_group_rows,
            )
            .await;
            match written {
                Ok(w) => files.extend(w),
                Err(e) => {
                    self.discard(&files).await;
                    return Err(e);
                }
            }
        }
        Ok(files)
    }

    async fn commit(
        &self,
        table: &DeltaTable,
        files: &[WrittenFile],
    ) -> Result<u64, DeltaTableError> {
        let snapshot = table.snapshot()?;
        let previous = snapshot.version();
        let prev_sha = self
            .lake
            .commit_sha256(self.spec.name, previous)
            .await
            .map_err(|e| DeltaTableError::Generic(e.to_string()))?;
        let now_ms = self.lake.clock.now().timestamp_millis();
        let actions: Vec<Action> = files
            .iter()
            .map(|f| {
                Action::Add(Add {
                    path: f.path.clone(),
                    partition_values: HashMap::from([(
                        f.partition_column.clone(),
                        Some(f.partition_value.clone()),
                    )]),
                    size: f.size,
                    modification_time: now_ms,
                    data_change: true,
                    stats: Some(f.stats.clone()),
                    tags: Some(HashMap::from([(
                        ADD_SHA256_TAG.to_string(),
                        Some(f.sha256.clone()),
                    )])),
                    ..Default::default()
                })
            })
            .collect();
        let canonical = actions
            .iter()
            .map(serde_json::to_value)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| DeltaTableError::Generic(e.to_string()))?;
        let link = ChainLink {
            prev_commit_sha256: Some(prev_sha),
            actions_sha256: actions_digest(&canonical),
        };
        let mut metadata = link.metadata();
        if let Some(sha) = self
            .checkpoint_sha256(previous)
            .await
            .map_err(|e| DeltaTableError::Generic(e.to_string()))?
        {
            metadata.push((CHECKPOINT_KEY.to_string(), Value::String(sha)));
        }
        metadata.extend(self.metadata.iter().cloned());
        // The data files are written, the commit is not: the hardest place to crash.
        evlake_core::failpoint("append.before_commit");
        let finalized = CommitBuilder::from(
            CommitProperties::default()
                .with_max_retries(0)
                .with_metadata(metadata),
        )
        .with_actions(actions)
        .build(
            Some(snapshot),
            table.log_store(),
            DeltaOperation::Write {
                mode: SaveMode::Append,
                partition_by: Some(vec![self.spec.partition_column().to_string()]),
                predicate: None,
            },
        )
        .await?;
        Ok(finalized.version() as u64)
    }

    /// The SHA-256 of the classic checkpoint of `version` (the only form the Delta library
    /// writes), if there is one: the next commit records it, so the chain covers evlake's own
    /// checkpoints. Whatever is recorded, verify still compares every checkpoint with the
    /// replay of the commits.
    async fn checkpoint_sha256(&self, version: u64) -> Result<Option<String>> {
        let path = Path::from(format!("_delta_log/{version:020}.checkpoint.parquet"));
        match self.lake.table_store(self.spec.name).get(&path).await {
            Ok(found) => Ok(Some(evlake_core::sha256_hex(&found.bytes().await?))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes the record of an attempt that has been committed or abandoned.
    async fn finish_attempt(&self, attempt: &str) {
        let store = self.lake.table_store(self.spec.name);
        if let Err(e) = store.delete(&pending_path(attempt)).await {
            tracing::warn!(attempt, error = %e, "could not remove the record of a finished append attempt");
        }
    }

    /// Removes files written for a commit that did not land; they were never part of the table.
    async fn discard(&self, files: &[WrittenFile]) {
        let store = self.lake.table_store(self.spec.name);
        for f in files {
            if let Err(e) = store.delete(&Path::from(f.path.as_str())).await {
                tracing::warn!(path = %f.path, error = %e, "could not remove an uncommitted data file");
            }
        }
    }
}

/// Whether a commit failed only because another writer committed that version first.
fn is_lost_race(e: &DeltaTableError) -> bool {
    use deltalake::kernel::transaction::TransactionError;
    match e {
        DeltaTableError::VersionAlreadyExists(_) => true,
        DeltaTableError::Transaction { source } => matches!(
            source,
            TransactionError::VersionAlreadyExists(_) | TransactionError::MaxCommitAttempts(_)
        ),
        _ => false,
    }
}

fn describe(schema: &arrow::datatypes::Schema) -> String {
    schema
        .fields()
        .iter()
        .map(|f| format!("{}: {}", f.name(), f.data_type()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn row_keys(batch: &RecordBatch) -> Vec<(String, String)> {
    let text = |name: &str| {
        batch
            .column_by_name(name)
            .and_then(|c| c.as_any().downcast_ref::<StringArray>())
            .expect("source and source_id are text columns")
    };
    let (sources, ids) = (text(SOURCE), text(SOURCE_ID));
    (0..batch.num_rows())
        .map(|i| (sources.value(i).to_string(), ids.value(i).to_string()))
        .collect()
}

fn event_times(batch: &RecordBatch) -> &TimestampMicrosecondArray {
    batch
        .column_by_name(EVENT_TIME)
        .and_then(|c| c.as_any().downcast_ref::<TimestampMicrosecondArray>())
        .expect("event_time is a microsecond timestamp")
}

fn row_days(batch: &RecordBatch) -> Vec<NaiveDate> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch");
    event_times(batch)
        .values()
        .iter()
        .map(|t| epoch + chrono::Duration::days(t.div_euclid(MICROS_PER_DAY)))
        .collect()
}

/// The input batch with `ingested_at` inserted where the table's file schema has it.
fn with_ingested_at(input: &RecordBatch, micros: i64, spec: &TableSpec) -> Result<RecordBatch> {
    let schema = spec.file_schema();
    let stamp: ArrayRef = Arc::new(
        TimestampMicrosecondArray::from(vec![micros; input.num_rows()]).with_timezone("UTC"),
    );
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            if f.name() == INGESTED_AT {
                stamp.clone()
            } else {
                input
                    .column_by_name(f.name())
                    .expect("input has every other column")
                    .clone()
            }
        })
        .collect();
    Ok(RecordBatch::try_new(schema, columns)?)
}

fn source_id_range(stats: &str) -> Option<(String, String)> {
    let stats: Value = serde_json::from_str(stats).ok()?;
    let read = |key: &str| stats.get(key)?.get(SOURCE_ID)?.as_str().map(str::to_string);
    Some((read("minValues")?, read("maxValues")?))
}
