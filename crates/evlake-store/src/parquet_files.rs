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
use futures::FutureExt;
use futures::future::BoxFuture;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use parquet::file::properties::WriterProperties;
use serde_json::{Map, Value, json};

use crate::Result;
use evlake_core::sha256_hex;

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
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .set_max_row_group_row_count(Some(row_group_rows))
        .build();
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
            stats: stats_json(&chunk).to_string(),
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

/// Delta file statistics (`numRecords`, `minValues`, `maxValues`, `nullCount`).
fn stats_json(batch: &RecordBatch) -> Value {
    let mut mins = Map::new();
    let mut maxs = Map::new();
    let mut nulls = Map::new();
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if field.name() == evlake_core::tables::RAW {
            continue;
        }
        nulls.insert(field.name().clone(), json!(column.null_count()));
        if let Some((lo, hi)) = min_max(column) {
            mins.insert(field.name().clone(), lo);
            maxs.insert(field.name().clone(), hi);
        }
    }
    json!({
        "numRecords": batch.num_rows(),
        "minValues": mins,
        "maxValues": maxs,
        "nullCount": nulls,
    })
}

fn min_max(column: &ArrayRef) -> Option<(Value, Value)> {
    match column.data_type() {
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            let a = column
                .as_any()
                .downcast_ref::<TimestampMicrosecondArray>()?;
            // Delta records timestamps to the millisecond: round the bounds outwards so
            // they still contain every value.
            let lo = min(a)?.div_euclid(1000) * 1000;
            let hi_raw = max(a)?;
            let hi = (hi_raw + 999).div_euclid(1000) * 1000;
            Some((json!(millis_text(lo)?), json!(millis_text(hi)?)))
        }
        DataType::Int64 => {
            let a = column.as_any().downcast_ref::<Int64Array>()?;
            Some((json!(min(a)?), json!(max(a)?)))
        }
        DataType::Float64 => {
            let a = column.as_any().downcast_ref::<Float64Array>()?;
            let (lo, hi) = (min(a)?, max(a)?);
            (lo.is_finite() && hi.is_finite()).then(|| (json!(lo), json!(hi)))
        }
        DataType::Utf8 => {
            let a = column.as_any().downcast_ref::<StringArray>()?;
            let (lo, hi) = (min_string(a)?, max_string(a)?);
            (lo.len() <= MAX_STATS_STRING && hi.len() <= MAX_STATS_STRING)
                .then(|| (json!(lo), json!(hi)))
        }
        _ => None,
    }
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
        let stats = stats_json(&batch);
        assert_eq!(stats["numRecords"], 2);
        assert_eq!(stats["minValues"]["event_time"], "1970-01-01T00:00:01.000Z");
        assert_eq!(stats["maxValues"]["event_time"], "1970-01-01T00:00:02.001Z");
        assert!(stats["minValues"].get("source_id").is_none());
        assert!(stats["nullCount"].get("raw").is_none());
        assert_eq!(stats["nullCount"]["source_id"], 0);
    }
}
