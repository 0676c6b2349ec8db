//! The work a run hands to its parsing workers, and what comes back.
//!
//! A run's reader (files, objects, API pages) cuts its inputs into [`Unit`]s — a whole
//! document, or the values of one chunk of a stream — in input order. Workers parse units
//! concurrently on every core, each into rows of its own; the run takes the results back in
//! the order the units were made and commits them on one path, so de-duplication, cursors and
//! quarantine are the same as if one core had done it all. A gzip document (`.json.gz`, as
//! AWS delivers to S3) is decompressed on its worker.

use std::ops::Range;
use std::sync::Arc;

use arrow::array::RecordBatch;
use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::emit::{Document, Emitter};
use crate::kind::Parser;
use crate::stream::Piece;

/// What a worker does with a unit.
#[derive(Debug)]
pub(crate) enum Work {
    /// Parse a whole document.
    Document {
        location: String,
        bytes: Bytes,
        modified: DateTime<Utc>,
    },
    /// Parse the values of a stream and quarantine its bad lines; `rest` is a tail that
    /// will never be finished (the end of a whole object, or of a file gone quiet), with why.
    Values {
        location: String,
        bytes: Bytes,
        pieces: Vec<Piece>,
        /// Lines before `bytes` in the input.
        first_line: u64,
        modified: DateTime<Utc>,
        rest: Option<(Range<usize>, u64, String)>,
    },
    /// Quarantine an input unread, with the reason.
    Refuse { location: String, reason: String },
    /// Nothing to parse: the unit only carries counts and a cursor.
    Nothing,
}

/// One piece of a run's work, with what the run records once its rows are in.
#[derive(Debug)]
pub(crate) struct Unit {
    pub work: Work,
    /// The cursor entry to set when this unit's rows are committed (its input is done).
    pub cursor: Option<(String, String)>,
    /// Counts for the summary: inputs read, left unchanged, pages, bytes read.
    pub files: u64,
    pub unchanged: u64,
    pub pages: u64,
    pub bytes: u64,
    /// Input bytes this unit accounts for, for progress.
    pub progress: u64,
}

impl Unit {
    /// A unit of `work` and nothing else.
    pub(crate) fn of(work: Work) -> Self {
        Self {
            work,
            cursor: None,
            files: 0,
            unchanged: 0,
            pages: 0,
            bytes: 0,
            progress: 0,
        }
    }
}

/// What a worker made of a unit: its rows (and quarantined records) as one batch per table.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub unit: Unit,
    pub batches: Vec<(&'static str, RecordBatch)>,
    pub accepted: u64,
    pub skipped: u64,
    pub rejected: u64,
}

/// Who the rows are from: what every worker's emitter stamps.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub kind: &'static str,
    pub source_name: String,
    pub now: DateTime<Utc>,
    /// The most bytes a document may hold once decompressed.
    pub max_document_bytes: u64,
}

/// A gzip document's bytes decompressed (`None` when it is not gzip: read as it is), at most
/// `limit` of them, so that a small file cannot unpack into an unbounded one.
fn gunzip(bytes: &[u8], limit: u64) -> Result<Option<Vec<u8>>, String> {
    use std::io::Read;
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(None);
    }
    let mut plain = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(limit + 1)
        .read_to_end(&mut plain)
        .map_err(|e| format!("not valid gzip: {e}"))?;
    if plain.len() as u64 > limit {
        return Err(format!(
            "the input decompresses to more than max_document_bytes ({limit}): not read; raise \
             the source's max_document_bytes to ingest it"
        ));
    }
    Ok(Some(plain))
}

/// Parses one unit (on a worker).
pub(crate) fn parse(parser: &Arc<dyn Parser>, origin: &Origin, mut unit: Unit) -> Parsed {
    let mut out = Emitter::new(origin.kind, &origin.source_name, origin.now);
    match std::mem::replace(&mut unit.work, Work::Nothing) {
        Work::Document {
            location,
            bytes,
            modified,
        } => match gunzip(&bytes, origin.max_document_bytes) {
            Ok(plain) => parser.parse(
                Document {
                    location: &location,
                    bytes: plain.as_deref().unwrap_or(&bytes),
                    modified,
                },
                &mut out,
            ),
            Err(reason) => out.reject(&location, reason, &bytes),
        },
        Work::Values {
            location,
            bytes,
            pieces,
            first_line,
            modified,
            rest,
        } => {
            for piece in &pieces {
                match piece {
                    Piece::Value { range, line } => parser.parse(
                        Document {
                            location: &format!("{location}:{}", first_line + line + 1),
                            bytes: &bytes[range.clone()],
                            modified,
                        },
                        &mut out,
                    ),
                    Piece::Bad {
                        range,
                        line,
                        reason,
                    } => {
                        let raw = &bytes[range.clone()];
                        out.reject(
                            &format!("{location}:{}", first_line + line + 1),
                            reason,
                            raw.strip_suffix(b"\n").unwrap_or(raw),
                        );
                    }
                }
            }
            if let Some((range, line, reason)) = rest {
                let at = format!("{location}:{}", first_line + line + 1);
                out.reject(&at, reason, &bytes[range]);
            }
        }
        Work::Refuse { location, reason } => out.reject(&location, reason, b""),
        Work::Nothing => {}
    }
    let (accepted, skipped, rejected) = (out.accepted, out.skipped, out.rejected.len() as u64);
    Parsed {
        unit,
        batches: out.drain(),
        accepted,
        skipped,
        rejected,
    }
}
