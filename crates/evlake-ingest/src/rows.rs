//! Rows waiting for their commit, kept as Arrow builders per column: a record's values are
//! appended as it is parsed, so a batch holds about what its Parquet will, not a map per row.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, ListBuilder, RecordBatch,
    StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use serde_json::Value;

/// A value offered for a column: parsed JSON, or text and instants the emitter already has.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Given<'a> {
    /// A parser's value.
    Json(&'a Value),
    /// Text.
    Text(&'a str),
    /// An instant, in microseconds since the epoch.
    Micros(i64),
}

/// One value, converted for its column.
enum Cell<'a> {
    Null,
    Text(std::borrow::Cow<'a, str>),
    Micros(i64),
    Int(i64),
    Float(f64),
    Flag(bool),
    Texts(Vec<Option<std::borrow::Cow<'a, str>>>),
}

enum Column {
    Text(StringBuilder),
    Time(TimestampMicrosecondBuilder),
    Int(Int64Builder),
    Float(Float64Builder),
    Flag(BooleanBuilder),
    Texts(ListBuilder<StringBuilder>),
}

/// The buffered rows of one table.
pub(crate) struct TableRows {
    schema: SchemaRef,
    columns: Vec<Column>,
    len: usize,
}

impl std::fmt::Debug for TableRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableRows")
            .field("columns", &self.schema.fields().len())
            .field("len", &self.len)
            .finish()
    }
}

impl TableRows {
    /// Empty rows for a table's input schema (every column is one of the lake's types).
    pub(crate) fn new(schema: SchemaRef) -> Self {
        // Builders start empty and grow as rows come: the defaults reserve 1,024 values per
        // column, and a SARIF file of two findings would hold that (some 300 KB a batch over
        // a table's columns) until its commit, thousands of files at once.
        let columns = schema
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::Utf8 => Column::Text(StringBuilder::with_capacity(0, 0)),
                DataType::Timestamp(TimeUnit::Microsecond, _) => {
                    Column::Time(TimestampMicrosecondBuilder::with_capacity(0))
                }
                DataType::Int64 => Column::Int(Int64Builder::with_capacity(0)),
                DataType::Float64 => Column::Float(Float64Builder::with_capacity(0)),
                DataType::Boolean => Column::Flag(BooleanBuilder::with_capacity(0)),
                DataType::List(_) => Column::Texts(ListBuilder::with_capacity(
                    StringBuilder::with_capacity(0, 0),
                    0,
                )),
                other => unreachable!("no lake table has a {other} column"),
            })
            .collect();
        Self {
            schema,
            columns,
            len: 0,
        }
    }

    /// Rows buffered.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Appends one row, its values by column name (`value(name)`); a value that does not fit
    /// its column (or a required one missing) is an error naming the column, and nothing of
    /// the row is kept.
    pub(crate) fn push<'a>(
        &mut self,
        value: impl Fn(&str) -> Option<Given<'a>>,
    ) -> crate::Result<()> {
        let mut cells = Vec::with_capacity(self.columns.len());
        for (field, column) in self.schema.fields().iter().zip(&self.columns) {
            let cell = match value(field.name()) {
                None | Some(Given::Json(Value::Null)) => Cell::Null,
                Some(Given::Text(s)) => Cell::Text(std::borrow::Cow::Borrowed(s)),
                Some(Given::Micros(t)) => Cell::Micros(t),
                Some(Given::Json(v)) => convert(column, v).ok_or_else(|| crate::Error::Field {
                    field: field.name().clone(),
                    reason: format!("{v} does not fit a {} column", field.data_type()),
                })?,
            };
            if matches!(cell, Cell::Null) && !field.is_nullable() {
                return Err(crate::Error::MissingField {
                    field: field.name().clone(),
                });
            }
            cells.push(cell);
        }
        for (column, cell) in self.columns.iter_mut().zip(cells) {
            append(column, cell);
        }
        self.len += 1;
        Ok(())
    }

    /// The rows as one batch, leaving the buffer empty.
    pub(crate) fn finish(&mut self) -> RecordBatch {
        let arrays: Vec<ArrayRef> = self
            .columns
            .iter_mut()
            .zip(self.schema.fields())
            .map(|(column, field)| -> ArrayRef {
                match column {
                    Column::Text(b) => Arc::new(b.finish()),
                    Column::Time(b) => {
                        let zone = match field.data_type() {
                            DataType::Timestamp(_, zone) => zone.clone(),
                            _ => None,
                        };
                        Arc::new(b.finish().with_timezone_opt(zone))
                    }
                    Column::Int(b) => Arc::new(b.finish()),
                    Column::Float(b) => Arc::new(b.finish()),
                    Column::Flag(b) => Arc::new(b.finish()),
                    // The builder names its items `item`, nullable, as the schema does.
                    Column::Texts(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        self.len = 0;
        RecordBatch::try_new(self.schema.clone(), arrays).expect("rows match their table")
    }
}

fn convert<'a>(column: &Column, v: &'a Value) -> Option<Cell<'a>> {
    use std::borrow::Cow;
    Some(match (column, v) {
        (Column::Text(_), Value::String(s)) => Cell::Text(Cow::Borrowed(s)),
        (Column::Text(_), Value::Number(n)) => Cell::Text(Cow::Owned(n.to_string())),
        (Column::Text(_), Value::Bool(b)) => Cell::Text(Cow::Owned(b.to_string())),
        (Column::Time(_), Value::String(s)) => Cell::Micros(
            evlake_core::time::parse_timestamp(s)
                .ok()?
                .timestamp_micros(),
        ),
        (Column::Int(_), Value::Number(n)) => Cell::Int(n.as_i64()?),
        (Column::Int(_), Value::String(s)) => Cell::Int(s.parse().ok()?),
        (Column::Float(_), Value::Number(n)) => Cell::Float(n.as_f64()?),
        (Column::Float(_), Value::String(s)) => Cell::Float(s.parse().ok()?),
        (Column::Flag(_), Value::Bool(b)) => Cell::Flag(*b),
        (Column::Texts(_), Value::Array(items)) => Cell::Texts(
            items
                .iter()
                .map(|item| match item {
                    Value::Null => Some(None),
                    Value::String(s) => Some(Some(Cow::Borrowed(s.as_str()))),
                    Value::Number(n) => Some(Some(Cow::Owned(n.to_string()))),
                    _ => None,
                })
                .collect::<Option<_>>()?,
        ),
        _ => return None,
    })
}

fn append(column: &mut Column, cell: Cell<'_>) {
    match (column, cell) {
        (Column::Text(b), Cell::Text(s)) => b.append_value(s),
        (Column::Text(b), _) => b.append_null(),
        (Column::Time(b), Cell::Micros(t)) => b.append_value(t),
        (Column::Time(b), _) => b.append_null(),
        (Column::Int(b), Cell::Int(i)) => b.append_value(i),
        (Column::Int(b), _) => b.append_null(),
        (Column::Float(b), Cell::Float(f)) => b.append_value(f),
        (Column::Float(b), _) => b.append_null(),
        (Column::Flag(b), Cell::Flag(f)) => b.append_value(f),
        (Column::Flag(b), _) => b.append_null(),
        (Column::Texts(b), Cell::Texts(items)) => {
            for item in items {
                b.values().append_option(item);
            }
            b.append(true);
        }
        (Column::Texts(b), _) => b.append(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_land_in_their_columns_and_misfits_are_named() {
        let schema = evlake_core::tables::get("runtime_alerts")
            .unwrap()
            .input_schema();
        let mut rows = TableRows::new(schema);
        let row = json!({
            "event_time": "2026-11-20T10:00:00.5Z", "source": "falco", "source_name": "f",
            "source_id": "a", "source_ref": "f:1", "record_sha256": "00", "raw": "{}",
            "alert_id": "a", "engine": "falco", "tags": ["x", null],
        });
        rows.push(|name| row.get(name).map(Given::Json)).unwrap();
        let missing = json!({"event_time": "2026-11-20T10:00:00Z"});
        let err = rows
            .push(|name| missing.get(name).map(Given::Json))
            .unwrap_err();
        assert_eq!(err.to_string(), "required field 'source' is missing");
        let misfit = json!({"event_time": true});
        let err = rows
            .push(|name| misfit.get(name).map(Given::Json))
            .unwrap_err();
        assert!(err.to_string().starts_with("field 'event_time'"), "{err}");
        assert_eq!(rows.len(), 1, "a rejected row leaves nothing behind");
        let batch = rows.finish();
        assert_eq!(batch.num_rows(), 1);
        assert_eq!(rows.len(), 0);
        let tags = batch.column_by_name("tags").unwrap();
        let tags = tags
            .as_any()
            .downcast_ref::<arrow::array::ListArray>()
            .unwrap();
        assert_eq!(tags.value(0).len(), 2);
        let time = batch.column_by_name("event_time").unwrap();
        let time = time
            .as_any()
            .downcast_ref::<arrow::array::TimestampMicrosecondArray>()
            .unwrap();
        assert_eq!(time.value(0), 1_795_168_800_500_000);
    }
}
