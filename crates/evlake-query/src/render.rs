//! Rendering query results for a terminal, for machines and for reports.

use arrow::array::RecordBatch;
use arrow::util::pretty::pretty_format_batches;
use serde_json::{Map, Value};

use crate::answer::markdown_rows;
use crate::{Error, QueryResults, Result};

/// How to print rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// A boxed table for a terminal.
    Table,
    /// A JSON array of objects.
    Json,
    /// CSV with a header line.
    Csv,
    /// A Markdown table.
    Markdown,
}

/// Renders `batches` as text in `format`.
pub fn render_batches(batches: &[RecordBatch], format: OutputFormat) -> Result<String> {
    let render = |e: arrow::error::ArrowError| Error::Render(e.to_string());
    match format {
        OutputFormat::Table => Ok(pretty_format_batches(batches).map_err(render)?.to_string()),
        OutputFormat::Json => {
            let rows = batches_to_rows(batches)?;
            serde_json::to_string_pretty(&rows).map_err(|e| Error::Render(e.to_string()))
        }
        OutputFormat::Csv => {
            let mut out = Vec::new();
            {
                let mut writer = arrow::csv::WriterBuilder::new()
                    .with_header(true)
                    .build(&mut out);
                for batch in batches {
                    writer.write(batch).map_err(render)?;
                }
            }
            String::from_utf8(out).map_err(|e| Error::Render(e.to_string()))
        }
        OutputFormat::Markdown => Ok(markdown_rows(&batches_to_rows(batches)?)),
    }
}

/// Writes a user's query results to `out` in `format` as they come: CSV and JSON batch by
/// batch (JSON as one compact array), a table or Markdown once all rows are in (they need
/// every row for the column widths; the rows held are charged to the session's pool).
/// Returns the rows written.
pub async fn write_results<W: std::io::Write>(
    mut results: QueryResults,
    format: OutputFormat,
    mut out: W,
) -> Result<usize> {
    let io = |e: std::io::Error| Error::Render(e.to_string());
    let arrow_err = |e: arrow::error::ArrowError| Error::Render(e.to_string());
    let mut rows = 0;
    match format {
        OutputFormat::Table | OutputFormat::Markdown => {
            let batches = results.collect().await?;
            rows = batches.iter().map(RecordBatch::num_rows).sum();
            writeln!(out, "{}", render_batches(&batches, format)?).map_err(io)?;
        }
        OutputFormat::Csv => {
            let mut writer = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut out);
            let mut wrote_any = false;
            while let Some(batch) = results.next_batch().await {
                let batch = batch?;
                rows += batch.num_rows();
                writer.write(&batch).map_err(arrow_err)?;
                wrote_any = true;
            }
            if !wrote_any {
                // The header alone, for a result without rows.
                let empty = RecordBatch::new_empty(results.schema());
                writer.write(&empty).map_err(arrow_err)?;
            }
        }
        OutputFormat::Json => {
            let mut writer = arrow::json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, arrow::json::writer::JsonArray>(&mut out);
            while let Some(batch) = results.next_batch().await {
                let batch = batch?;
                rows += batch.num_rows();
                writer.write(&batch).map_err(arrow_err)?;
            }
            writer.finish().map_err(arrow_err)?;
            drop(writer);
            writeln!(out).map_err(io)?;
        }
    }
    out.flush().map_err(io)?;
    Ok(rows)
}

/// Rows as JSON objects, column name to value; the form evidence rows take in an answer.
pub fn batches_to_rows(batches: &[RecordBatch]) -> Result<Vec<Map<String, Value>>> {
    let mut out = Vec::new();
    {
        // Every column is named in every row, null or not: evidence fields are stable.
        let mut writer = arrow::json::WriterBuilder::new()
            .with_explicit_nulls(true)
            .build::<_, arrow::json::writer::JsonArray>(&mut out);
        for batch in batches {
            writer
                .write(batch)
                .map_err(|e| Error::Render(e.to_string()))?;
        }
        writer.finish().map_err(|e| Error::Render(e.to_string()))?;
    }
    if out.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_slice(&out).map_err(|e| Error::Render(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;

    fn batch() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("repo", DataType::Utf8, false),
            Field::new("n", DataType::Int64, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec!["a/b", "c|d"])),
                Arc::new(Int64Array::from(vec![Some(1), None])),
            ],
        )
        .unwrap()
    }

    #[test]
    fn renders_each_format() {
        let b = [batch()];
        let table = render_batches(&b, OutputFormat::Table).unwrap();
        assert!(table.contains("| a/b  | 1 |"), "{table}");
        let json: Value =
            serde_json::from_str(&render_batches(&b, OutputFormat::Json).unwrap()).unwrap();
        assert_eq!(json[0]["repo"], "a/b");
        assert!(json[1]["n"].is_null(), "nulls are written out: {json}");
        assert_eq!(
            render_batches(&b, OutputFormat::Csv).unwrap(),
            "repo,n\na/b,1\nc|d,\n"
        );
        let md = render_batches(&b, OutputFormat::Markdown).unwrap();
        assert!(md.contains("| c\\|d |"), "{md}");
        assert_eq!(render_batches(&[], OutputFormat::Json).unwrap(), "[]");
    }
}
