//! Writing the data files of one commit: rows of one partition, sorted by event time,
//! into zstd Parquet with the Delta statistics that let readers skip files.

use std::ops::Range;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow::compute::{
    SortOptions, max, max_string, min, min_string, sort_to_indices, take_record_batch,
};
use arrow::datatypes::{DataType, TimeUnit};
use bytes::Bytes;
use chrono::{DateTime, NaiveDate};
use futures::future::BoxFuture;
use futures::{FutureExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::arrow::async_reader::ParquetRecordBatchStreamBuilder;
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;
use serde_json::{Map, Value, json};

use crate::Result;
use evlake_core::sha256_hex;
use evlake_core::tables::{EVENT_TIME, RAW, SOURCE_ID};

/// Longest string whose min/max go into the statistics; longer ones would need truncation
/// rules, and the columns readers filter on (ids, names, kinds) are short.
const MAX_STATS_STRING: usize = 64;

/// A data file written to the table but not yet committed.
#[derive(Debug, Clone)]
pub(crate) struct WrittenFile {
    /// Path relative to the table root.
    pub path: String,
    pub size: i64,
    pub sha256: String,
    pub stats: String,
    pub partition_column: String,
    pub partition_value: String,
}

/// The directory, inside a table, where each append records its attempt before writing data
/// files; Delta readers ignore directories whose names start with `_`.
pub(crate) const PENDING_DIR: &str = "_evlake_pending";

/// The record of an append attempt, written before its first data file and removed once the
/// attempt is committed or abandoned; while it exists, files named after the attempt are an
/// uncommitted write (in progress, or interrupted), not files slipped into the table.
pub(crate) fn pending_path(attempt: &str) -> Path {
    Path::from(format!("{PENDING_DIR}/{attempt}.json"))
}

/// The attempt a data file belongs to, from its name `part-NNNNN-<attempt>-c000.zstd.parquet`.
pub(crate) fn attempt_of(path: &str) -> Option<&str> {
    let name = path.rsplit('/').next()?;
    let rest = name.strip_prefix("part-")?.split_once('-')?.1;
    rest.strip_suffix("-c000.zstd.parquet")
}

/// The provenance columns whose every value is its row's own.
const UNIQUE_COLUMNS: &[&str] = &[RAW, SOURCE_ID, "record_sha256", "source_ref", EVENT_TIME];

/// Writes the rows of one partition as one or more files named after `attempt` and returns them.
pub(crate) async fn write_partition(
    store: &Arc<dyn ObjectStore>,
    attempt: &str,
    batch: &RecordBatch,
    partition_column: &str,
    day: NaiveDate,
    max_rows_per_file: usize,
    row_group_rows: usize,
) -> Result<Vec<WrittenFile>> {
    let sorted = sort_by_event_time(batch)?;
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .set_max_row_group_row_count(Some(row_group_rows));
    // Columns that differ in every row: a dictionary of them is built, then given up on once
    // it is full, at the cost of hashing every value first.
    for unique in UNIQUE_COLUMNS {
        props = props.set_column_dictionary_enabled(ColumnPath::from(*unique), false);
    }
    let props = props.build();
    let partition_value = day.format("%Y-%m-%d").to_string();
    let mut out = Vec::new();
    let mut offset = 0;
    for n in 0.. {
        if offset >= sorted.num_rows() {
            break;
        }
        let len = max_rows_per_file.min(sorted.num_rows() - offset);
        let chunk = sorted.slice(offset, len);
        offset += len;
        let mut writer = ArrowWriter::try_new(Vec::new(), chunk.schema(), Some(props.clone()))?;
        writer.write(&chunk)?;
        let bytes = Bytes::from(writer.into_inner()?);
        let path =
            format!("{partition_column}={partition_value}/part-{n:05}-{attempt}-c000.zstd.parquet");
        let sha256 = sha256_hex(&bytes);
        let size = bytes.len() as i64;
        store
            .put_opts(
                &Path::from(path.as_str()),
                PutPayload::from(bytes),
                PutOptions::from(PutMode::Create),
            )
            .await?;
        out.push(WrittenFile {
            path,
            size,
            sha256,
            stats: FileStats::of(&chunk).to_string(),
            partition_column: partition_column.to_string(),
            partition_value: partition_value.clone(),
        });
    }
    Ok(out)
}

/// Reads a data file of the lake by ranged gets: only the footer and the column chunks asked for.
pub(crate) struct LakeFileReader {
    store: Arc<dyn ObjectStore>,
    path: Path,
    size: u64,
}

impl LakeFileReader {
    /// A reader of the file at `path` (relative to `store`), `size` bytes long.
    pub(crate) fn new(store: Arc<dyn ObjectStore>, path: Path, size: u64) -> Self {
        Self { store, path, size }
    }
}

impl AsyncFileReader for LakeFileReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        async move {
            self.store
                .get_range(&self.path, range)
                .await
                .map_err(|e| parquet::errors::ParquetError::External(Box::new(e)))
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        _options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.size;
            let metadata = ParquetMetaDataReader::new()
                .with_prefetch_hint(Some(64 * 1024))
                .load_and_finish(self, size)
                .await?;
            Ok(Arc::new(metadata))
        }
        .boxed()
    }
}

fn sort_by_event_time(batch: &RecordBatch) -> Result<RecordBatch> {
    let times = batch
        .column_by_name(evlake_core::tables::EVENT_TIME)
        .expect("every table has event_time");
    let order = sort_to_indices(times, Some(SortOptions::default()), None)?;
    Ok(take_record_batch(batch, &order)?)
}

/// The Delta statistics of one data file (`numRecords`, `minValues`, `maxValues`,
/// `nullCount`), gathered batch by batch: the writer computes them over the rows it writes and
/// `verify` re-derives them from the file it reads back, with the same rules.
#[derive(Debug, Default)]
pub(crate) struct FileStats {
    rows: usize,
    columns: Vec<ColumnStats>,
}

#[derive(Debug)]
struct ColumnStats {
    name: String,
    nulls: usize,
    bounds: Option<Bounds>,
}

/// The least and greatest value of a column, for the types whose bounds readers use.
#[derive(Debug)]
enum Bounds {
    Micros(i64, i64),
    Int(i64, i64),
    Float(f64, f64),
    Text(String, String),
}

impl FileStats {
    /// The statistics of the rows of `batch`.
    pub(crate) fn of(batch: &RecordBatch) -> Value {
        let mut stats = Self::default();
        stats.update(batch);
        stats.finish()
    }

    /// Adds the rows of `batch`; every batch of a file has the file's schema.
    pub(crate) fn update(&mut self, batch: &RecordBatch) {
        self.rows += batch.num_rows();
        let schema = batch.schema();
        let wanted = schema
            .fields()
            .iter()
            .zip(batch.columns())
            .filter(|(f, _)| f.name() != evlake_core::tables::RAW);
        for (i, (field, column)) in wanted.enumerate() {
            if self.columns.len() <= i {
                self.columns.push(ColumnStats {
                    name: field.name().clone(),
                    nulls: 0,
                    bounds: None,
                });
            }
            let entry = &mut self.columns[i];
            entry.nulls += column.null_count();
            if let Some(found) = bounds(column) {
                entry.bounds = Some(match entry.bounds.take() {
                    None => found,
                    Some(seen) => seen.merge(found),
                });
            }
        }
    }

    /// The statistics as Delta records them in an `add` action.
    pub(crate) fn finish(self) -> Value {
        let mut mins = Map::new();
        let mut maxs = Map::new();
        let mut nulls = Map::new();
        for column in self.columns {
            nulls.insert(column.name.clone(), json!(column.nulls));
            if let Some((lo, hi)) = column.bounds.and_then(Bounds::into_json) {
                mins.insert(column.name.clone(), lo);
                maxs.insert(column.name, hi);
            }
        }
        json!({
            "numRecords": self.rows,
            "minValues": mins,
            "maxValues": maxs,
            "nullCount": nulls,
        })
    }
}

impl Bounds {
    fn merge(self, other: Bounds) -> Bounds {
        match (self, other) {
            (Bounds::Micros(a, b), Bounds::Micros(c, d)) => Bounds::Micros(a.min(c), b.max(d)),
            (Bounds::Int(a, b), Bounds::Int(c, d)) => Bounds::Int(a.min(c), b.max(d)),
            (Bounds::Float(a, b), Bounds::Float(c, d)) => Bounds::Float(
                if a.total_cmp(&c).is_le() { a } else { c },
                if b.total_cmp(&d).is_ge() { b } else { d },
            ),
            (Bounds::Text(a, b), Bounds::Text(c, d)) => Bounds::Text(a.min(c), b.max(d)),
            (seen, _) => seen,
        }
    }

    fn into_json(self) -> Option<(Value, Value)> {
        match self {
            // Delta records timestamps to the millisecond: round the bounds outwards so they
            // still contain every value.
            Bounds::Micros(lo, hi) => Some((
                json!(millis_text(lo.div_euclid(1000) * 1000)?),
                json!(millis_text((hi + 999).div_euclid(1000) * 1000)?),
            )),
            Bounds::Int(lo, hi) => Some((json!(lo), json!(hi))),
            Bounds::Float(lo, hi) => {
                (lo.is_finite() && hi.is_finite()).then(|| (json!(lo), json!(hi)))
            }
            Bounds::Text(lo, hi) => (lo.len() <= MAX_STATS_STRING && hi.len() <= MAX_STATS_STRING)
                .then(|| (json!(lo), json!(hi))),
        }
    }
}

fn bounds(column: &ArrayRef) -> Option<Bounds> {
    match column.data_type() {
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            let a = column
                .as_any()
                .downcast_ref::<TimestampMicrosecondArray>()?;
            Some(Bounds::Micros(min(a)?, max(a)?))
        }
        DataType::Int64 => {
            let a = column.as_any().downcast_ref::<Int64Array>()?;
            Some(Bounds::Int(min(a)?, max(a)?))
        }
        DataType::Float64 => {
            // By total order, so that the bounds do not depend on how rows are batched.
            let a = column.as_any().downcast_ref::<Float64Array>()?;
            let mut values = a.iter().flatten();
            let first = values.next()?;
            Some(values.fold(Bounds::Float(first, first), |b, v| {
                b.merge(Bounds::Float(v, v))
            }))
        }
        DataType::Utf8 => {
            let a = column.as_any().downcast_ref::<StringArray>()?;
            Some(Bounds::Text(
                min_string(a)?.to_string(),
                max_string(a)?.to_string(),
            ))
        }
        _ => None,
    }
}

/// The statistics of the data file at `path` (relative to `store`), read back from its rows.
pub(crate) async fn read_file_stats(
    store: Arc<dyn ObjectStore>,
    path: Path,
    size: u64,
) -> Result<Value> {
    let reader = LakeFileReader::new(store, path, size);
    let builder = ParquetRecordBatchStreamBuilder::new(reader).await?;
    let keep = builder
        .schema()
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| f.name() != evlake_core::tables::RAW)
        .map(|(i, _)| i)
        .collect::<Vec<_>>();
    let mask = ProjectionMask::roots(builder.parquet_schema(), keep);
    let mut batches = builder.with_projection(mask).build()?;
    let mut stats = FileStats::default();
    while let Some(batch) = batches.try_next().await? {
        stats.update(&batch);
    }
    Ok(stats.finish())
}

fn millis_text(micros: i64) -> Option<String> {
    Some(
        DateTime::from_timestamp_micros(micros)?
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::{Field, Schema};

    #[test]
    fn a_data_file_names_its_attempt() {
        let attempt = "0b7c4a52-3f0e-4d8e-9a43-7d1b2f3e4a5b";
        let path = format!("event_date=2026-11-01/part-00003-{attempt}-c000.zstd.parquet");
        assert_eq!(attempt_of(&path), Some(attempt));
        assert_eq!(attempt_of("event_date=2026-11-01/injected.parquet"), None);
    }

    #[test]
    fn stats_bound_every_value_and_skip_long_strings() {
        let schema = Arc::new(Schema::new(vec![
            Field::new(
                "event_time",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                false,
            ),
            Field::new("source_id", DataType::Utf8, false),
            Field::new("raw", DataType::Utf8, false),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(
                    TimestampMicrosecondArray::from(vec![1_000_500, 2_000_001])
                        .with_timezone("UTC"),
                ),
                Arc::new(StringArray::from(vec!["b", &"x".repeat(65)])),
                Arc::new(StringArray::from(vec!["{}", "{}"])),
            ],
        )
        .unwrap();
        let stats = FileStats::of(&batch);
        assert_eq!(stats["numRecords"], 2);
        assert_eq!(stats["minValues"]["event_time"], "1970-01-01T00:00:01.000Z");
        assert_eq!(stats["maxValues"]["event_time"], "1970-01-01T00:00:02.001Z");
        assert!(stats["minValues"].get("source_id").is_none());
        assert!(stats["nullCount"].get("raw").is_none());
        assert_eq!(stats["nullCount"]["source_id"], 0);
    }
}
