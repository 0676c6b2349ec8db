//! Test helpers: evidence rows, and (from evlake-testkit) the S3-compatible servers started on
//! loopback by the test.

#![allow(dead_code)]

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray};
use chrono::{DateTime, Utc};
use evlake_store::Lake;

pub use evlake_testkit::{MotoServer, S3sServer, s3_options};

pub fn t(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// `iam_events` input rows with ids `evt-<i>` for each i in `ids`, one minute apart from `start`
/// (so ids map to the same event time whatever batch they are in).
pub fn iam_events(ids: impl IntoIterator<Item = u64>, start: DateTime<Utc>) -> RecordBatch {
    let ids: Vec<u64> = ids.into_iter().collect();
    let schema = evlake_core::tables::get("iam_events")
        .unwrap()
        .input_schema();
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| -> ArrayRef {
            match f.name().as_str() {
                "event_time" => Arc::new(
                    TimestampMicrosecondArray::from(
                        ids.iter()
                            .map(|i| start.timestamp_micros() + *i as i64 * 60_000_000)
                            .collect::<Vec<_>>(),
                    )
                    .with_timezone("UTC"),
                ),
                "source" => Arc::new(StringArray::from(vec!["okta"; ids.len()])),
                "source_id" => Arc::new(StringArray::from(
                    ids.iter()
                        .map(|i| format!("evt-{i:08}"))
                        .collect::<Vec<_>>(),
                )),
                "action" => Arc::new(StringArray::from(vec![
                    "user.account.privilege.grant";
                    ids.len()
                ])),
                "raw" => Arc::new(StringArray::from(
                    ids.iter()
                        .map(|i| format!(r#"{{"uuid":"evt-{i:08}"}}"#))
                        .collect::<Vec<_>>(),
                )),
                name if !f.is_nullable() => {
                    Arc::new(StringArray::from(vec![format!("{name}-x"); ids.len()]))
                }
                _ => arrow::array::new_null_array(f.data_type(), ids.len()),
            }
        })
        .collect();
    RecordBatch::try_new(schema, columns).unwrap()
}

/// Rows in the table's current version, read through Delta (not by listing files).
pub async fn count_rows(lake: &Lake, table: &str) -> u64 {
    lake.summary(table).await.unwrap().rows
}

/// Every `source_id` in the table's current version, read back through DataFusion.
pub async fn source_ids(lake: &Lake, table: &str) -> Vec<String> {
    let delta = lake
        .table(table, evlake_store::TableVersion::Latest)
        .await
        .unwrap();
    ids_of(&delta).await
}

pub async fn ids_of(delta: &deltalake::DeltaTable) -> Vec<String> {
    let batches = sql(delta, "SELECT source_id FROM t ORDER BY source_id").await;
    batches
        .iter()
        .flat_map(|b| {
            let text =
                arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8).unwrap();
            let a = text.as_any().downcast_ref::<StringArray>().unwrap().clone();
            (0..a.len()).map(move |i| a.value(i).to_string())
        })
        .collect()
}

/// Runs `query` over the Delta table registered as `t`.
pub async fn sql(delta: &deltalake::DeltaTable, query: &str) -> Vec<RecordBatch> {
    use deltalake::datafusion::prelude::SessionContext;
    let ctx = SessionContext::new();
    delta.update_datafusion_session(&ctx.state()).unwrap();
    ctx.register_table("t", delta.table_provider().await.unwrap())
        .unwrap();
    ctx.sql(query).await.unwrap().collect().await.unwrap()
}
